//! OCF resource-agent API: exit codes and actions (ClusterLabs OCF-spec, `ra/1.1`).

/// OCF exit codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum Exit {
    Success = 0,
    ErrGeneric = 1,
    /// Valid parameters that cannot work on this host (a missing nic, a feature of another OS).
    ErrArgs = 2,
    ErrUnimplemented = 3,
    ErrPerm = 4,
    /// A required kernel facility (an address family) is missing.
    ErrInstalled = 5,
    /// Parameters invalid in themselves.
    ErrConfigured = 6,
    NotRunning = 7,
    /// OCF 1.1: running, but degraded.
    Degraded = 190,
}

impl Exit {
    pub fn code(self) -> u8 {
        self as u8
    }

    pub fn name(self) -> &'static str {
        match self {
            Exit::Success => "OCF_SUCCESS",
            Exit::ErrGeneric => "OCF_ERR_GENERIC",
            Exit::ErrArgs => "OCF_ERR_ARGS",
            Exit::ErrUnimplemented => "OCF_ERR_UNIMPLEMENTED",
            Exit::ErrPerm => "OCF_ERR_PERM",
            Exit::ErrInstalled => "OCF_ERR_INSTALLED",
            Exit::ErrConfigured => "OCF_ERR_CONFIGURED",
            Exit::NotRunning => "OCF_NOT_RUNNING",
            Exit::Degraded => "OCF_DEGRADED",
        }
    }
}

/// An action the agent was asked to perform.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Start,
    Stop,
    Monitor,
    MetaData,
    ValidateAll,
    Usage,
    ReloadAgent,
    /// Describe, in plain text, what the agent would do with these parameters; changes
    /// nothing and exits with validate-all's code.
    Explain,
}

impl Action {
    /// Parse an action name; `None` for anything the agent does not implement (exit 3).
    pub fn parse(s: &str) -> Option<Action> {
        Some(match s {
            "start" => Action::Start,
            "stop" => Action::Stop,
            "monitor" | "status" => Action::Monitor,
            "meta-data" | "meta_data" => Action::MetaData,
            "validate-all" => Action::ValidateAll,
            "usage" | "help" | "--help" | "-h" => Action::Usage,
            "reload-agent" => Action::ReloadAgent,
            "explain" => Action::Explain,
            _ => return None,
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            Action::Start => "start",
            Action::Stop => "stop",
            Action::Monitor => "monitor",
            Action::MetaData => "meta-data",
            Action::ValidateAll => "validate-all",
            Action::Usage => "usage",
            Action::ReloadAgent => "reload-agent",
            Action::Explain => "explain",
        }
    }
}

/// The OCF API version the caller announced (`OCF_RA_VERSION_MAJOR`/`MINOR`); ocf-tester
/// announces none, Pacemaker does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ApiVersion {
    pub major: u8,
    pub minor: u8,
}

impl ApiVersion {
    pub fn parse(major: Option<&str>, minor: Option<&str>) -> ApiVersion {
        let p = |s: Option<&str>| {
            s.and_then(crate::addr::parse_decimal)
                .map_or(0, |n| n.min(255) as u8)
        };
        ApiVersion {
            major: p(major),
            minor: p(minor),
        }
    }

    /// Whether OCF 1.1 additions (reload-agent, reloadable, OCF_DEGRADED) may be used.
    pub fn has_1_1(self) -> bool {
        self.major > 1 || (self.major == 1 && self.minor >= 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn actions() {
        assert_eq!(Action::parse("start"), Some(Action::Start));
        assert_eq!(Action::parse("meta-data"), Some(Action::MetaData));
        assert_eq!(Action::parse("no_cmd"), None);
        assert_eq!(Action::parse(""), None);
        for a in [
            Action::Start,
            Action::Stop,
            Action::Monitor,
            Action::MetaData,
            Action::ValidateAll,
            Action::ReloadAgent,
            Action::Explain,
        ] {
            assert_eq!(Action::parse(a.name()), Some(a));
        }
    }

    #[test]
    fn versions() {
        assert!(!ApiVersion::parse(None, None).has_1_1());
        assert!(!ApiVersion::parse(Some("1"), Some("0")).has_1_1());
        assert!(ApiVersion::parse(Some("1"), Some("1")).has_1_1());
        assert!(ApiVersion::parse(Some("2"), Some("0")).has_1_1());
        assert!(!ApiVersion::parse(Some("x"), Some("1")).has_1_1());
        assert_eq!(Exit::Degraded.code(), 190);
    }
}
