//! Appointments: planned meetings, and turning one into a note when it happens.
//!
//! Marking an appointment done creates a draft individual note with the same
//! date, times and modality, and links it, in one transaction with its audit
//! row; a no-show creates an attempted-contact draft the same way.

use jiff::civil::{Date, Time};
use lantern_domain::appointment::{Appointment, Status};
use lantern_domain::encounter::{Kind, Modality, Narrative, NoteContent};
use sqlx::any::AnyRow;

use crate::audit::{append, NewEntry};
use crate::people::add_timeline;
use crate::users::Who;
use crate::{row, Result, Store, StoreError};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppointmentRow {
    pub id: i64,
    pub person_id: i64,
    /// Preferred name, or the legal name when there is none (for staff pages).
    pub person_name: String,
    pub preferred_name: String,
    pub legal_name: String,
    pub specialist_id: i64,
    pub specialist_name: String,
    pub starts_ms: i64,
    pub ends_ms: i64,
    pub on_date: String,
    pub start_local: String,
    pub end_local: String,
    pub modality: String,
    pub place: String,
    pub status: Status,
    pub encounter_id: Option<i64>,
    pub created_ms: i64,
    pub version: i64,
}

const COLS: &str = "a.id, a.person_id, CASE WHEN p.preferred_name = '' THEN p.legal_name ELSE p.preferred_name END AS person_name,
    p.preferred_name, p.legal_name, a.specialist_id, u.display_name AS specialist_name, a.starts_ms, a.ends_ms, a.on_date, a.start_local,
    a.end_local, a.modality, a.place, a.status, a.encounter_id, a.created_ms, a.version";
const FROM: &str = "appointments a JOIN people p ON p.id = a.person_id JOIN users u ON u.id = a.specialist_id";

fn from_row(r: &AnyRow) -> Result<AppointmentRow> {
    Ok(AppointmentRow {
        id: row::i(r, "id")?,
        person_id: row::i(r, "person_id")?,
        person_name: row::s(r, "person_name")?,
        preferred_name: row::s(r, "preferred_name")?,
        legal_name: row::s(r, "legal_name")?,
        specialist_id: row::i(r, "specialist_id")?,
        specialist_name: row::s(r, "specialist_name")?,
        starts_ms: row::i(r, "starts_ms")?,
        ends_ms: row::i(r, "ends_ms")?,
        on_date: row::s(r, "on_date")?,
        start_local: row::s(r, "start_local")?,
        end_local: row::s(r, "end_local")?,
        modality: row::s(r, "modality")?,
        place: row::s(r, "place")?,
        status: Status::parse(&row::s(r, "status")?).unwrap_or(Status::Scheduled),
        encounter_id: row::oi(r, "encounter_id")?,
        created_ms: row::i(r, "created_ms")?,
        version: row::i(r, "version")?,
    })
}

fn entry(org_id: i64, now: i64, who: &Who, action: &str, person_id: i64, id: i64, reason: String) -> NewEntry {
    NewEntry {
        org_id,
        ts_ms: now,
        actor_id: who.actor_id,
        action: action.into(),
        person_id: Some(person_id),
        object_type: "appointment".into(),
        object_id: id.to_string(),
        outcome: "ok".into(),
        ip: who.ip.clone(),
        reason,
    }
}

/// How far back the specialist's list reaches, so meetings not yet marked stay visible.
pub const OVERDUE_WINDOW_MS: i64 = 14 * 24 * 3_600_000;
/// How far ahead "upcoming" reaches.
pub const UPCOMING_WINDOW_MS: i64 = 14 * 24 * 3_600_000;

