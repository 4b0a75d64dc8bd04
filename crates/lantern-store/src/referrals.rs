//! Closed-loop referrals, consents and the accounting of disclosures.
//!
//! A referral names the person, the sender, the service by its HSDS id and a
//! snapshot of the service name, organization and phone taken when it is made.
//! When the receiving organization is linked to an organization on this
//! deployment (`directory_org_links`), the referral shows in that
//! organization's inbox. Sharing information with the program needs a
//! consent that covers it (`lantern_domain::consent::find_covering`), checked
//! inside the transaction that records the disclosure; a refusal records a
//! `denied` audit row and nothing else. Every change is audited in the
//! person's organization's chain, whoever makes it.
//!
//! **The directory seam.** The directory tables come from another part of the
//! project. `Store::referral_service_snapshot` is the one place that reads a service's
//! snapshot from the directory; every other function takes the snapshot it
//! returns. Until the directory is present it answers "not listed", and
//! referrals are made to programs typed in by the specialist or to linked
//! programs (`directory_org_links`).

use jiff::civil::Date;
use lantern_domain::consent::{find_covering, At, Consent, Disclosure, InfoKind, NewConsent, NotCovered, Purpose};
use lantern_domain::referral::{check_move, MoveInput, Outcome, ReferralDraft, Side, Status};
use sqlx::any::AnyRow;

use crate::audit::{append, NewEntry};
use crate::people::{add_timeline, today_in, Scope};
use crate::users::Who;
use crate::{row, Result, Store, StoreError};

