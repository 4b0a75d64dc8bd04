//! The shipped bank is valid, big enough, and survives the text and Moodle XML round trips.

use lantern_learning::item::{roman, stem_key};
use lantern_learning::{exam, moodle, shipped_bank, text, Bank, Choice, Domain, Item, Status, Topic};
use proptest::prelude::*;

#[test]
fn every_shipped_item_is_valid_ids_unique_no_duplicate_stems() {
    let bank = shipped_bank();
    let problems = bank.problems();
    assert!(problems.is_empty(), "{problems:#?}");
    assert!(bank.items.len() >= 240, "{} items", bank.items.len());
    for item in &bank.items {
        // Exactly one correct answer unless a number is declared, a rationale, a category, a domain.
        assert_eq!(item.choices.iter().filter(|c| c.correct).count(), item.answers as usize, "{}", item.id);
        assert_eq!(item.choices.len(), 4, "{}", item.id);
        assert!(!item.rationale.is_empty() && !item.categories.is_empty() && !item.domains.is_empty());
        assert_eq!(item.status, Status::Reviewed);
    }
    let mut stems: Vec<String> = bank.items.iter().map(|i| stem_key(&i.stem)).collect();
    stems.sort();
    stems.dedup();
    assert_eq!(stems.len(), bank.items.len());
}

#[test]
fn at_least_twenty_items_per_category_and_enough_per_domain_for_every_blueprint() {
    let bank = shipped_bank();
    for (i, n) in bank.category_counts().iter().enumerate() {
        assert!(*n >= 20, "category {} has {n} items", roman(i as u8 + 1));
    }
    for bp in exam::shipped_blueprints() {
        bp.check().unwrap();
        assert_eq!(bp.apportion().iter().map(|(_, n)| n).sum::<u32>(), bp.questions);
        let ids = exam::assemble(&bank.items, bp, 7).unwrap();
        assert_eq!(ids.len(), bp.questions as usize);
    }
}

#[test]
fn correct_answers_are_spread_over_the_four_positions() {
    let mut at = [0usize; 4];
    for item in &shipped_bank().items {
        at[item.correct_indexes()[0]] += 1;
    }
    for n in at {
        assert!(n >= 40, "{at:?}");
    }
}

#[test]
fn text_format_round_trip() {
    let bank = shipped_bank();
    let again = text::parse(&text::write(&bank.items)).unwrap();
    assert_eq!(again, bank.items);
}

#[test]
fn moodle_xml_round_trip_of_the_shipped_bank() {
    let bank = shipped_bank();
    let xml = moodle::export(bank, "Lantern practice");
    let back = moodle::import(&xml).unwrap();
    assert!(back.skipped.is_empty());
    assert_eq!(&back.bank, bank);
}

#[test]
fn moodle_import_reads_html_questions_from_other_systems_and_skips_other_types() {
    let xml = r#"<?xml version="1.0" encoding="UTF-8"?>
<quiz>
  <question type="category"><category><text>$course$/top/Shared</text></category></question>
  <question type="multichoice">
    <name><text>Shared item: first contact</text></name>
    <questiontext format="html"><text><![CDATA[<p>What is the <b>best</b> first step when meeting someone new?</p>]]></text></questiontext>
    <generalfeedback format="html"><text><![CDATA[<p>Starting with the person&#39;s present moment builds trust &amp; leaves the choice with them.</p>]]></text></generalfeedback>
    <single>true</single>
    <answer fraction="100" format="html"><text>Ask how they are doing right now</text></answer>
    <answer fraction="0" format="html"><text>Explain the rules</text></answer>
    <answer fraction="0" format="html"><text>Hand over forms</text></answer>
    <answer fraction="0" format="html"><text>Warn about risks</text></answer>
    <tags><tag><text>category:I</text></tag><tag><text>domain:recovery-wellness</text></tag></tags>
  </question>
  <question type="truefalse"><name><text>TF one</text></name></question>
</quiz>"#;
    let got = moodle::import(xml).unwrap();
    assert_eq!(got.skipped, vec!["TF one (truefalse)".to_string()]);
    let item = &got.bank.items[0];
    assert_eq!(item.id, "shared-item-first-contact");
    assert_eq!(item.stem, "What is the best first step when meeting someone new?");
    assert!(item.rationale.contains("person's present moment builds trust & leaves"));
    assert_eq!(item.status, Status::Draft, "imported items wait for review");
    assert!(item.problems().is_empty(), "{:?}", item.problems());
}

#[test]
fn moodle_import_refuses_broken_xml_and_reports_bad_tags_with_the_question() {
    assert!(matches!(moodle::import("<quiz><question>"), Err(moodle::ImportError::Xml(_))));
    assert!(matches!(moodle::import("<html></html>"), Err(moodle::ImportError::NotMoodle)));
    let bad = r#"<quiz><question type="multichoice"><name><text>x</text></name>
      <tags><tag><text>category:XIV</text></tag></tags></question></quiz>"#;
    match moodle::import(bad) {
        Err(moodle::ImportError::Question { index: 1, detail, .. }) => assert!(detail.contains("XIV")),
        other => panic!("{other:?}"),
    }
}

#[test]
fn validation_names_each_problem_field() {
    let mut item = shipped_bank().items[0].clone();
    item.choices.pop();
    for c in &mut item.choices {
        c.correct = true;
    }
    item.categories = vec![13];
    item.domains.clear();
    item.rationale = "short".into();
    item.difficulty = 9;
    let fields: Vec<&str> = item.problems().iter().map(|p| p.field).collect();
    for f in ["choices", "answers", "categories", "domains", "rationale", "difficulty"] {
        assert!(fields.contains(&f), "{f} missing from {fields:?}");
    }
}

fn text_strategy() -> impl Strategy<Value = String> {
    // Printable text with XML-special characters and non-ASCII letters, trimmed like stored text.
    "[A-Za-z0-9<>&\"' éüñ中—?.,;:()\\n-]{0,60}".prop_map(|s| s)
}

fn item_strategy() -> impl Strategy<Value = Item> {
    (
        "[a-z0-9][a-z0-9-]{0,20}",
        text_strategy(),
        proptest::collection::vec(text_strategy(), 4),
        (1u8..=3),
        text_strategy(),
        proptest::collection::vec(1u8..=12, 1..4),
        proptest::collection::vec(0usize..4, 1..4),
        proptest::collection::vec(0usize..13, 0..4),
        (1u8..=3, any::<bool>()),
    )
        .prop_map(|(id, stem, opts, answers, rationale, mut cats, mut doms, mut tops, (difficulty, draft))| {
            cats.dedup();
            doms.dedup();
            tops.dedup();
            Item {
                id,
                stem: stem.trim().to_string(),
                choices: opts
                    .into_iter()
                    .enumerate()
                    .map(|(i, t)| Choice { text: t.trim().to_string(), correct: i < answers as usize })
                    .collect(),
                answers,
                rationale: rationale.trim().to_string(),
                categories: cats,
                domains: doms.into_iter().map(|d| Domain::ALL[d]).collect(),
                topics: tops.into_iter().map(|t| Topic::ALL[t]).collect(),
                difficulty,
                status: if draft { Status::Draft } else { Status::Reviewed },
            }
        })
}

proptest! {
    #[test]
    fn moodle_round_trip_of_generated_banks(items in proptest::collection::vec(item_strategy(), 0..6)) {
        let bank = Bank { items };
        let back = moodle::import(&moodle::export(&bank, "gen & <test>")).unwrap();
        prop_assert_eq!(back.bank, bank);
    }
}
