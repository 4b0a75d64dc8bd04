//! Mock exams: blueprints as data (`bank/blueprints.json`), assembly of a question set that
//! follows the blueprint's domain weights, timing, and per-domain scores.
//!
//! IC&RC does not publish its PR exam's per-domain weights in any source we could read, so the
//! shipped IC&RC blueprint uses the training-hour split (10/10/10/16 of 46 hours) and every weight
//! in it is marked `placeholder: true`; the pages say so.

use crate::item::{Domain, Item, Status};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BlueprintDomain {
    pub domain: Domain,
    pub weight: f64,
    /// The weight is our assumption, not a published figure.
    pub placeholder: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Blueprint {
    pub id: String,
    pub name: String,
    /// Where the domains and weights come from.
    pub source: String,
    pub questions: u32,
    pub minutes: u32,
    pub pass_percent: u32,
    pub domains: Vec<BlueprintDomain>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ExamError {
    #[error("blueprint {0}: {1}")]
    Blueprint(String, String),
    #[error("the bank has only {have} reviewed question(s) in {domain:?}; the blueprint needs {need}")]
    NotEnough { domain: Domain, have: usize, need: u32 },
}

pub fn shipped_blueprints() -> &'static [Blueprint] {
    static B: std::sync::OnceLock<Vec<Blueprint>> = std::sync::OnceLock::new();
    B.get_or_init(|| {
        let v: Vec<Blueprint> = serde_json::from_str(include_str!("../bank/blueprints.json"))
            .unwrap_or_else(|e| panic!("bank/blueprints.json: {e}"));
        v
    })
}

pub fn blueprint(id: &str) -> Option<&'static Blueprint> {
    shipped_blueprints().iter().find(|b| b.id == id)
}

impl Blueprint {
    pub fn check(&self) -> Result<(), ExamError> {
        let bad = |m: &str| Err(ExamError::Blueprint(self.id.clone(), m.to_string()));
        if self.questions == 0 || self.questions > 200 {
            return bad("questions must be 1–200");
        }
        if self.minutes == 0 || self.minutes > 480 {
            return bad("minutes must be 1–480");
        }
        if self.pass_percent > 100 {
            return bad("pass_percent must be 0–100");
        }
        if self.domains.is_empty() || self.domains.iter().any(|d| !(d.weight > 0.0 && d.weight.is_finite())) {
            return bad("every domain needs a positive weight");
        }
        Ok(())
    }

    pub fn has_placeholders(&self) -> bool {
        self.domains.iter().any(|d| d.placeholder)
    }

    /// Questions per domain: weights scaled to the length, largest remainder first (ties by
    /// blueprint order), so the counts always add up to `questions`.
    pub fn apportion(&self) -> Vec<(Domain, u32)> {
        let total: f64 = self.domains.iter().map(|d| d.weight).sum();
        let exact: Vec<f64> = self.domains.iter().map(|d| d.weight / total * self.questions as f64).collect();
        let mut counts: Vec<u32> = exact.iter().map(|x| x.floor() as u32).collect();
        let mut left = self.questions - counts.iter().sum::<u32>();
        let mut order: Vec<usize> = (0..exact.len()).collect();
        order.sort_by(|&a, &b| {
            let ra = exact[a] - exact[a].floor();
            let rb = exact[b] - exact[b].floor();
            rb.partial_cmp(&ra).unwrap_or(std::cmp::Ordering::Equal).then(a.cmp(&b))
        });
        for i in order {
            if left == 0 {
                break;
            }
            counts[i] += 1;
            left -= 1;
        }
        self.domains.iter().zip(counts).map(|(d, c)| (d.domain, c)).collect()
    }
}

fn mix(seed: u64, s: &str) -> u64 {
    // FNV-1a over the id, mixed with the seed: a stable, seedable shuffle key.
    let mut h: u64 = 0xcbf2_9ce4_8422_2325 ^ seed.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    for b in s.bytes() {
        h ^= b as u64;
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h ^ (h >> 29)
}

/// Picks the questions of one attempt: for each blueprint domain, its share of reviewed items
/// whose primary domain it is, chosen by a seeded shuffle; then the whole set is shuffled.
pub fn assemble(items: &[Item], bp: &Blueprint, seed: u64) -> Result<Vec<String>, ExamError> {
    bp.check()?;
    let mut chosen: Vec<String> = Vec::new();
    for (domain, need) in bp.apportion() {
        let mut pool: Vec<&Item> =
            items.iter().filter(|i| i.status == Status::Reviewed && i.primary_domain() == domain).collect();
        if pool.len() < need as usize {
            return Err(ExamError::NotEnough { domain, have: pool.len(), need });
        }
        pool.sort_by_key(|i| (mix(seed, &i.id), i.id.clone()));
        chosen.extend(pool.into_iter().take(need as usize).map(|i| i.id.clone()));
    }
    chosen.sort_by_key(|id| (mix(seed.rotate_left(17), id), id.clone()));
    Ok(chosen)
}

/// When an answer counts: only if given by the deadline.
pub fn answer_counts(deadline_ms: i64, answered_ms: i64) -> bool {
    answered_ms <= deadline_ms
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DomainScore {
    pub domain: Domain,
    pub correct: u32,
    pub total: u32,
}

impl DomainScore {
    pub fn percent(&self) -> u32 {
        (self.correct * 100).checked_div(self.total).unwrap_or(0)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Score {
    pub correct: u32,
    pub total: u32,
    pub percent: u32,
    pub passed: bool,
    pub domains: Vec<DomainScore>,
}

/// Scores an attempt: `questions` are (primary domain, answered correctly and in time) in exam
/// order; unanswered or late answers count as wrong.
pub fn score(questions: &[(Domain, bool)], pass_percent: u32) -> Score {
    let mut domains: Vec<DomainScore> = Vec::new();
    for &(d, ok) in questions {
        let i = match domains.iter().position(|x| x.domain == d) {
            Some(i) => i,
            None => {
                domains.push(DomainScore { domain: d, correct: 0, total: 0 });
                domains.len() - 1
            }
        };
        domains[i].total += 1;
        domains[i].correct += u32::from(ok);
    }
    domains.sort_by_key(|d| d.domain);
    let correct: u32 = domains.iter().map(|d| d.correct).sum();
    let total = questions.len() as u32;
    let percent = (correct * 100).checked_div(total).unwrap_or(0);
    Score { correct, total, percent, passed: total > 0 && percent >= pass_percent, domains }
}
