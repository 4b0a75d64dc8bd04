//! Every message key the templates and code use exists in the English catalogue.

use lantern_web::i18n::Catalog;

fn keys_in(text: &str, open: &str) -> Vec<String> {
    let mut out = vec![];
    let mut rest = text;
    while let Some(i) = rest.find(open) {
        rest = &rest[i + open.len()..];
        if let Some(end) = rest.find('"') {
            let k = &rest[..end];
            if !k.is_empty() && k.chars().all(|c| c.is_ascii_lowercase() || c == '-' || c.is_ascii_digit()) {
                out.push(k.to_string());
            }
        }
    }
    out
}

#[test]
fn every_used_message_exists() {
    let cat = Catalog::english().expect("the English catalogue parses");
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut missing = vec![];
    let mut files = vec![];
    for dir in ["templates", "src"] {
        for e in std::fs::read_dir(root.join(dir)).unwrap() {
            let p = e.unwrap().path();
            if !p.ends_with("i18n.rs") {
                files.push(p);
            }
        }
    }
    let mut used = 0;
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap();
        for open in ["t.get(\"", "get_with(\"", "Chrome::new(&app, None, \"", "title_key: \""] {
            for k in keys_in(&text, open) {
                used += 1;
                if !cat.has(&k) {
                    missing.push(format!("{}: {k}", f.display()));
                }
            }
        }
    }
    assert!(used > 100, "found only {used} message uses");
    assert!(missing.is_empty(), "missing messages:\n{}", missing.join("\n"));
    // Stage names shown everywhere.
    for s in lantern_domain::enrollment::Stage::ALL {
        assert!(cat.has(&format!("stage-{}", s.code())));
    }
}

#[test]
fn wording_is_person_first() {
    let ids = Catalog::english_ids();
    let cat = Catalog::english().unwrap();
    for id in ids {
        let text = cat.get(&id).to_lowercase();
        for banned in ["client", "patient", "case ", "noncompliant", "non-compliant", "addict"] {
            assert!(!text.contains(banned), "message {id} says {banned:?}: {text}");
        }
    }
}

#[test]
fn no_message_is_defined_twice() {
    let ids = Catalog::english_ids();
    let mut seen = std::collections::HashSet::new();
    for id in &ids {
        assert!(seen.insert(id), "message {id} is defined twice in locales/en-US/main.ftl");
    }
}
