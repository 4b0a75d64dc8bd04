//! Certifications and CE hours: credentials, training records with their
//! certificate files, organizations' own competency frameworks, and the
//! expiry report. Every change is audited in its own transaction; opening a
//! certificate is audited through the view writer.

use jiff::civil::Date;
use lantern_domain::certification::{decode_categories, encode_categories, NewCredential, NewTraining, Training};
use lantern_domain::competency::Framework;
use sha2::{Digest, Sha256};
use sqlx::any::AnyRow;

use crate::audit::{append, NewEntry};
use crate::users::Who;
use crate::{row, Result, Store, StoreError};

/// A stored credential.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CredentialRow {
    pub id: i64,
    pub user_id: i64,
    pub rule_id: String,
    pub board: String,
    pub credential_number: String,
    pub certified_on: Date,
    pub expires_on: Date,
}

/// A stored training record (without the certificate's bytes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrainingRow {
    pub id: i64,
    pub user_id: i64,
    pub title: String,
    pub provider: String,
    pub completed_on: Date,
    pub minutes: i64,
    pub category_minutes: Vec<(String, i64)>,
    pub course_id: String,
    pub delivery: String,
    pub approval_number: String,
    /// Content type and file name of the certificate, if one was uploaded.
    pub certificate: Option<(String, String)>,
}

impl TrainingRow {
    /// The record as the renewal rules see it.
    pub fn to_domain(&self) -> Training {
        Training {
            id: self.id,
            title: self.title.clone(),
            provider: self.provider.clone(),
            completed_on: Some(self.completed_on),
            minutes: self.minutes,
            category_minutes: self.category_minutes.clone(),
            course_id: self.course_id.clone(),
            delivery: self.delivery.clone(),
            approval_number: self.approval_number.clone(),
            has_certificate: self.certificate.is_some(),
        }
    }
}

/// An uploaded certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Certificate {
    pub content_type: String,
    pub file_name: String,
    pub bytes: Vec<u8>,
}

/// One line of the expiry report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExpiringRow {
    pub credential_id: i64,
    pub user_id: i64,
    pub display_name: String,
    pub email: String,
    pub rule_id: String,
    pub board: String,
    pub credential_number: String,
    pub expires_on: Date,
}

/// An organization's own framework version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FrameworkRow {
    pub id: i64,
    pub framework: Framework,
    pub added_by: String,
    pub added_ms: i64,
}

fn date(r: &AnyRow, c: &str) -> Result<Date> {
    let s = row::s(r, c)?;
    s.parse().map_err(|_| StoreError::Refused(format!("stored date {c} is not a date: {s}")))
}

fn credential_from(r: &AnyRow) -> Result<CredentialRow> {
    Ok(CredentialRow {
        id: row::i(r, "id")?,
        user_id: row::i(r, "user_id")?,
        rule_id: row::s(r, "rule_id")?,
        board: row::s(r, "board")?,
        credential_number: row::s(r, "credential_number")?,
        certified_on: date(r, "certified_on")?,
        expires_on: date(r, "expires_on")?,
    })
}

fn training_from(r: &AnyRow) -> Result<TrainingRow> {
    let ct = row::os(r, "content_type")?;
    let name = row::os(r, "file_name")?;
    Ok(TrainingRow {
        id: row::i(r, "id")?,
        user_id: row::i(r, "user_id")?,
        title: row::s(r, "title")?,
        provider: row::s(r, "provider")?,
        completed_on: date(r, "completed_on")?,
        minutes: row::i(r, "minutes")?,
        category_minutes: decode_categories(&row::s(r, "category_minutes")?),
        course_id: row::s(r, "course_id")?,
        delivery: row::s(r, "delivery")?,
        approval_number: row::s(r, "approval_number")?,
        certificate: ct.zip(name),
    })
}

const CRED_COLS: &str = "id, user_id, rule_id, board, credential_number, certified_on, expires_on";
const TRAINING_COLS: &str = "t.id, t.user_id, t.title, t.provider, t.completed_on, t.minutes, t.category_minutes, t.course_id, t.delivery,
    t.approval_number, c.content_type, c.file_name";

fn entry(org_id: i64, who: &Who, now: i64, action: &str, object_type: &str, object_id: String, reason: String) -> NewEntry {
    NewEntry {
        org_id,
        ts_ms: now,
        actor_id: who.actor_id,
        action: action.into(),
        person_id: None,
        object_type: object_type.into(),
        object_id,
        outcome: "ok".into(),
        ip: who.ip.clone(),
        reason,
    }
}

