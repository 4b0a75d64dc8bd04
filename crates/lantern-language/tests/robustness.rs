//! Any input: no panic, spans on char boundaries inside the text, deterministic.
use lantern_language::Checker;
use proptest::prelude::*;
use std::sync::OnceLock;

fn checker() -> &'static Checker {
    static C: OnceLock<Checker> = OnceLock::new();
    C.get_or_init(Checker::builtin)
}

fn valid(text: &str) {
    let r = checker().check(text);
    for f in &r.flags {
        assert!(f.start < f.end && f.end <= text.len(), "{f:?}");
        assert!(text.is_char_boundary(f.start) && text.is_char_boundary(f.end));
        assert_eq!(&text[f.start..f.end], f.text);
    }
    for c in &r.distress.cues {
        assert!(c.start < c.end && c.end <= text.len(), "{c:?}");
        assert!(text.is_char_boundary(c.start) && text.is_char_boundary(c.end));
        assert_eq!(&text[c.start..c.end], c.text);
    }
    assert_eq!(r.distress.flagged, r.distress.level.is_some());
    assert_eq!(checker().check(text), r, "deterministic");
}

/// Words from the rules mixed with quotes, typographic punctuation, whitespace
/// runs and multibyte characters, so the generator actually hits the matcher.
fn noteish() -> impl Strategy<Value = String> {
    let atoms = prop::sample::select(vec![
        "addict",
        "clean",
        "dirty",
        "he",
        "she",
        "is",
        "was",
        "refused",
        "the",
        "landlord",
        "\"",
        "\u{201c}",
        "\u{201d}",
        "\u{2019}",
        "'",
        "-",
        "\u{2011}",
        "\u{2014}",
        " ",
        "  ",
        "\n",
        "\t",
        "\u{a0}",
        ".",
        ",",
        ";",
        "denies",
        "SI",
        "kill",
        "himself",
        "wants",
        "to",
        "die",
        "no",
        "quiero",
        "vivir",
        "ÉL",
        "é",
        "😀",
        "ß",
        "İ",
        "non-compliant",
        "frequent",
        "flyer",
        "Narcotics",
        "Anonymous",
        "UA",
        "came",
        "back",
        "suicide",
        "committed",
        "cut",
        "her",
        "arms",
        "a",
        "plan",
        "overdose",
        "crazy",
        "MAT",
        "bipolar",
    ]);
    prop::collection::vec(atoms, 0..40).prop_map(|v| v.join(""))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 600, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_strings(s in any::<String>()) {
        valid(&s);
    }

    #[test]
    fn note_like_strings(s in noteish()) {
        valid(&s);
    }

    #[test]
    fn spaced_note_like_strings(v in prop::collection::vec(noteish(), 0..6)) {
        valid(&v.join(" "));
    }
}

#[test]
fn edge_cases() {
    for s in [
        "",
        " ",
        "\"",
        "\u{201c}",
        "a",
        "\u{2019}s bipolar",
        "\"\"\"",
        "\n\n\n",
        "é",
        "😀addict😀",
        "addict\u{301}",
        "İİİ addict",
    ] {
        valid(s);
    }
    // large input without punctuation stays bounded (no quadratic scans)
    let big = "he is an addict and ".repeat(20_000);
    let r = checker().check(&big);
    assert_eq!(r.flags.len(), 20_000);
}
