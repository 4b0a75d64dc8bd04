use lantern_learning::exam::{self, Blueprint, BlueprintDomain};
use lantern_learning::{shipped_bank, Domain};

#[test]
fn the_icrc_blueprint_is_labelled_placeholder_and_apportions_by_weight() {
    let bp = exam::blueprint("icrc-pr-practice").unwrap();
    assert!(bp.has_placeholders());
    assert!(bp.source.contains("PLACEHOLDER"));
    let counts = bp.apportion();
    assert_eq!(counts.iter().map(|c| c.1).sum::<u32>(), 40);
    let ethics = counts.iter().find(|c| c.0 == Domain::EthicalResponsibility).unwrap().1;
    assert_eq!(ethics, 14); // 16/46 of 40 = 13.9
}

#[test]
fn assembly_follows_the_blueprint_is_seeded_and_has_no_repeats() {
    let bank = shipped_bank();
    let bp = exam::blueprint("icrc-pr-practice").unwrap();
    let a = exam::assemble(&bank.items, bp, 1).unwrap();
    let b = exam::assemble(&bank.items, bp, 1).unwrap();
    let c = exam::assemble(&bank.items, bp, 2).unwrap();
    assert_eq!(a, b);
    assert_ne!(a, c);
    let mut d = a.clone();
    d.sort();
    d.dedup();
    assert_eq!(d.len(), a.len());
    for (domain, n) in bp.apportion() {
        let got = a.iter().filter(|id| bank.get(id).unwrap().primary_domain() == domain).count();
        assert_eq!(got as u32, n, "{domain:?}");
    }
}

#[test]
fn too_small_a_bank_is_reported_per_domain() {
    let bp = Blueprint {
        id: "big".into(),
        name: "big".into(),
        source: "test".into(),
        questions: 200,
        minutes: 10,
        pass_percent: 70,
        domains: vec![BlueprintDomain { domain: Domain::Advocacy, weight: 1.0, placeholder: false }],
    };
    assert!(matches!(
        exam::assemble(&shipped_bank().items, &bp, 1),
        Err(exam::ExamError::NotEnough { domain: Domain::Advocacy, .. })
    ));
}

#[test]
fn scores_per_domain_and_late_answers_do_not_count() {
    use Domain::*;
    let s = exam::score(&[(Advocacy, true), (Advocacy, false), (EthicalResponsibility, true), (RecoveryWellness, true)], 70);
    assert_eq!((s.correct, s.total, s.percent, s.passed), (3, 4, 75, true));
    assert_eq!(s.domains[0].domain, Advocacy);
    assert_eq!(s.domains[0].percent(), 50);
    assert!(exam::answer_counts(1000, 1000));
    assert!(!exam::answer_counts(1000, 1001));
    assert!(!exam::score(&[], 70).passed);
}
