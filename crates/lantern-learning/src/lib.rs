//! Certification exam preparation for peer support specialists.
//!
//! - [`item`]: practice questions, their tags (competency categories I–XII, IC&RC PR domains,
//!   NCPRSS topics) and validation; [`shipped_bank`] is our own original bank (`bank/*.txt`).
//! - [`text`]: the bank's plain-text data format; [`moodle`]: Moodle XML import and export.
//! - [`srs`]: FSRS scheduling (the `fsrs` crate, pinned), replay of a review log, the daily queue
//!   and weak-domain focus.
//! - [`exam`]: mock-exam blueprints (data), assembly, timing rules and per-domain scores.
//!
//! No I/O: everything here parses or produces text it is given.

pub mod exam;
pub mod item;
pub mod moodle;
pub mod srs;
pub mod text;

pub use item::{Bank, Choice, Domain, Item, Problem, Status, Topic};

const BANK_FILES: [&str; 12] = [
    include_str!("../bank/01-engages.txt"),
    include_str!("../bank/02-support.txt"),
    include_str!("../bank/03-lived-experience.txt"),
    include_str!("../bank/04-personalizes.txt"),
    include_str!("../bank/05-recovery-planning.txt"),
    include_str!("../bank/06-resources.txt"),
    include_str!("../bank/07-wellness-skills.txt"),
    include_str!("../bank/08-crises.txt"),
    include_str!("../bank/09-communication.txt"),
    include_str!("../bank/10-collaboration.txt"),
    include_str!("../bank/11-advocacy.txt"),
    include_str!("../bank/12-growth.txt"),
];

/// The original question bank shipped with Lantern (parsed once; panics only if the shipped data
/// file is malformed, which the crate's tests rule out).
pub fn shipped_bank() -> &'static Bank {
    static BANK: std::sync::OnceLock<Bank> = std::sync::OnceLock::new();
    BANK.get_or_init(|| {
        let mut items = Vec::new();
        for (i, file) in BANK_FILES.iter().enumerate() {
            match text::parse(file) {
                Ok(mut v) => items.append(&mut v),
                Err(e) => panic!("shipped bank file {}: {e}", i + 1),
            }
        }
        Bank { items }
    })
}