impl Store {
    /// Records a credential for a staff member (audited).
    pub async fn add_credential(&self, org_id: i64, user_id: i64, c: &NewCredential, who: &Who) -> Result<i64> {
        let now = self.now_ms();
        let mut tx = self.begin_write().await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO credentials (org_id, user_id, rule_id, board, credential_number, certified_on, expires_on, created_ms)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
        )
        .bind(org_id)
        .bind(user_id)
        .bind(&c.rule_id)
        .bind(&c.board)
        .bind(&c.credential_number)
        .bind(c.certified_on.to_string())
        .bind(c.expires_on.to_string())
        .bind(now)
        .fetch_one(&mut *tx)
        .await?;
        append(&mut tx, &entry(org_id, who, now, "credential.add", "credential", id.to_string(), format!("user {user_id}, {}", c.rule_id))).await?;
        tx.commit().await?;
        Ok(id)
    }

    /// A staff member's credentials, soonest expiry first.
    pub async fn credentials(&self, org_id: i64, user_id: i64) -> Result<Vec<CredentialRow>> {
        let rows = sqlx::query(&format!("SELECT {CRED_COLS} FROM credentials WHERE org_id = $1 AND user_id = $2 ORDER BY expires_on, id"))
            .bind(org_id)
            .bind(user_id)
            .fetch_all(self.pool())
            .await?;
        rows.iter().map(credential_from).collect()
    }

    /// Records a training (and its certificate, if any) in one audited transaction.
    pub async fn add_training(&self, org_id: i64, user_id: i64, t: &NewTraining, cert: Option<&Certificate>, who: &Who) -> Result<i64> {
        let now = self.now_ms();
        let mut tx = self.begin_write().await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO trainings (org_id, user_id, title, provider, completed_on, minutes, category_minutes, course_id, delivery, approval_number, created_ms)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id",
        )
        .bind(org_id)
        .bind(user_id)
        .bind(&t.title)
        .bind(&t.provider)
        .bind(t.completed_on.to_string())
        .bind(t.minutes)
        .bind(encode_categories(&t.category_minutes))
        .bind(&t.course_id)
        .bind(&t.delivery)
        .bind(&t.approval_number)
        .bind(now)
        .fetch_one(&mut *tx)
        .await?;
        let mut reason = format!("user {user_id}, {} min", t.minutes);
        if let Some(c) = cert {
            let hash = hex::encode(Sha256::digest(&c.bytes));
            sqlx::query("INSERT INTO training_certificates (training_id, content_type, file_name, size_bytes, sha256, data) VALUES ($1, $2, $3, $4, $5, $6)")
                .bind(id)
                .bind(&c.content_type)
                .bind(&c.file_name)
                .bind(c.bytes.len() as i64)
                .bind(&hash)
                .bind(c.bytes.clone())
                .execute(&mut *tx)
                .await?;
            reason.push_str(&format!(", certificate {} bytes sha256 {hash}", c.bytes.len()));
        }
        append(&mut tx, &entry(org_id, who, now, "training.add", "training", id.to_string(), reason)).await?;
        tx.commit().await?;
        Ok(id)
    }

    /// A staff member's training records, newest first.
    pub async fn trainings(&self, org_id: i64, user_id: i64) -> Result<Vec<TrainingRow>> {
        let rows = sqlx::query(&format!(
            "SELECT {TRAINING_COLS} FROM trainings t LEFT JOIN training_certificates c ON c.training_id = t.id
             WHERE t.org_id = $1 AND t.user_id = $2 ORDER BY t.completed_on DESC, t.id DESC"
        ))
        .bind(org_id)
        .bind(user_id)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(training_from).collect()
    }

    /// One training record in an organization (for the certificate route's policy check).
    pub async fn training(&self, org_id: i64, id: i64) -> Result<TrainingRow> {
        let r = sqlx::query(&format!(
            "SELECT {TRAINING_COLS} FROM trainings t LEFT JOIN training_certificates c ON c.training_id = t.id WHERE t.org_id = $1 AND t.id = $2"
        ))
        .bind(org_id)
        .bind(id)
        .fetch_optional(self.pool())
        .await?
        .ok_or(StoreError::NotFound)?;
        training_from(&r)
    }

    /// A training's certificate file. The caller has decided access and audits the view.
    pub async fn training_certificate(&self, org_id: i64, training_id: i64) -> Result<Option<Certificate>> {
        let r = sqlx::query(
            "SELECT c.content_type, c.file_name, c.data FROM training_certificates c JOIN trainings t ON t.id = c.training_id
             WHERE t.org_id = $1 AND c.training_id = $2",
        )
        .bind(org_id)
        .bind(training_id)
        .fetch_optional(self.pool())
        .await?;
        let Some(r) = r else { return Ok(None) };
        use sqlx::Row;
        Ok(Some(Certificate { content_type: row::s(&r, "content_type")?, file_name: row::s(&r, "file_name")?, bytes: r.try_get::<Vec<u8>, _>("data")? }))
    }

    /// Credentials in an organization expiring from `from` to `to` (both included), soonest first.
    pub async fn expiring_credentials(&self, org_id: i64, from: Date, to: Date) -> Result<Vec<ExpiringRow>> {
        let rows = sqlx::query(
            "SELECT c.id, c.user_id, u.display_name, u.email, c.rule_id, c.board, c.credential_number, c.expires_on
             FROM credentials c JOIN users u ON u.id = c.user_id
             WHERE c.org_id = $1 AND c.expires_on >= $2 AND c.expires_on <= $3 AND u.active = 1 ORDER BY c.expires_on, u.display_name, c.id",
        )
        .bind(org_id)
        .bind(from.to_string())
        .bind(to.to_string())
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(ExpiringRow {
                    credential_id: row::i(r, "id")?,
                    user_id: row::i(r, "user_id")?,
                    display_name: row::s(r, "display_name")?,
                    email: row::s(r, "email")?,
                    rule_id: row::s(r, "rule_id")?,
                    board: row::s(r, "board")?,
                    credential_number: row::s(r, "credential_number")?,
                    expires_on: date(r, "expires_on")?,
                })
            })
            .collect()
    }

    /// Adds a version of an organization's own competency framework (audited).
    /// A key and version already added is a conflict: versions never change.
    pub async fn add_framework(&self, org_id: i64, f: &Framework, who: &Who) -> Result<i64> {
        let by = who.actor_id.ok_or_else(|| StoreError::Refused("a framework needs the person who adds it".into()))?;
        if f.key == lantern_domain::competency::samhsa().key {
            return Err(StoreError::Conflict("the key samhsa is the built-in framework; choose another key".into()));
        }
        let now = self.now_ms();
        let mut tx = self.begin_write().await?;
        let exists: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM competency_frameworks WHERE org_id = $1 AND fw_key = $2 AND version = $3")
            .bind(org_id)
            .bind(&f.key)
            .bind(f.version as i64)
            .fetch_one(&mut *tx)
            .await?;
        if exists > 0 {
            return Err(StoreError::Conflict(format!("{} version {} is already there; give the new one a higher version", f.key, f.version)));
        }
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO competency_frameworks (org_id, fw_key, version, title, body, added_by, added_ms) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
        )
        .bind(org_id)
        .bind(&f.key)
        .bind(f.version as i64)
        .bind(&f.title)
        .bind(f.to_json())
        .bind(by)
        .bind(now)
        .fetch_one(&mut *tx)
        .await?;
        append(&mut tx, &entry(org_id, who, now, "framework.add", "competency_framework", id.to_string(), format!("{} v{}", f.key, f.version))).await?;
        tx.commit().await?;
        Ok(id)
    }

    /// An organization's own frameworks, every version, newest first.
    pub async fn frameworks(&self, org_id: i64) -> Result<Vec<FrameworkRow>> {
        let rows = sqlx::query(
            "SELECT f.id, f.body, u.display_name, f.added_ms FROM competency_frameworks f JOIN users u ON u.id = f.added_by
             WHERE f.org_id = $1 ORDER BY f.fw_key, f.version DESC",
        )
        .bind(org_id)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                let body = row::s(r, "body")?;
                let framework = lantern_domain::competency::parse_framework(&body).map_err(|e| StoreError::Refused(format!("stored framework: {e}")))?;
                Ok(FrameworkRow { id: row::i(r, "id")?, framework, added_by: row::s(r, "display_name")?, added_ms: row::i(r, "added_ms")? })
            })
            .collect()
    }
}
