//! The cases named in the product issue, plus the context rules from the research.
use lantern_language::{Checker, Level, Overrides, Rule, RuleSet, Severity};
use std::sync::OnceLock;

fn checker() -> &'static Checker {
    static C: OnceLock<Checker> = OnceLock::new();
    C.get_or_init(Checker::builtin)
}

/// Warn-level flagged texts.
fn warns(text: &str) -> Vec<String> {
    checker()
        .check(text)
        .flags
        .into_iter()
        .filter(|f| f.severity == Severity::Warn)
        .map(|f| f.text)
        .collect()
}

fn distress(text: &str) -> bool {
    checker().check(text).distress.flagged
}

#[test]
fn issue_example() {
    let r = checker().check("he is an addict who relapsed, UA came back dirty");
    let addict = r
        .flags
        .iter()
        .find(|f| f.text == "addict")
        .expect("addict flagged");
    assert_eq!(addict.severity, Severity::Warn);
    assert!(addict
        .suggestions
        .iter()
        .any(|s| s == "person with a substance use disorder"));
    assert!(addict.reason.contains("NIDA") && addict.reason.contains("AP"));
    assert!(addict.sources.iter().any(|s| s == "NIDA"));
    let dirty = r
        .flags
        .iter()
        .find(|f| f.text == "came back dirty")
        .expect("came back dirty flagged");
    assert!(dirty
        .suggestions
        .iter()
        .any(|s| s.starts_with("tested positive")));
    let relapsed = r
        .flags
        .iter()
        .find(|f| f.text == "relapsed")
        .expect("relapsed flagged as info");
    assert_eq!(relapsed.severity, Severity::Info);
    // offsets are byte offsets into the text
    let text = "he is an addict who relapsed, UA came back dirty";
    for f in &r.flags {
        assert_eq!(&text[f.start..f.end], f.text);
    }
}

#[test]
fn quoted_self_description_not_flagged() {
    assert!(warns("\"I'm an addict and proud of my recovery\", he said.").is_empty());
    assert!(
        warns("He said, \u{201c}I\u{2019}m an addict and proud of my recovery.\u{201d}").is_empty()
    );
    assert!(
        warns("Member said, \"I've been clean since my daughter was born,\" and smiled.")
            .is_empty()
    );
    assert!(warns("She describes herself as \"a grateful recovering alcoholic\".").is_empty());
    assert!(warns("He describes himself as a recovering addict.").is_empty());
    // a third party's slur in quotes is still flagged so it can be attributed
    assert_eq!(
        warns("His mom said, \"he is nothing but a junkie.\""),
        vec!["junkie"]
    );
    // but not the person's own words
    assert!(warns("He said, \"I was a junkie for ten years.\"").is_empty());
}

#[test]
fn organization_names_not_flagged() {
    for t in [
        "She goes to Narcotics Anonymous on Fridays.",
        "The Alcoholics Anonymous meeting starts at 7 pm.",
        "He found a Sex Addicts Anonymous group online.",
        "The Substance Abuse and Mental Health Services Administration funds it.",
        "The National Institute on Drug Abuse published the guide.",
        "Her mother attends Adult Children of Alcoholics.",
        "He applied at Hope Street Substance Abuse Services.",
        "Member read aloud from the Big Book chapter about alcoholics.",
    ] {
        assert!(warns(t).is_empty(), "{t}: {:?}", warns(t));
    }
}

#[test]
fn innocent_senses_not_flagged() {
    for t in [
        "She cleaned her apartment before the inspection.",
        "He did the dirty dishes at the group home.",
        "We picked up clean clothes from the closet.",
        "His doctor gave him a clean bill of health.",
        "The landlord refused to fix the heater.",
        "We sorted the recycling and refuse.",
        "She bought a water-resistant jacket.",
        "She has treatment-resistant depression.",
        "He has bipolar disorder and tracks his sleep.",
        "Her blood pressure was borderline high.",
        "She survived child abuse and domestic abuse.",
        "He was abused by a foster parent.",
        "He ordered a non-alcoholic beer.",
        "She uses nicotine replacement therapy.",
        "He used his frequent flyer miles.",
        "He kicked off the meeting with a win.",
        "Member split the cost of the taxi.",
        "The insurance company refused the claim.",
        "Member is a regular user of the library computer lab.",
    ] {
        assert!(warns(t).is_empty(), "{t}: {:?}", warns(t));
    }
}

