//! OCF parameters from an arbitrary environment: `Params::parse` and `OpContext::parse` through
//! a `Source` over the key/value pairs of the input (see `ifaddr_fuzz::Env` for the layout).
//! Whatever they accept must satisfy the documented constraints; whatever they refuse must
//! name a real parameter and give a one-line reason. `OpContext::parse` refuses nothing: a
//! value it cannot use is listed as ignored, and its default is taken instead.
#![no_main]

use ifaddr_core::addr::{self, Broadcast, Family};
use ifaddr_core::ifname::IfName;
use ifaddr_core::params::{OpContext, Params, DEFAULT_TIMEOUT_MS, INSTANCE_MAX, UNSUPPORTED};
use ifaddr_fuzz::{printable, Env};
use libfuzzer_sys::fuzz_target;

/// The operation context's values: name, environment variable, largest accepted number.
const CONTEXT: &[(&str, &str, u64)] = &[
    (
        "CRM_meta_interval",
        "OCF_RESKEY_CRM_meta_interval",
        u64::MAX,
    ),
    ("CRM_meta_timeout", "OCF_RESKEY_CRM_meta_timeout", u64::MAX),
    ("OCF_CHECK_LEVEL", "OCF_CHECK_LEVEL", 1000),
];

fn text<'a>(env: &Env<'a>, name: &str) -> Option<&'a str> {
    let v = env.value(&format!("OCF_RESKEY_{name}"))?;
    if v.is_empty() {
        return None;
    }
    core::str::from_utf8(v).ok()
}

fn check_params(env: &Env<'_>) {
    let r = Params::parse(env);
    assert_eq!(r, Params::parse(env), "not deterministic");
    let p = match r {
        Err(e) => {
            assert!(
                ifaddr_core::meta::PARAMS.iter().any(|p| p.name == e.name)
                    || UNSUPPORTED.contains(&e.name),
                "error names unknown parameter {:?}",
                e.name
            );
            assert!(!e.reason.is_empty() && printable(e.reason.as_bytes()));
            return;
        }
        Ok(p) => p,
    };
    let family = p.family();
    // ip: what the agent accepted is what addr::parse_ip accepts, and it is a usable address.
    let ip_text = text(env, "ip").expect("accepted without ip");
    // (An IPv6 link-local address is accepted with nic only.)
    let ll = addr::check_ip(&p.ip) == Err(addr::IpError::LinkLocal) && p.nic.is_some();
    if ll {
        assert_eq!(ip_text.parse(), Ok(p.ip));
        assert!(p.family() == Family::V6);
    } else {
        assert_eq!(addr::parse_ip(ip_text), Ok(p.ip));
        assert_eq!(addr::check_ip(&p.ip), Ok(()));
        assert_eq!(addr::parse_ip(&p.ip.to_string()), Ok(p.ip));
    }
    if let Some(prefix) = p.prefix {
        assert!(prefix <= family.max_prefix());
    }
    if let Some(nic) = &p.nic {
        assert_eq!(IfName::parse(nic.as_str()).as_ref(), Ok(nic));
    }
    if let Some(l) = &p.iflabel {
        assert_eq!(family, Family::V4);
        let nic_len = p.nic.as_ref().map_or(0, |n| n.as_str().len());
        assert!(nic_len + 1 + l.len() <= 15, "label {l:?} too long for nic");
        assert!(l
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'.' | b'-')));
    }
    if family == Family::V6 {
        assert_eq!(p.broadcast, Broadcast::Auto);
    } else {
        assert!(!p.nodad);
        assert_eq!(p.preferred_lft, None);
    }
    if let (Broadcast::Addr(b), Some(prefix), core::net::IpAddr::V4(v4)) =
        (p.broadcast, p.prefix, p.ip)
    {
        if addr::v4_broadcast(v4, prefix).is_some() {
            assert!(addr::covers(&p.ip, prefix, &core::net::IpAddr::V4(b)));
        }
    }
    assert!(p.arp_count <= 100);
    assert!((1..=10_000).contains(&p.arp_interval_ms));
    assert!(!(p.network_namespace.is_some() && p.jail.is_some()));
    for ns in [&p.network_namespace, &p.jail].into_iter().flatten() {
        assert!(!ns.is_empty() && !ns.starts_with(['.', '-']));
        assert!(ns
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'.' | b'-')));
    }
    if let Some(v) = p.carp_vhid {
        assert!(v >= 1);
    }
    match &p.policy {
        Some(path) => {
            assert!(path.starts_with('/'));
            assert!(!path.bytes().any(|c| c.is_ascii_control()));
            assert!(!path.split('/').any(|c| c == ".."));
        }
        None => assert!(p.policy_args.is_empty()),
    }
    assert!(!p.policy_args.bytes().any(|c| c.is_ascii_control()));
}

fn check_context(env: &Env<'_>) {
    let c = OpContext::parse(env);
    assert_eq!(c, OpContext::parse(env), "not deterministic");
    // A value is ignored exactly when it is set and not a number in range, and then the
    // default applies.
    for (name, var, max) in CONTEXT {
        let ignored = c.ignored.iter().filter(|e| e.name == *name).count();
        let junk = env.value(var).filter(|v| !v.is_empty()).is_some_and(|v| {
            core::str::from_utf8(v)
                .ok()
                .and_then(addr::parse_decimal)
                .filter(|n| n <= max)
                .is_none()
        });
        assert_eq!(ignored, usize::from(junk), "{name}: {:?}", env.value(var));
        if junk {
            match *name {
                "CRM_meta_interval" => assert_eq!(c.interval_ms, 0),
                "CRM_meta_timeout" => assert_eq!(c.timeout_ms, DEFAULT_TIMEOUT_MS),
                _ => assert_eq!(c.depth, 0),
            }
        }
    }
    for e in &c.ignored {
        assert!(!e.reason.is_empty() && printable(e.reason.as_bytes()));
    }
    assert!((1_000..=86_400_000).contains(&c.timeout_ms));
    assert!(c.depth <= 1000);
    assert!(!c.instance.is_empty() && c.instance.len() <= INSTANCE_MAX);
    assert!(printable(c.instance.as_bytes()));
    // The instance is the escaped value: the same length when it fits, cut with `~` otherwise.
    if let Some(raw) = env.value("OCF_RESOURCE_INSTANCE").filter(|v| !v.is_empty()) {
        if raw.len() <= INSTANCE_MAX {
            assert_eq!(c.instance.len(), raw.len());
            if printable(raw) {
                assert_eq!(c.instance.as_bytes(), raw);
            }
        } else {
            assert!(c.instance.ends_with('~'));
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let env = Env::decode(data);
    check_params(&env);
    check_context(&env);
});