/// What a referral keeps of the service it was made to.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ServiceSnapshot {
    /// HSDS service id; empty for a program typed in by hand.
    pub service_id: String,
    pub service_name: String,
    /// HSDS organization id; empty for a program typed in by hand.
    pub organization_id: String,
    pub organization_name: String,
    pub phone: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirectoryLink {
    pub directory_org_id: String,
    pub directory_org_name: String,
    pub lantern_org_id: i64,
    pub lantern_org_name: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsentRow {
    pub consent: Consent,
    pub org_id: i64,
    pub signature: String,
    pub recorded_by: String,
    pub recorded_ms: i64,
    pub revoked_by: Option<String>,
    pub revoke_reason: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReferralRow {
    pub id: i64,
    pub org_id: i64,
    pub org_name: String,
    pub person_id: i64,
    pub person_name: String,
    pub sender_id: i64,
    pub sender_name: String,
    pub service: ServiceSnapshot,
    pub receiving_org_id: Option<i64>,
    pub person_choice: String,
    pub reason: String,
    pub goals: String,
    pub substance_use: String,
    pub shared: Vec<InfoKind>,
    pub consent_id: Option<i64>,
    pub status: Status,
    pub follow_up_on: Option<Date>,
    pub outcome: Option<Outcome>,
    pub outcome_reason: String,
    pub created_ms: i64,
    pub updated_ms: i64,
    pub closed_ms: Option<i64>,
    pub version: i64,
}

impl ReferralRow {
    pub fn is_overdue(&self, today: Date) -> bool {
        !self.status.is_closed() && self.follow_up_on.is_some_and(|d| d < today)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventRow {
    pub status_from: String,
    pub status_to: Status,
    pub actor_name: String,
    pub actor_org_name: String,
    pub outcome: String,
    pub note: String,
    pub at_ms: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DisclosureRow {
    pub id: i64,
    pub person_id: i64,
    pub referral_id: Option<i64>,
    pub consent_id: i64,
    pub recipient_org_id: String,
    pub recipient_name: String,
    pub purpose: String,
    pub kinds: Vec<InfoKind>,
    pub disclosed_by: String,
    pub disclosed_ms: i64,
}

/// A referral ready to save: the checked form plus the service snapshot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewReferral {
    pub draft: ReferralDraft,
    pub service: ServiceSnapshot,
}

/// One row of the referral report: a program (receiving organization) × month made.
#[derive(Debug, Clone, PartialEq)]
pub struct ReportRow {
    pub month: String,
    pub program: String,
    pub made: i64,
    pub open: i64,
    pub overdue: i64,
    pub closed: i64,
    pub completed: i64,
    /// Closed ÷ made, in percent (one decimal).
    pub closure_rate: f64,
    /// Median days from referral to closing, over the closed ones.
    pub median_days_to_close: Option<f64>,
}

const COLS: &str = "r.id, r.org_id, o.name AS org_name, r.person_id, CASE WHEN p.preferred_name = '' THEN p.legal_name ELSE p.preferred_name END AS person_name,
    r.sender_id, u.display_name AS sender_name, r.service_id, r.service_name, r.organization_id, r.organization_name, r.phone, r.receiving_org_id,
    r.person_choice, r.reason, r.goals, r.substance_use, r.shared_kinds, r.consent_id, r.status, r.follow_up_on, r.outcome, r.outcome_reason,
    r.created_ms, r.updated_ms, r.closed_ms, r.version";
const FROM: &str = "referrals r JOIN people p ON p.id = r.person_id JOIN users u ON u.id = r.sender_id JOIN orgs o ON o.id = r.org_id";

fn referral_from(r: &AnyRow) -> Result<ReferralRow> {
    Ok(ReferralRow {
        id: row::i(r, "id")?,
        org_id: row::i(r, "org_id")?,
        org_name: row::s(r, "org_name")?,
        person_id: row::i(r, "person_id")?,
        person_name: row::s(r, "person_name")?,
        sender_id: row::i(r, "sender_id")?,
        sender_name: row::s(r, "sender_name")?,
        service: ServiceSnapshot {
            service_id: row::s(r, "service_id")?,
            service_name: row::s(r, "service_name")?,
            organization_id: row::s(r, "organization_id")?,
            organization_name: row::s(r, "organization_name")?,
            phone: row::s(r, "phone")?,
        },
        receiving_org_id: row::oi(r, "receiving_org_id")?,
        person_choice: row::s(r, "person_choice")?,
        reason: row::s(r, "reason")?,
        goals: row::s(r, "goals")?,
        substance_use: row::s(r, "substance_use")?,
        shared: InfoKind::split(&row::s(r, "shared_kinds")?),
        consent_id: row::oi(r, "consent_id")?,
        status: Status::parse(&row::s(r, "status")?).unwrap_or(Status::Requested),
        follow_up_on: row::os(r, "follow_up_on")?.and_then(|d| d.parse().ok()),
        outcome: Outcome::parse(&row::s(r, "outcome")?),
        outcome_reason: row::s(r, "outcome_reason")?,
        created_ms: row::i(r, "created_ms")?,
        updated_ms: row::i(r, "updated_ms")?,
        closed_ms: row::oi(r, "closed_ms")?,
        version: row::i(r, "version")?,
    })
}

const CONSENT_COLS: &str = "c.id, c.org_id, c.person_id, c.recipient_org_id, c.recipient_name, c.purposes, c.kinds, c.starts_on, c.expires_on, c.signature,
    c.part2_notice, c.recorded_ms, c.revoked_ms, c.revoke_reason, ru.display_name AS recorded_by, vu.display_name AS revoked_by";
const CONSENT_FROM: &str = "consents c LEFT JOIN users ru ON ru.id = c.recorded_by LEFT JOIN users vu ON vu.id = c.revoked_by";

fn consent_from(r: &AnyRow) -> Result<ConsentRow> {
    let date = |c: &str| -> Result<Date> {
        row::s(r, c)?.parse().map_err(|e| StoreError::Refused(format!("stored consent date {c} is not a date: {e}")))
    };
    Ok(ConsentRow {
        consent: Consent {
            id: row::i(r, "id")?,
            person_id: row::i(r, "person_id")?,
            recipient_org_id: row::s(r, "recipient_org_id")?,
            recipient_name: row::s(r, "recipient_name")?,
            purposes: Purpose::split(&row::s(r, "purposes")?),
            kinds: InfoKind::split(&row::s(r, "kinds")?),
            starts_on: date("starts_on")?,
            expires_on: date("expires_on")?,
            part2_notice: row::i(r, "part2_notice")? == 1,
            revoked_ms: row::oi(r, "revoked_ms")?,
        },
        org_id: row::i(r, "org_id")?,
        signature: row::s(r, "signature")?,
        recorded_by: row::os(r, "recorded_by")?.unwrap_or_default(),
        recorded_ms: row::i(r, "recorded_ms")?,
        revoked_by: row::os(r, "revoked_by")?,
        revoke_reason: row::s(r, "revoke_reason")?,
    })
}

#[allow(clippy::too_many_arguments)]
fn entry(org_id: i64, now: i64, who: &Who, action: &str, person_id: i64, object_type: &str, id: i64, outcome: &str, reason: String) -> NewEntry {
    NewEntry {
        org_id,
        ts_ms: now,
        actor_id: who.actor_id,
        action: action.into(),
        person_id: Some(person_id),
        object_type: object_type.into(),
        object_id: id.to_string(),
        outcome: outcome.into(),
        ip: who.ip.clone(),
        reason,
    }
}

pub(crate) async fn consents_in(conn: &mut sqlx::AnyConnection, org_id: i64, person_id: i64) -> Result<Vec<ConsentRow>> {
    let rows = sqlx::query(&format!("SELECT {CONSENT_COLS} FROM {CONSENT_FROM} WHERE c.org_id = $1 AND c.person_id = $2 ORDER BY c.recorded_ms DESC, c.id DESC"))
        .bind(org_id)
        .bind(person_id)
        .fetch_all(&mut *conn)
        .await?;
    rows.iter().map(consent_from).collect()
}

impl Store {
    // ----- the directory seam ------------------------------------------------------

    /// The one place a service's snapshot is read from the directory (HSDS
    /// service id → name, organization id and name, main phone), as visible to
    /// `viewer_org` (shared listings, and its own private ones); `None` when
    /// the caller may not see such a service.
    pub async fn referral_service_snapshot(&self, viewer_org: i64, service_id: &str) -> Result<Option<ServiceSnapshot>> {
        let s = match self.directory_service(crate::directory::Viewer::Org(viewer_org), service_id).await {
            Ok(s) => s,
            Err(StoreError::NotFound) => return Ok(None),
            Err(e) => return Err(e),
        };
        let phone = s.phone_numbers().first().map(|n| n.to_string()).unwrap_or_default();
        let mut organization_name = s.organization.as_ref().map(|o| o.name.clone()).unwrap_or_default();
        if organization_name.is_empty() {
            if let Some(oid) = s.organization_id.as_deref() {
                organization_name = self.directory_organization(crate::directory::Viewer::Org(viewer_org), oid).await.map(|o| o.name).unwrap_or_default();
            }
        }
        Ok(Some(ServiceSnapshot {
            service_id: s.id.clone(),
            service_name: s.name.clone(),
            organization_id: s.organization_id.clone().unwrap_or_default(),
            organization_name,
            phone,
        }))
    }

    /// Programs (directory organizations) that are organizations on this deployment.
    pub async fn directory_links(&self) -> Result<Vec<DirectoryLink>> {
        let rows = sqlx::query(
            "SELECT l.directory_org_id, l.directory_org_name, l.lantern_org_id, o.name FROM directory_org_links l JOIN orgs o ON o.id = l.lantern_org_id ORDER BY l.directory_org_name, l.directory_org_id",
        )
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(DirectoryLink {
                    directory_org_id: row::s(r, "directory_org_id")?,
                    directory_org_name: row::s(r, "directory_org_name")?,
                    lantern_org_id: row::i(r, "lantern_org_id")?,
                    lantern_org_name: row::s(r, "name")?,
                })
            })
            .collect()
    }

    pub async fn directory_link(&self, directory_org_id: &str) -> Result<Option<DirectoryLink>> {
        Ok(self.directory_links().await?.into_iter().find(|l| l.directory_org_id == directory_org_id))
    }

    /// An admin says "this directory organization is us": referrals to it arrive in `org_id`'s inbox.
    pub async fn link_directory_org(&self, org_id: i64, directory_org_id: &str, directory_org_name: &str, who: &Who) -> Result<()> {
        let (id, name) = (directory_org_id.trim(), directory_org_name.trim());
        let mut errors = lantern_domain::validate::ValidationErrors::default();
        let id = lantern_domain::validate::text(&mut errors, "directory_org_id", id, true, 200);
        let name = lantern_domain::validate::text(&mut errors, "directory_org_name", name, true, 300);
        if !errors.is_empty() {
            return Err(errors.into());
        }
        let now = self.now_ms();
        let mut tx = self.begin_write().await?;
        let existing: Option<i64> = sqlx::query_scalar("SELECT lantern_org_id FROM directory_org_links WHERE directory_org_id = $1").bind(&id).fetch_optional(&mut *tx).await?;
        if existing.is_some() {
            return Err(StoreError::Conflict(format!("the directory organization {id:?} is already linked to an organization on this deployment")));
        }
        sqlx::query("INSERT INTO directory_org_links (directory_org_id, directory_org_name, lantern_org_id, linked_by, linked_ms) VALUES ($1, $2, $3, $4, $5)")
            .bind(&id)
            .bind(&name)
            .bind(org_id)
            .bind(who.actor_id)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        append(&mut tx, &NewEntry { org_id, ts_ms: now, actor_id: who.actor_id, action: "directory_link.create".into(), person_id: None, object_type: "directory_link".into(), object_id: id.clone(), outcome: "ok".into(), ip: who.ip.clone(), reason: name }).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Removes a link the organization made; open referrals keep arriving in its inbox.
    pub async fn unlink_directory_org(&self, org_id: i64, directory_org_id: &str, who: &Who) -> Result<()> {
        let now = self.now_ms();
        let mut tx = self.begin_write().await?;
        let done = sqlx::query("DELETE FROM directory_org_links WHERE directory_org_id = $1 AND lantern_org_id = $2").bind(directory_org_id).bind(org_id).execute(&mut *tx).await?;
        if done.rows_affected() != 1 {
            return Err(StoreError::NotFound);
        }
        append(&mut tx, &NewEntry { org_id, ts_ms: now, actor_id: who.actor_id, action: "directory_link.remove".into(), person_id: None, object_type: "directory_link".into(), object_id: directory_org_id.into(), outcome: "ok".into(), ip: who.ip.clone(), reason: String::new() }).await?;
        tx.commit().await?;
        Ok(())
    }

    // ----- consents ------------------------------------------------------------------

    /// Records a checked consent; audited.
    pub async fn record_consent(&self, org_id: i64, person_id: i64, c: &NewConsent, who: &Who) -> Result<i64> {
        let now = self.now_ms();
        let today = today_in(&self.org_cached(org_id).await?.time_zone, now);
        let mut tx = self.begin_write().await?;
        let ok: Option<i64> = sqlx::query_scalar("SELECT id FROM people WHERE id = $1 AND org_id = $2").bind(person_id).bind(org_id).fetch_optional(&mut *tx).await?;
        ok.ok_or(StoreError::NotFound)?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO consents (org_id, person_id, recipient_org_id, recipient_name, purposes, kinds, starts_on, expires_on, signature, part2_notice, recorded_by, recorded_ms)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id",
        )
        .bind(org_id)
        .bind(person_id)
        .bind(&c.recipient_org_id)
        .bind(&c.recipient_name)
        .bind(Purpose::join(&c.purposes))
        .bind(InfoKind::join(&c.kinds))
        .bind(c.starts_on.to_string())
        .bind(c.expires_on.to_string())
        .bind(&c.signature)
        .bind(c.part2_notice as i64)
        .bind(who.actor_id)
        .bind(now)
        .fetch_one(&mut *tx)
        .await?;
        add_timeline(&mut tx, org_id, person_id, today, now, "consent", "timeline-consent", &c.recipient_name, who.actor_id).await?;
        append(&mut tx, &entry(org_id, now, who, "consent.create", person_id, "consent", id, "ok", format!("{} to {} until {}", InfoKind::join(&c.kinds), c.recipient_name, c.expires_on))).await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Revokes a consent from now on; disclosures already made stay in the accounting.
    pub async fn revoke_consent(&self, org_id: i64, person_id: i64, consent_id: i64, reason: &str, who: &Who) -> Result<()> {
        let mut errors = lantern_domain::validate::ValidationErrors::default();
        let reason = lantern_domain::validate::text(&mut errors, "revoke_reason", reason, false, 2000);
        if !errors.is_empty() {
            return Err(errors.into());
        }
        let now = self.now_ms();
        let today = today_in(&self.org_cached(org_id).await?.time_zone, now);
        let mut tx = self.begin_write().await?;
        let done = sqlx::query("UPDATE consents SET revoked_ms = $4, revoked_by = $5, revoke_reason = $6 WHERE id = $1 AND org_id = $2 AND person_id = $3 AND revoked_ms IS NULL")
            .bind(consent_id)
            .bind(org_id)
            .bind(person_id)
            .bind(now)
            .bind(who.actor_id)
            .bind(&reason)
            .execute(&mut *tx)
            .await?;
        if done.rows_affected() != 1 {
            let exists: Option<i64> = sqlx::query_scalar("SELECT id FROM consents WHERE id = $1 AND org_id = $2 AND person_id = $3").bind(consent_id).bind(org_id).bind(person_id).fetch_optional(&mut *tx).await?;
            return Err(if exists.is_some() { StoreError::Conflict("this consent was already revoked".into()) } else { StoreError::NotFound });
        }
        add_timeline(&mut tx, org_id, person_id, today, now, "consent", "timeline-consent-revoked", "", who.actor_id).await?;
        append(&mut tx, &entry(org_id, now, who, "consent.revoke", person_id, "consent", consent_id, "ok", reason)).await?;
        tx.commit().await?;
        Ok(())
    }

    /// A person's consents, newest first.
    pub async fn consents(&self, org_id: i64, person_id: i64) -> Result<Vec<ConsentRow>> {
        let mut conn = self.pool().acquire().await?;
        consents_in(&mut conn, org_id, person_id).await
    }

    pub async fn consent_row(&self, org_id: i64, id: i64) -> Result<ConsentRow> {
        let r = sqlx::query(&format!("SELECT {CONSENT_COLS} FROM {CONSENT_FROM} WHERE c.id = $1 AND c.org_id = $2"))
            .bind(id)
            .bind(org_id)
            .fetch_optional(self.pool())
            .await?
            .ok_or(StoreError::NotFound)?;
        consent_from(&r)
    }

    /// The moment used for consent checks: the organization's date and the instant.
    pub async fn consent_moment(&self, org_id: i64) -> Result<At> {
        let now = self.now_ms();
        Ok(At { today: today_in(&self.org_cached(org_id).await?.time_zone, now), now_ms: now })
    }

    // ----- referrals -----------------------------------------------------------------

    /// Makes a referral. When information is shared, a consent must cover the
    /// program, the purpose "referral" and every kind shared, now; otherwise
    /// nothing is saved, a `denied` audit row names the reason, and the reason
    /// is returned (`Ok(Err(reason))`). Otherwise the referral, its first
    /// history entry, the disclosure and their audit rows commit together.
    pub async fn create_referral(&self, org_id: i64, person_id: i64, sender_id: i64, r: &NewReferral, who: &Who) -> Result<std::result::Result<i64, NotCovered>> {
        let at = self.consent_moment(org_id).await?;
        let now = at.now_ms;
        let receiving = if r.service.organization_id.is_empty() { None } else { self.directory_link(&r.service.organization_id).await? };
        let mut tx = self.begin_write().await?;
        let ok: Option<i64> = sqlx::query_scalar("SELECT id FROM people WHERE id = $1 AND org_id = $2").bind(person_id).bind(org_id).fetch_optional(&mut *tx).await?;
        ok.ok_or(StoreError::NotFound)?;
        let d = &r.draft;
        let disclosure = Disclosure {
            person_id,
            recipient_org_id: r.service.organization_id.clone(),
            recipient_name: r.service.organization_name.clone(),
            purpose: Purpose::Referral,
            kinds: d.share.clone(),
        };
        let mut consent_id = None;
        if !d.share.is_empty() {
            let consents: Vec<Consent> = consents_in(&mut tx, org_id, person_id).await?.into_iter().map(|c| c.consent).collect();
            match find_covering(&consents, &disclosure, at) {
                Ok(c) => consent_id = Some(c.id),
                Err(reason) => {
                    tx.rollback().await?;
                    self.record_event(NewEntry {
                        org_id,
                        ts_ms: now,
                        actor_id: who.actor_id,
                        action: "disclosure.create".into(),
                        person_id: Some(person_id),
                        object_type: "referral".into(),
                        object_id: String::new(),
                        outcome: "denied".into(),
                        ip: who.ip.clone(),
                        reason: format!("{}: {reason}", reason.code()),
                    })
                    .await?;
                    return Ok(Err(reason));
                }
            }
        }
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO referrals (org_id, person_id, sender_id, service_id, service_name, organization_id, organization_name, phone, receiving_org_id,
                person_choice, reason, goals, substance_use, shared_kinds, consent_id, status, follow_up_on, created_ms, updated_ms, version)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, 'requested', $16, $17, $17, 1) RETURNING id",
        )
        .bind(org_id)
        .bind(person_id)
        .bind(sender_id)
        .bind(&r.service.service_id)
        .bind(&r.service.service_name)
        .bind(&r.service.organization_id)
        .bind(&r.service.organization_name)
        .bind(&r.service.phone)
        .bind(receiving.as_ref().map(|l| l.lantern_org_id))
        .bind(&d.person_choice)
        .bind(&d.reason)
        .bind(&d.goals)
        .bind(&d.substance_use)
        .bind(InfoKind::join(&d.share))
        .bind(consent_id)
        .bind(d.follow_up_on.map(|f| f.to_string()))
        .bind(now)
        .fetch_one(&mut *tx)
        .await?;
        sqlx::query("INSERT INTO referral_events (referral_id, status_from, status_to, actor_id, actor_org_id, note, at_ms) VALUES ($1, '', 'requested', $2, $3, '', $4)")
            .bind(id)
            .bind(who.actor_id)
            .bind(org_id)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        add_timeline(&mut tx, org_id, person_id, at.today, now, "referral", "timeline-referral", &r.service.organization_name, who.actor_id).await?;
        append(&mut tx, &entry(org_id, now, who, "referral.create", person_id, "referral", id, "ok", format!("to {}", r.service.organization_name))).await?;
        if let Some(cid) = consent_id {
            let did: i64 = sqlx::query_scalar(
                "INSERT INTO disclosures (org_id, person_id, referral_id, consent_id, recipient_org_id, recipient_name, receiving_org_id, purpose, kinds, disclosed_by, disclosed_ms)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, 'referral', $8, $9, $10) RETURNING id",
            )
            .bind(org_id)
            .bind(person_id)
            .bind(id)
            .bind(cid)
            .bind(&r.service.organization_id)
            .bind(&r.service.organization_name)
            .bind(receiving.as_ref().map(|l| l.lantern_org_id))
            .bind(InfoKind::join(&d.share))
            .bind(who.actor_id)
            .bind(now)
            .fetch_one(&mut *tx)
            .await?;
            append(&mut tx, &entry(org_id, now, who, "disclosure.create", person_id, "disclosure", did, "ok", format!("{} to {} under consent {cid}", InfoKind::join(&d.share), r.service.organization_name))).await?;
        }
        tx.commit().await?;
        Ok(Ok(id))
    }

    /// One referral, whoever's it is: the caller decides access with `referral::decide_referral`.
    pub async fn referral(&self, id: i64) -> Result<ReferralRow> {
        let r = sqlx::query(&format!("SELECT {COLS} FROM {FROM} WHERE r.id = $1")).bind(id).fetch_optional(self.pool()).await?.ok_or(StoreError::NotFound)?;
        referral_from(&r)
    }

    /// A person's referrals, newest first.
    pub async fn referrals_for_person(&self, org_id: i64, person_id: i64) -> Result<Vec<ReferralRow>> {
        let rows = sqlx::query(&format!("SELECT {COLS} FROM {FROM} WHERE r.org_id = $1 AND r.person_id = $2 ORDER BY r.created_ms DESC, r.id DESC LIMIT 500"))
            .bind(org_id)
            .bind(person_id)
            .fetch_all(self.pool())
            .await?;
        rows.iter().map(referral_from).collect()
    }

    /// Referrals sent to this organization by others on the deployment (open first, newest first).
    pub async fn referral_inbox(&self, receiving_org: i64) -> Result<Vec<ReferralRow>> {
        let rows = sqlx::query(&format!(
            "SELECT {COLS} FROM {FROM} WHERE r.receiving_org_id = $1
             ORDER BY CASE WHEN r.status IN ('rejected', 'completed', 'failed', 'cancelled') THEN 1 ELSE 0 END, r.created_ms DESC, r.id DESC LIMIT 500"
        ))
        .bind(receiving_org)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(referral_from).collect()
    }

    /// Open referrals (the loop is not closed) of the people in scope, soonest follow-up first.
    pub async fn open_referrals(&self, org_id: i64, scope: Scope) -> Result<Vec<ReferralRow>> {
        let (scope_sql, user) = match scope {
            Scope::Mine(u) => ("(r.sender_id = $2 OR r.person_id IN (SELECT p2.id FROM people p2 WHERE p2.org_id = $1 AND p2.primary_specialist_id = $2 UNION SELECT c.person_id FROM care_team c WHERE c.user_id = $2))", u),
            Scope::Team(u) => (
                "(r.sender_id IN (SELECT $2 UNION SELECT m.user_id FROM team_members lead JOIN team_members m ON m.team_id = lead.team_id WHERE lead.user_id = $2 AND lead.is_lead = 1)
                  OR r.person_id IN (SELECT p2.id FROM people p2 WHERE p2.org_id = $1 AND p2.primary_specialist_id IN
                    (SELECT $2 UNION SELECT m.user_id FROM team_members lead JOIN team_members m ON m.team_id = lead.team_id WHERE lead.user_id = $2 AND lead.is_lead = 1)
                    UNION SELECT c.person_id FROM care_team c WHERE c.user_id = $2))",
                u,
            ),
            Scope::Org => ("($2 = $2)", 0),
        };
        let rows = sqlx::query(&format!(
            "SELECT {COLS} FROM {FROM} WHERE r.org_id = $1 AND {scope_sql} AND r.status NOT IN ('rejected', 'completed', 'failed', 'cancelled')
             ORDER BY CASE WHEN r.follow_up_on IS NULL THEN 1 ELSE 0 END, r.follow_up_on, r.created_ms, r.id LIMIT 1000"
        ))
        .bind(org_id)
        .bind(user)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(referral_from).collect()
    }

    /// Follow-ups due by `through` on referrals a specialist sent or whose person they support (their caseload's "what is due").
    pub async fn referral_follow_ups_due(&self, org_id: i64, user_id: i64, through: Date) -> Result<Vec<ReferralRow>> {
        let through = through.to_string();
        Ok(self.open_referrals(org_id, Scope::Mine(user_id)).await?.into_iter().filter(|r| r.follow_up_on.is_some_and(|d| d.to_string() <= through)).collect())
    }

    /// The status history, oldest first.
    pub async fn referral_events(&self, referral_id: i64) -> Result<Vec<EventRow>> {
        let rows = sqlx::query(
            "SELECT e.status_from, e.status_to, COALESCE(u.display_name, '') AS actor_name, o.name AS org_name, e.outcome, e.note, e.at_ms
             FROM referral_events e LEFT JOIN users u ON u.id = e.actor_id JOIN orgs o ON o.id = e.actor_org_id WHERE e.referral_id = $1 ORDER BY e.id",
        )
        .bind(referral_id)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(EventRow {
                    status_from: row::s(r, "status_from")?,
                    status_to: Status::parse(&row::s(r, "status_to")?).unwrap_or(Status::Requested),
                    actor_name: row::s(r, "actor_name")?,
                    actor_org_name: row::s(r, "org_name")?,
                    outcome: row::s(r, "outcome")?,
                    note: row::s(r, "note")?,
                    at_ms: row::i(r, "at_ms")?,
                })
            })
            .collect()
    }

    /// Moves a referral's status for one side, checked by the domain machine
    /// against the stored status inside the transaction; history and audit row
    /// (in the person's organization's chain) commit with it.
    pub async fn change_referral_status(&self, id: i64, side: Side, actor_org: i64, input: &MoveInput, who: &Who) -> Result<Status> {
        let current = self.referral(id).await?;
        let at = self.consent_moment(current.org_id).await?;
        let mut tx = self.begin_write().await?;
        let r = sqlx::query(&format!("SELECT {COLS} FROM {FROM} WHERE r.id = $1")).bind(id).fetch_optional(&mut *tx).await?.ok_or(StoreError::NotFound)?;
        let r = referral_from(&r)?;
        let m = check_move(r.status, side, r.receiving_org_id.is_some(), input, at.today)?;
        let closed_ms = if m.to.is_closed() { Some(at.now_ms) } else { None };
        let follow_up = m.follow_up_on.map(|d| d.to_string()).or(r.follow_up_on.map(|d| d.to_string()));
        let done = sqlx::query(
            "UPDATE referrals SET status = $3, outcome = $4, outcome_reason = $5, follow_up_on = $6, closed_ms = $7, updated_ms = $8, version = version + 1
             WHERE id = $1 AND status = $2",
        )
        .bind(id)
        .bind(r.status.code())
        .bind(m.to.code())
        .bind(m.outcome.map(|o| o.code()).unwrap_or(""))
        .bind(if m.to.is_closed() { m.reason.clone() } else { r.outcome_reason.clone() })
        .bind(follow_up)
        .bind(closed_ms)
        .bind(at.now_ms)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() != 1 {
            return Err(StoreError::Conflict("this referral was changed by someone else; reload and try again".into()));
        }
        let note = [m.reason.as_str(), m.note.as_str()].iter().filter(|s| !s.is_empty()).copied().collect::<Vec<_>>().join(" — ");
        sqlx::query("INSERT INTO referral_events (referral_id, status_from, status_to, actor_id, actor_org_id, outcome, note, at_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)")
            .bind(id)
            .bind(r.status.code())
            .bind(m.to.code())
            .bind(who.actor_id)
            .bind(actor_org)
            .bind(m.outcome.map(|o| o.code()).unwrap_or(""))
            .bind(&note)
            .bind(at.now_ms)
            .execute(&mut *tx)
            .await?;
        if m.to.is_closed() {
            add_timeline(&mut tx, r.org_id, r.person_id, at.today, at.now_ms, "referral", "timeline-referral-closed", &r.service.organization_name, who.actor_id).await?;
        }
        let side_name = if side == Side::Sender { "sender" } else { "receiver" };
        append(&mut tx, &entry(r.org_id, at.now_ms, who, "referral.status", r.person_id, "referral", id, "ok", format!("{} -> {} by {side_name} (org {actor_org})", r.status.code(), m.to.code()))).await?;
        tx.commit().await?;
        Ok(m.to)
    }

    /// The kinds of information the receiving program may see now: those shared
    /// with it that the consent still covers. The reason is given when the consent no longer covers them.
    pub async fn receiver_visible_kinds(&self, r: &ReferralRow) -> Result<(Vec<InfoKind>, Option<NotCovered>)> {
        let Some(cid) = r.consent_id else { return Ok((vec![], None)) };
        if r.shared.is_empty() {
            return Ok((vec![], None));
        }
        let c = self.consent_row(r.org_id, cid).await?;
        let at = self.consent_moment(r.org_id).await?;
        let d = Disclosure { person_id: r.person_id, recipient_org_id: r.service.organization_id.clone(), recipient_name: r.service.organization_name.clone(), purpose: Purpose::Referral, kinds: r.shared.clone() };
        match lantern_domain::consent::covers(Some(&c.consent), &d, at) {
            Ok(()) => Ok((r.shared.clone(), None)),
            Err(e) => Ok((vec![], Some(e))),
        }
    }

    /// The accounting of disclosures for a person, newest first.
    pub async fn disclosures_for_person(&self, org_id: i64, person_id: i64) -> Result<Vec<DisclosureRow>> {
        let rows = sqlx::query(
            "SELECT d.id, d.person_id, d.referral_id, d.consent_id, d.recipient_org_id, d.recipient_name, d.purpose, d.kinds, COALESCE(u.display_name, '') AS by_name, d.disclosed_ms
             FROM disclosures d LEFT JOIN users u ON u.id = d.disclosed_by WHERE d.org_id = $1 AND d.person_id = $2 ORDER BY d.disclosed_ms DESC, d.id DESC",
        )
        .bind(org_id)
        .bind(person_id)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(DisclosureRow {
                    id: row::i(r, "id")?,
                    person_id: row::i(r, "person_id")?,
                    referral_id: row::oi(r, "referral_id")?,
                    consent_id: row::i(r, "consent_id")?,
                    recipient_org_id: row::s(r, "recipient_org_id")?,
                    recipient_name: row::s(r, "recipient_name")?,
                    purpose: row::s(r, "purpose")?,
                    kinds: InfoKind::split(&row::s(r, "kinds")?),
                    disclosed_by: row::s(r, "by_name")?,
                    disclosed_ms: row::i(r, "disclosed_ms")?,
                })
            })
            .collect()
    }

    /// Referrals made from `from` to `to` (inclusive, the organization's dates), by
    /// receiving program and month made: made, open, overdue, closed, completed,
    /// closure rate and median days to close. Computed from the rows, the same on both databases.
    pub async fn referral_report(&self, org_id: i64, from: Date, to: Date) -> Result<Vec<ReportRow>> {
        let tz_name = self.org_cached(org_id).await?.time_zone;
        let tz = jiff::tz::TimeZone::get(&tz_name).unwrap_or(jiff::tz::TimeZone::UTC);
        let start = from.to_zoned(tz.clone()).map_err(|e| StoreError::Refused(e.to_string()))?.timestamp().as_millisecond();
        let end_day = to.checked_add(jiff::Span::new().days(1)).map_err(|e| StoreError::Refused(e.to_string()))?;
        let end = end_day.to_zoned(tz.clone()).map_err(|e| StoreError::Refused(e.to_string()))?.timestamp().as_millisecond();
        let today = today_in(&tz_name, self.now_ms());
        let rows = sqlx::query(&format!("SELECT {COLS} FROM {FROM} WHERE r.org_id = $1 AND r.created_ms >= $2 AND r.created_ms < $3"))
            .bind(org_id)
            .bind(start)
            .bind(end)
            .fetch_all(self.pool())
            .await?;
        let mut groups: std::collections::BTreeMap<(String, String), Vec<ReferralRow>> = Default::default();
        for r in rows.iter().map(referral_from) {
            let r = r?;
            let month = jiff::Timestamp::from_millisecond(r.created_ms).map(|t| t.to_zoned(tz.clone()).strftime("%Y-%m").to_string()).unwrap_or_default();
            groups.entry((month, r.service.organization_name.clone())).or_default().push(r);
        }
        Ok(groups
            .into_iter()
            .map(|((month, program), rs)| {
                let made = rs.len() as i64;
                let closed: Vec<&ReferralRow> = rs.iter().filter(|r| r.status.is_closed()).collect();
                let mut days: Vec<f64> = closed.iter().filter_map(|r| r.closed_ms.map(|c| (c - r.created_ms) as f64 / 86_400_000.0)).collect();
                days.sort_by(|a, b| a.total_cmp(b));
                let median = if days.is_empty() {
                    None
                } else if days.len() % 2 == 1 {
                    Some(days[days.len() / 2])
                } else {
                    Some((days[days.len() / 2 - 1] + days[days.len() / 2]) / 2.0)
                };
                ReportRow {
                    month,
                    program,
                    made,
                    open: made - closed.len() as i64,
                    overdue: rs.iter().filter(|r| r.is_overdue(today)).count() as i64,
                    closed: closed.len() as i64,
                    completed: rs.iter().filter(|r| r.status == Status::Completed).count() as i64,
                    closure_rate: if made == 0 { 0.0 } else { (closed.len() as f64 * 1000.0 / made as f64).round() / 10.0 },
                    median_days_to_close: median.map(|m| (m * 10.0).round() / 10.0),
                }
            })
            .collect())
    }
}

fn csv_field(s: &str) -> String {
    let s = if s.starts_with(['=', '+', '-', '@', '\t', '\r']) { format!("'{s}") } else { s.to_string() };
    format!("\"{}\"", s.replace('"', "\"\""))
}

/// The referral report as CSV (one row per program × month).
pub fn referral_report_csv(rows: &[ReportRow]) -> String {
    let mut out = String::from("month,program,made,open,overdue,closed,completed,closure_rate_percent,median_days_to_close\r\n");
    for r in rows {
        out.push_str(&format!(
            "{},{},{},{},{},{},{},{:.1},{}\r\n",
            csv_field(&r.month),
            csv_field(&r.program),
            r.made,
            r.open,
            r.overdue,
            r.closed,
            r.completed,
            r.closure_rate,
            r.median_days_to_close.map(|m| format!("{m:.1}")).unwrap_or_default()
        ));
    }
    out
}