#[test]
fn stigmatizing_senses_flagged() {
    let cases: &[(&str, &str)] = &[
        ("Member has been clean for 90 days.", "clean"),
        (
            "She had a clean drug screen on Monday.",
            "clean drug screen",
        ),
        ("Her UA was dirty again.", "dirty"),
        ("She refused to go to the interview.", "refused"),
        ("Member is resistant to treatment.", "resistant"),
        ("She is bipolar and hard to reach.", "is bipolar"),
        (
            "She is a borderline and has burned bridges.",
            "is a borderline",
        ),
        (
            "He has a long history of substance abuse.",
            "substance abuse",
        ),
        ("Member suffers from depression.", "suffers from"),
        ("Staff called him crazy.", "crazy"),
        ("Her cousin committed suicide in 2019.", "committed suicide"),
        ("He is a frequent flyer at the ER.", "frequent flyer"),
        ("He claims he has not used since Friday.", "claims"),
    ];
    for (t, want) in cases {
        let w = warns(t);
        assert!(
            w.iter()
                .any(|x| x.to_lowercase().contains(&want.to_lowercase())),
            "{t}: expected {want:?}, got {w:?}"
        );
    }
}

#[test]
fn colloquial_use_is_info_not_warn() {
    let r = checker().check("It was a crazy week at the office.");
    assert!(r.flags.iter().all(|f| f.severity == Severity::Info));
}

#[test]
fn distress_positive() {
    for t in [
        "She said she doesn't want to wake up anymore.",
        "Client disclosed a plan to take all her pills.",
        "Member said she has been thinking about killing herself every night this week.",
        "He told me, \"I just want to go to sleep and not wake up.\"",
        "She said everyone would be better off without her.",
        "He said if he goes back to jail he will kill himself.",
        "Member threatened to kill his roommate.",
        "He said his boyfriend choked him last night and he is scared to go home.",
        "She cut her arms last night.",
        "Member denies suicidal ideation but said, \"Nobody would even notice if I disappeared.\"",
        "Member reports hearing voices telling him to hurt himself.",
    ] {
        assert!(distress(t), "{t}");
    }
}

#[test]
fn distress_levels() {
    let r = checker().check("He has a plan to overdose tonight.");
    assert_eq!(r.distress.level, Some(Level::Urgent));
    let r = checker().check("She said she wishes she were dead.");
    assert_eq!(r.distress.level, Some(Level::Concern));
    assert!(!r.distress.cues.is_empty());
    let r = checker().check("Nothing of note today.");
    assert_eq!(r.distress.level, None);
}

#[test]
fn distress_negation_history_third_party() {
    for t in [
        "Denies SI/HI.",
        "Member denies suicidal ideation, intent, or plan.",
        "No thoughts of hurting himself reported.",
        "No thoughts of self-harm; she is excited about her new apartment.",
        "History of suicide attempt in 2015; no current thoughts of suicide.",
        "Her father died by suicide when she was twelve.",
        "Her brother's failed suicide attempt last spring still weighs on her.",
        "The group talked about how to support a friend who is thinking about suicide.",
        "She is reading a novel about a character who attempts suicide.",
        "The team discussed suicide prevention training for staff.",
        "SI/HI: denied.",
    ] {
        assert!(!distress(t), "{t}: {:?}", checker().check(t).distress);
    }
}

#[test]
fn distress_idioms_not_flagged() {
    for t in [
        "I'm dying to see my daughter.",
        "He said this commute is killing him.",
        "She would kill for a decent cup of coffee.",
        "She was dead tired after the double shift.",
        "Member cut back on drinking to weekends.",
        "We practiced using a cutting board and knife.",
        "He was hanging out with his cousins.",
    ] {
        assert!(!distress(t), "{t}: {:?}", checker().check(t).distress);
    }
}

