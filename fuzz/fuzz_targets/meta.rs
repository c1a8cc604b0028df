//! Meta-data output: `xml_text` escapes arbitrary text reversibly, and `write_metadata`
//! produces a well-formed document (checked with an independent XML parser) that lists every
//! parameter and action, and stops cleanly at the first write error.
#![no_main]

use arbitrary::Arbitrary;
use ifaddr_core::meta::{write_metadata, xml_text, ACTIONS, PARAMS};
use ifaddr_fuzz::Out;
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

#[derive(Debug, Arbitrary)]
struct Input<'a> {
    text: &'a str,
    ocf_1_1: bool,
    fail_at: u16,
}

fn unescape(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&amp;", "&")
}

fn child<'a, 'i>(n: roxmltree::Node<'a, 'i>, name: &str) -> roxmltree::Node<'a, 'i> {
    n.children()
        .find(|c| c.has_tag_name(name))
        .unwrap_or_else(|| panic!("no <{name}>"))
}

fn check_document(xml: &str, ocf_1_1: bool) {
    let doc = roxmltree::Document::parse_with_options(
        xml,
        roxmltree::ParsingOptions {
            allow_dtd: true,
            ..Default::default()
        },
    )
    .unwrap_or_else(|e| panic!("meta-data is not well-formed XML: {e}"));
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "resource-agent");
    let version = child(root, "version").text().unwrap();
    assert_eq!(version, if ocf_1_1 { "1.1" } else { "1.0" });
    let params: Vec<_> = child(root, "parameters")
        .children()
        .filter(|c| c.has_tag_name("parameter"))
        .collect();
    assert_eq!(params.len(), PARAMS.len());
    for (node, p) in params.iter().zip(PARAMS) {
        assert_eq!(node.attribute("name"), Some(p.name));
        assert_eq!(child(*node, "longdesc").text(), Some(p.longdesc));
        assert_eq!(child(*node, "shortdesc").text(), Some(p.shortdesc));
        let content = child(*node, "content");
        assert_eq!(content.attribute("type"), Some(p.ty));
        assert_eq!(content.attribute("default"), p.default);
        assert_eq!(
            node.attribute("reloadable").is_some(),
            ocf_1_1 && p.reloadable
        );
    }
    let actions = child(root, "actions")
        .children()
        .filter(|c| c.has_tag_name("action"))
        .count();
    assert_eq!(
        actions,
        ACTIONS.iter().filter(|a| ocf_1_1 || !a.ocf_1_1).count()
    );
}

fuzz_target!(|i: Input<'_>| {
    let mut out = Out::default();
    xml_text(&mut out, i.text).unwrap();
    assert!(!out.s.contains(['<', '>', '"', '\'']));
    for (pos, _) in out.s.match_indices('&') {
        let rest = &out.s[pos..];
        assert!(
            ["&lt;", "&gt;", "&amp;", "&quot;", "&apos;"]
                .iter()
                .any(|e| rest.starts_with(e)),
            "bare '&' in {:?}",
            out.s
        );
    }
    assert_eq!(unescape(&out.s), i.text);

    // The document depends only on the version: check it once per process, then check every
    // run's output against it.
    static CHECKED: [OnceLock<String>; 2] = [OnceLock::new(), OnceLock::new()];
    let expected = CHECKED[usize::from(i.ocf_1_1)].get_or_init(|| {
        let mut o = Out::default();
        write_metadata(&mut o, i.ocf_1_1).unwrap();
        check_document(&o.s, i.ocf_1_1);
        o.s
    });
    // A writer that fails part-way (or, for a limit at the end, not at all): the error comes
    // back, and what was written is a prefix of the document.
    let limit = usize::from(i.fail_at) % (expected.len() + 1);
    let mut cut = Out {
        s: String::new(),
        limit: Some(limit),
    };
    let r = write_metadata(&mut cut, i.ocf_1_1);
    assert_eq!(r.is_ok(), limit == expected.len());
    if r.is_ok() {
        assert_eq!(&cut.s, expected, "meta-data is not deterministic");
    } else {
        assert!(expected.starts_with(&cut.s));
    }
});