impl Store {
    /// Plans a meeting with a person; audited, with a timeline entry.
    pub async fn create_appointment(&self, org_id: i64, person_id: i64, specialist_id: i64, a: &Appointment, who: &Who) -> Result<i64> {
        let now = self.now_ms();
        let today = crate::people::today_in(&self.org_cached(org_id).await?.time_zone, now);
        let mut tx = self.begin_write().await?;
        let ok: Option<i64> = sqlx::query_scalar("SELECT id FROM people WHERE id = $1 AND org_id = $2").bind(person_id).bind(org_id).fetch_optional(&mut *tx).await?;
        ok.ok_or(StoreError::NotFound)?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO appointments (org_id, person_id, specialist_id, starts_ms, ends_ms, on_date, start_local, end_local, modality, place, status, created_ms, version)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'scheduled', $11, 1) RETURNING id",
        )
        .bind(org_id)
        .bind(person_id)
        .bind(specialist_id)
        .bind(a.starts_ms)
        .bind(a.ends_ms)
        .bind(a.date.to_string())
        .bind(a.start.strftime("%H:%M").to_string())
        .bind(a.end.strftime("%H:%M").to_string())
        .bind(a.modality.code())
        .bind(&a.place)
        .bind(now)
        .fetch_one(&mut *tx)
        .await?;
        add_timeline(&mut tx, org_id, person_id, today, now, "appointment", "timeline-appointment", &format!("{} {}", a.date, a.start.strftime("%H:%M")), who.actor_id).await?;
        append(&mut tx, &entry(org_id, now, who, "appointment.create", person_id, id, format!("{} {}", a.date, a.modality.code()))).await?;
        tx.commit().await?;
        Ok(id)
    }

    pub async fn appointment(&self, org_id: i64, id: i64) -> Result<AppointmentRow> {
        let r = sqlx::query(&format!("SELECT {COLS} FROM {FROM} WHERE a.id = $1 AND a.org_id = $2"))
            .bind(id)
            .bind(org_id)
            .fetch_optional(self.pool())
            .await?
            .ok_or(StoreError::NotFound)?;
        from_row(&r)
    }

    /// A specialist's scheduled meetings from two weeks back (not yet marked) to two weeks ahead, soonest first.
    pub async fn upcoming_appointments(&self, org_id: i64, specialist_id: i64) -> Result<Vec<AppointmentRow>> {
        let now = self.now_ms();
        let rows = sqlx::query(&format!(
            "SELECT {COLS} FROM {FROM} WHERE a.org_id = $1 AND a.specialist_id = $2 AND a.status = 'scheduled' AND a.starts_ms >= $3 AND a.starts_ms < $4
             ORDER BY a.starts_ms, a.id LIMIT 200"
        ))
        .bind(org_id)
        .bind(specialist_id)
        .bind(now - OVERDUE_WINDOW_MS)
        .bind(now + UPCOMING_WINDOW_MS)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(from_row).collect()
    }

    /// The person's next scheduled meeting that has not ended yet.
    pub async fn next_appointment(&self, org_id: i64, person_id: i64) -> Result<Option<AppointmentRow>> {
        let r = sqlx::query(&format!(
            "SELECT {COLS} FROM {FROM} WHERE a.org_id = $1 AND a.person_id = $2 AND a.status = 'scheduled' AND a.ends_ms >= $3 ORDER BY a.starts_ms, a.id LIMIT 1"
        ))
        .bind(org_id)
        .bind(person_id)
        .bind(self.now_ms())
        .fetch_optional(self.pool())
        .await?;
        r.as_ref().map(from_row).transpose()
    }

    /// It happened: a draft individual note with the same date, times and
    /// modality is created and linked, in one transaction. Returns the note id.
    pub async fn appointment_done(&self, org_id: i64, id: i64, author_id: i64, who: &Who) -> Result<i64> {
        self.resolve(org_id, id, Some((author_id, Kind::Individual)), Status::Done, who).await
    }

    /// They did not come: an attempted-contact draft is created and linked. Returns the note id.
    pub async fn appointment_no_show(&self, org_id: i64, id: i64, author_id: i64, who: &Who) -> Result<i64> {
        self.resolve(org_id, id, Some((author_id, Kind::AttemptedContact)), Status::NoShow, who).await
    }

    pub async fn cancel_appointment(&self, org_id: i64, id: i64, who: &Who) -> Result<()> {
        self.resolve(org_id, id, None, Status::Cancelled, who).await.map(|_| ())
    }

    async fn resolve(&self, org_id: i64, id: i64, note: Option<(i64, Kind)>, to: Status, who: &Who) -> Result<i64> {
        let now = self.now_ms();
        let mut tx = self.begin_write().await?;
        let r = sqlx::query(&format!("SELECT {COLS} FROM {FROM} WHERE a.id = $1 AND a.org_id = $2"))
            .bind(id)
            .bind(org_id)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or(StoreError::NotFound)?;
        let a = from_row(&r)?;
        if a.status != Status::Scheduled {
            return Err(StoreError::Conflict(format!("this meeting is already marked {}", a.status.code())));
        }
        if note.is_some() && a.starts_ms > now {
            // A note cannot be dated in the future: it happened (or was missed) only once it has started.
            return Err(StoreError::Conflict("this meeting has not started yet".into()));
        }
        let mut note_id = None;
        if let Some((author_id, kind)) = note {
            let date: Option<Date> = a.on_date.parse().ok();
            let start: Option<Time> = a.start_local.parse().ok();
            let end: Option<Time> = a.end_local.parse().ok();
            let c = NoteContent {
                kind,
                modality: Modality::parse(&a.modality),
                setting: a.place.clone(),
                date,
                start,
                end,
                start_ms: Some(a.starts_ms),
                end_ms: Some(a.ends_ms),
                minutes: Some((a.ends_ms - a.starts_ms) / 60_000),
                service_code: None,
                activities: vec![],
                narrative: Narrative::default(),
            };
            let nid = crate::encounters::insert_draft(&mut tx, org_id, a.person_id, author_id, &c, now).await?;
            append(&mut tx, &NewEntry {
                org_id, ts_ms: now, actor_id: who.actor_id, action: "encounter.create".into(), person_id: Some(a.person_id),
                object_type: "encounter".into(), object_id: nid.to_string(), outcome: "ok".into(), ip: who.ip.clone(),
                reason: format!("from appointment {id}"),
            })
            .await?;
            note_id = Some(nid);
        }
        let done = sqlx::query("UPDATE appointments SET status = $3, encounter_id = $4, version = version + 1 WHERE id = $1 AND org_id = $2 AND status = 'scheduled'")
            .bind(id)
            .bind(org_id)
            .bind(to.code())
            .bind(note_id)
            .execute(&mut *tx)
            .await?;
        if done.rows_affected() != 1 {
            return Err(StoreError::Conflict("this meeting was changed by someone else".into()));
        }
        append(&mut tx, &entry(org_id, now, who, &format!("appointment.{}", to.code()), a.person_id, id, note_id.map(|n| format!("note {n}")).unwrap_or_default())).await?;
        tx.commit().await?;
        Ok(note_id.unwrap_or(0))
    }
}
