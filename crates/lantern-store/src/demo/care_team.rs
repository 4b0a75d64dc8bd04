//! Demo care team for peer@demo's record: an outside provider with a consent
//! for care coordination, two shared tasks, and a handoff note waiting for
//! specialist@demo. Synthetic people and places only.

use jiff::civil::Date;
use jiff::Span;
use lantern_domain::care_team::{NewTask, Provider};
use lantern_domain::consent::{InfoKind, NewConsent, Purpose};

use crate::audit::{append, NewEntry};
use crate::users::Who;
use crate::{Result, Store};

pub(crate) struct Team {
    pub org_id: i64,
    pub person_id: i64,
    pub specialist: i64,
    pub previous_specialist: i64,
    pub supervisor: i64,
    pub as_of: Date,
}

impl Store {
    pub(crate) async fn demo_care_team(&self, t: &Team) -> Result<()> {
        let who = Who::default();
        let day = |n: i64| t.as_of.checked_add(Span::new().days(n)).unwrap_or(t.as_of);
        let provider = Provider {
            name: "Dr. Lee Okonjo".into(),
            organization: "Harbor Family Clinic".into(),
            role: "Primary care doctor".into(),
            contact: "555-0142 (front desk)".into(),
            directory_org_id: String::new(),
        };
        self.add_provider(t.org_id, t.person_id, &provider, &who).await?;
        self.record_consent(
            t.org_id,
            t.person_id,
            &NewConsent {
                recipient_org_id: String::new(),
                recipient_name: "Harbor Family Clinic".into(),
                purposes: vec![Purpose::CareCoordination],
                kinds: vec![InfoKind::Contact, InfoKind::RecoveryGoals],
                starts_on: day(-14),
                expires_on: day(351),
                signature: "Jordan (signed in person)".into(),
                part2_notice: false,
            },
            &who,
        )
        .await?;
        let tasks = [
            (t.specialist, "Call Harbor Family Clinic to confirm Thursday's appointment", "Jordan asked for a morning slot; bring the bus pass.", day(1)),
            (t.supervisor, "Review the housing voucher paperwork with Robin", "", day(5)),
        ];
        for (owner_id, title, details, due_on) in tasks {
            self.create_task(t.org_id, t.person_id, None, &NewTask { title: title.into(), details: details.into(), owner_id, due_on }, &who).await?;
        }
        // A handoff note from when Jordan moved from Kai to Robin, not yet read.
        let now = self.now_ms();
        let mut tx = self.begin_write().await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO handoffs (org_id, person_id, from_user, to_user, note, written_by, created_ms) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
        )
        .bind(t.org_id)
        .bind(t.person_id)
        .bind(t.previous_specialist)
        .bind(t.specialist)
        .bind("Jordan does best with a text the day before we meet, and likes to walk while we talk. They are working toward their own place; the voucher paperwork is half done. Their sister is their main support.")
        .bind(t.supervisor)
        .bind(now)
        .fetch_one(&mut *tx)
        .await?;
        append(&mut tx, &NewEntry {
            org_id: t.org_id, ts_ms: now, actor_id: None, action: "handoff.create".into(), person_id: Some(t.person_id),
            object_type: "handoff".into(), object_id: id.to_string(), outcome: "ok".into(), ip: String::new(), reason: "synthetic demo data".into(),
        })
        .await?;
        tx.commit().await?;
        Ok(())
    }
}