#[test]
fn distress_spanish() {
    for t in [
        "Dijo: \"no quiero vivir\".",
        "Quiero morir.",
        "Me quiero matar.",
        "Dijo que se va a matar esta noche.",
        "Ya no puedo más.",
    ] {
        assert!(distress(t), "{t}");
    }
    assert!(distress("QUIERO MORIR"));
    assert!(!distress("Niega ideación suicida."));
    assert!(!distress("Me muero de hambre."));
}

#[test]
fn overrides_disable_change_add() {
    let base = RuleSet::builtin();
    let added: Rule = serde_json::from_value(serde_json::json!({
        "id": "org-client-word",
        "category": "org_policy",
        "severity": "warn",
        "forms": ["consumer", "consumers"],
        "suggestions": ["member"],
        "reason": "Our organization says member.",
        "sources": ["ORG"]
    }))
    .expect("rule json");
    let o = Overrides {
        disabled: vec!["refused".into()],
        suggestions: vec![("addict".into(), vec!["person in recovery".into()])],
        added: vec![added],
        ..Overrides::default()
    };
    let c = Checker::with_overrides(&base, &o).expect("overrides apply");
    let r = c.check("She refused; he is an addict; the consumer called.");
    assert!(r.flags.iter().all(|f| f.rule != "refused"));
    let a = r.flags.iter().find(|f| f.rule == "addict").expect("addict");
    assert_eq!(a.suggestions, vec!["person in recovery".to_string()]);
    assert!(r
        .flags
        .iter()
        .any(|f| f.rule == "org-client-word" && f.text == "consumer"));
    // unknown ids are errors, not silently ignored
    let bad = Overrides {
        disabled: vec!["no-such-rule".into()],
        ..Overrides::default()
    };
    assert!(Checker::with_overrides(&base, &bad).is_err());
    // a rule shipped off can be switched on
    let on = Overrides {
        enabled: vec!["sober-moral".into()],
        ..Overrides::default()
    };
    let c = Checker::with_overrides(&base, &on).expect("enable");
    assert!(c
        .check("He is sober now.")
        .flags
        .iter()
        .any(|f| f.rule == "sober-moral"));
    assert!(Checker::builtin()
        .check("He is sober now.")
        .flags
        .iter()
        .all(|f| f.rule != "sober-moral"));
}

#[test]
fn ruleset_roundtrip_and_errors() {
    let rs = RuleSet::builtin();
    assert!(rs.rules.len() >= 88);
    assert!(rs.version.starts_with("terms-v1"));
    let again = RuleSet::from_json(&rs.to_json()).expect("roundtrip");
    assert_eq!(again.rules.len(), rs.rules.len());
    assert!(RuleSet::from_json("{").is_err());
    assert!(RuleSet::from_json(r#"{"version":"x","rules":[{"id":"a","category":"c","severity":"warn","forms":[],"suggestions":[],"reason":"","sources":[]}]}"#).is_err());
}

#[test]
fn typographic_variants() {
    let r =
        checker().check("He\u{2019}s a drug\u{2011}seeking \u{201c}frequent\u{00a0}flyer\u{201d}");
    // quoted words are suppressed; the unquoted compound with a non-breaking hyphen is found
    assert!(r.flags.iter().any(|f| f.rule == "drug-seeking"));
    let t = "Member is NON-COMPLIANT and  Drug  Seeking.";
    let r = checker().check(t);
    for f in &r.flags {
        assert_eq!(&t[f.start..f.end], f.text);
    }
    assert!(r.flags.iter().any(|f| f.rule == "non-compliant"));
    assert!(r
        .flags
        .iter()
        .any(|f| f.rule == "drug-seeking" && f.text == "Drug  Seeking"));
}

#[test]
fn utf16_conversion() {
    let t = "😀 he is an addict";
    let r = checker().check(t);
    let f = &r.flags[0];
    assert_eq!(
        lantern_language::utf16_offsets(t, f.start),
        t[..f.start].encode_utf16().count()
    );
    let u = r.to_utf16(t);
    assert_eq!(u.flags[0].start, t[..f.start].encode_utf16().count());
    assert_eq!(u.flags[0].end, t[..f.end].encode_utf16().count());
}
