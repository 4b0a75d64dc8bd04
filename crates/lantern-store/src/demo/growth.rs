//! Demo data for "My growth": specialist@demo's self-assessments, a
//! supervisor's rating, a growth goal, two past supervision sessions signed by
//! both, and one boundary question; and, for the benchmark, years of signed
//! notes as competency evidence (`generate_growth_evidence`).

use jiff::civil::Date;
use jiff::Span;
use lantern_domain::growth::{parse_assessment, parse_boundary, parse_goal, SessionInput, SessionKind};
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::users::Who;
use crate::{Result, Store, StoreError};

fn invalid(e: lantern_domain::validate::ValidationErrors) -> StoreError {
    StoreError::Invalid(e)
}

pub(super) async fn growth_demo(store: &Store, org_id: i64, supervisor: i64, specialist: i64, person: Option<i64>, as_of: Date) -> Result<()> {
    let me = Who { actor_id: Some(specialist), ip: String::new() };
    let sup = Who { actor_id: Some(supervisor), ip: String::new() };
    for (c, level, comment) in [
        ("1", "3", "People tell me they feel heard. I want to get better at first contacts by phone."),
        ("3", "2", "Still learning when sharing my story helps and when to just listen."),
        ("6", "4", "I know our resource list well and keep it current."),
        ("8", "2", "I stay calm, but I want more practice with safety planning."),
        ("12", "3", "I bring questions to supervision every week."),
    ] {
        store.add_assessment(org_id, specialist, specialist, &parse_assessment(c, level, comment).map_err(invalid)?, &me).await?;
    }
    store
        .add_assessment(org_id, specialist, supervisor, &parse_assessment("3", "3", "Robin shares with purpose and checks in afterwards. Keep it up.").map_err(invalid)?, &sup)
        .await?;
    store
        .add_goal(
            org_id,
            specialist,
            &parse_goal("8", "Feel ready to support someone through a crisis", "Practise a safety plan conversation in supervision\nShadow Sam on two crisis follow-ups\nReview the 988 referral steps")
                .map_err(invalid)?,
            &me,
        )
        .await?;
    for (days, minutes, reflection, decision) in [
        (21i64, 60i64, "Talked through a hard week and how Robin noticed their own stress.", "Robin will keep Fridays for notes."),
        (7, 45, "Robin shared a story with a purpose and asked the person how it landed.", "Practise first-contact phone calls next time."),
    ] {
        let on = as_of.checked_sub(Span::new().days(days)).unwrap_or(as_of);
        let s = SessionInput { kind: SessionKind::Individual, on_date: on, minutes, supervisees: vec![specialist] };
        let id = store.create_supervision(org_id, supervisor, &s, &sup).await?;
        store.add_session_item(org_id, id, "reflection", reflection, None, &me).await?;
        store.add_session_item(org_id, id, "decision", decision, None, &sup).await?;
        store.add_session_item(org_id, id, "action", "Bring one returned note to talk about.", Some(specialist), &sup).await?;
        store.sign_session(org_id, id, supervisor, &sup).await?;
        store.sign_session(org_id, id, specialist, &me).await?;
    }
    if let Some(p) = person {
        let b = parse_boundary(
            "own_meeting",
            "I saw the person at my own Saturday recovery meeting. We said hello.",
            "I kept it friendly and short, and said we could talk about it at our next meeting if they want.",
            "",
        )
        .map_err(invalid)?;
        store.add_boundary(org_id, specialist, p, &b, &me).await?;
    }
    Ok(())
}

/// The activity codes the evidence generator draws from (the default activity types).
const CODES: &[&str] = &["engagement", "sharing_story", "recovery_planning", "resource_linkage", "wellness_skills", "crisis_support", "advocacy", "growth"];

impl Store {
    /// Writes `per_week` signed notes a week for `years` years before `as_of` by
    /// `author`, about people on their caseload, with varied activities: competency
    /// evidence for the benchmark. Minimal notes (no service code, no units).
    pub async fn generate_growth_evidence(&self, org_id: i64, author: i64, years: i64, per_week: usize, as_of: Date, seed: u64) -> Result<usize> {
        let people: Vec<i64> = sqlx::query_scalar("SELECT id FROM people WHERE org_id = $1 AND primary_specialist_id = $2 ORDER BY id LIMIT 200")
            .bind(org_id)
            .bind(author)
            .fetch_all(self.pool())
            .await?;
        if people.is_empty() {
            return Err(StoreError::Refused("the author has nobody on their caseload".into()));
        }
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let now = self.now_ms();
        let weeks = years * 52;
        let mut made = 0usize;
        for chunk in (0..weeks).collect::<Vec<_>>().chunks(26) {
            let mut tx = self.begin_write().await?;
            for w in chunk {
                for _ in 0..per_week {
                    let day = as_of.checked_sub(Span::new().days(w * 7 + rng.gen_range(0..7))).unwrap_or(as_of);
                    let mut acts = vec![*CODES.choose(&mut rng).unwrap_or(&"engagement")];
                    if rng.gen_bool(0.35) {
                        let more = *CODES.choose(&mut rng).unwrap_or(&"growth");
                        if !acts.contains(&more) {
                            acts.push(more);
                        }
                    }
                    let person = *people.choose(&mut rng).unwrap_or(&people[0]);
                    sqlx::query(
                        "INSERT INTO encounters (org_id, person_id, author_id, kind, modality, on_date, minutes, activities, what_we_did, status, signed_by, signed_ms, created_ms, updated_ms)
                         VALUES ($1, $2, $3, 'individual', 'in_person', $4, 30, $5, 'Generated evidence note.', 'signed', $3, $6, $6, $6)",
                    )
                    .bind(org_id)
                    .bind(person)
                    .bind(author)
                    .bind(day.to_string())
                    .bind(acts.join(","))
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
                    made += 1;
                }
            }
            crate::growth::bump_evidence_rev(&mut tx, author).await?;
            tx.commit().await?;
        }
        if self.backend() == crate::Backend::Postgres {
            // What autovacuum would do a little later (planner statistics), so measurements use the usual plans.
            sqlx::raw_sql("VACUUM ANALYZE").execute(self.pool()).await?;
        }
        Ok(made)
    }
}
