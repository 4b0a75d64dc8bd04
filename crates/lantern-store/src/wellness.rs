//! The person's own plans (wellness and action plan, advance directive
//! record, self-advocacy plan) as append-only versions, and the signed
//! advance directive documents kept with the record.

use lantern_domain::wellness::{Link, Plan, PlanKind};
use sha2::{Digest, Sha256};
use sqlx::any::AnyRow;

use crate::audit::{append, NewEntry};
use crate::people::{add_timeline, today_in};
use crate::users::Who;
use crate::{row, Result, Store, StoreError};

/// One saved version of a plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanVersion {
    pub version: i64,
    pub plan: Plan,
    pub saved_by: String,
    pub saved_ms: i64,
}

/// A version in the list of earlier versions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanVersionInfo {
    pub version: i64,
    pub saved_by: String,
    pub saved_ms: i64,
}

/// A stored signed document, without its bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocumentInfo {
    pub id: i64,
    pub file_name: String,
    pub content_type: String,
    pub byte_size: i64,
    pub sha256: String,
    pub uploaded_by: String,
    pub uploaded_ms: i64,
}

/// What is stored for a new document (already checked by the caller).
pub struct NewDocument<'a> {
    pub file_name: &'a str,
    pub content_type: &'a str,
    pub bytes: &'a [u8],
}

fn encode(plan: &Plan) -> String {
    let mut m = serde_json::Map::new();
    for (k, v) in &plan.sections {
        if !v.is_empty() {
            m.insert((*k).to_string(), serde_json::Value::String(v.clone()));
        }
    }
    if !plan.links.is_empty() {
        let links = plan.links.iter().map(|l| serde_json::json!([l.service_id, l.name, l.phone])).collect();
        m.insert("_links".into(), serde_json::Value::Array(links));
    }
    serde_json::Value::Object(m).to_string()
}

fn decode(kind: PlanKind, body: &str) -> Plan {
    let v: serde_json::Value = serde_json::from_str(body).unwrap_or_default();
    let obj = v.as_object().cloned().unwrap_or_default();
    let pairs: Vec<(&str, &str)> = obj.iter().filter_map(|(k, v)| v.as_str().map(|s| (k.as_str(), s))).collect();
    let links = obj
        .get("_links")
        .and_then(|l| l.as_array())
        .map(|a| {
            a.iter()
                .map(|l| {
                    let s = |i: usize| l.get(i).and_then(|x| x.as_str()).unwrap_or("").to_string();
                    Link { service_id: s(0), name: s(1), phone: s(2) }
                })
                .collect()
        })
        .unwrap_or_default();
    Plan::from_pairs(kind, pairs, links)
}

fn version_from(kind: PlanKind, r: &AnyRow) -> Result<PlanVersion> {
    Ok(PlanVersion {
        version: row::i(r, "version")?,
        plan: decode(kind, &row::s(r, "body")?),
        saved_by: row::s(r, "saved_by_name")?,
        saved_ms: row::i(r, "saved_ms")?,
    })
}

fn doc_from(r: &AnyRow) -> Result<DocumentInfo> {
    Ok(DocumentInfo {
        id: row::i(r, "id")?,
        file_name: row::s(r, "file_name")?,
        content_type: row::s(r, "content_type")?,
        byte_size: row::i(r, "byte_size")?,
        sha256: row::s(r, "sha256")?,
        uploaded_by: row::s(r, "uploaded_by_name")?,
        uploaded_ms: row::i(r, "uploaded_ms")?,
    })
}

const DOC_COLS: &str = "d.id, d.file_name, d.content_type, d.byte_size, d.sha256, u.display_name AS uploaded_by_name, d.uploaded_ms";

impl Store {
    /// Saves a new version of one of a person's plans and returns its number.
    /// `expected_version` is the version the writer started from (0 for none):
    /// if someone saved in between, nothing is written and `Conflict` says so.
    pub async fn save_person_plan(&self, org_id: i64, person_id: i64, plan: &Plan, expected_version: i64, who: &Who) -> Result<i64> {
        let author = who.actor_id.ok_or_else(|| StoreError::Refused("a plan needs the person who writes it".into()))?;
        let kind = plan.kind.code();
        let now = self.now_ms();
        let org = self.org_cached(org_id).await?;
        let mut tx = self.begin_write().await?;
        let current: Option<i64> =
            sqlx::query_scalar("SELECT MAX(version) FROM person_plan_versions WHERE person_id = $1 AND org_id = $2 AND kind = $3")
                .bind(person_id)
                .bind(org_id)
                .bind(kind)
                .fetch_one(&mut *tx)
                .await?;
        let current = current.unwrap_or(0);
        if current != expected_version {
            return Err(StoreError::Conflict(format!(
                "the plan was saved by someone else (now version {current}, you started from version {expected_version})"
            )));
        }
        let version = current + 1;
        sqlx::query(
            "INSERT INTO person_plan_versions (org_id, person_id, kind, version, body, saved_by, saved_ms) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(org_id)
        .bind(person_id)
        .bind(kind)
        .bind(version)
        .bind(encode(plan))
        .bind(author)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        let title = format!("timeline-{}-{}", kind.replace('_', "-"), if version == 1 { "new" } else { "updated" });
        add_timeline(&mut tx, org_id, person_id, today_in(&org.time_zone, now), now, kind, &title, "", Some(author)).await?;
        append(&mut tx, &NewEntry {
            org_id, ts_ms: now, actor_id: Some(author), action: format!("{kind}.save"), person_id: Some(person_id),
            object_type: kind.into(), object_id: format!("{person_id}/{version}"), outcome: "ok".into(), ip: who.ip.clone(),
            reason: String::new(),
        })
        .await?;
        tx.commit().await?;
        Ok(version)
    }

    /// The current version of a person's plan of this kind, or a given one.
    pub async fn person_plan(&self, org_id: i64, person_id: i64, kind: PlanKind, version: Option<i64>) -> Result<Option<PlanVersion>> {
        let r = sqlx::query(
            "SELECT p.version, p.body, u.display_name AS saved_by_name, p.saved_ms FROM person_plan_versions p JOIN users u ON u.id = p.saved_by
             WHERE p.org_id = $1 AND p.person_id = $2 AND p.kind = $3
             AND p.version = COALESCE($4, (SELECT MAX(version) FROM person_plan_versions WHERE org_id = $1 AND person_id = $2 AND kind = $3))",
        )
        .bind(org_id)
        .bind(person_id)
        .bind(kind.code())
        .bind(version)
        .fetch_optional(self.pool())
        .await?;
        r.as_ref().map(|r| version_from(kind, r)).transpose()
    }

    /// Every version of a person's plan of this kind, newest first.
    pub async fn person_plan_versions(&self, org_id: i64, person_id: i64, kind: PlanKind) -> Result<Vec<PlanVersionInfo>> {
        let rows = sqlx::query(
            "SELECT p.version, u.display_name AS saved_by_name, p.saved_ms FROM person_plan_versions p JOIN users u ON u.id = p.saved_by
             WHERE p.org_id = $1 AND p.person_id = $2 AND p.kind = $3 ORDER BY p.version DESC",
        )
        .bind(org_id)
        .bind(person_id)
        .bind(kind.code())
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| Ok(PlanVersionInfo { version: row::i(r, "version")?, saved_by: row::s(r, "saved_by_name")?, saved_ms: row::i(r, "saved_ms")? }))
            .collect()
    }

    /// Stores a copy of a person's signed advance directive (checked by the
    /// caller), with its audit row, in one transaction. Returns its id.
    pub async fn save_pad_document(&self, org_id: i64, person_id: i64, doc: &NewDocument<'_>, who: &Who) -> Result<i64> {
        let author = who.actor_id.ok_or_else(|| StoreError::Refused("an upload needs the person who makes it".into()))?;
        let now = self.now_ms();
        let org = self.org_cached(org_id).await?;
        let sha = hex::encode(Sha256::digest(doc.bytes));
        let mut tx = self.begin_write().await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO pad_documents (org_id, person_id, file_name, content_type, byte_size, sha256, content, uploaded_by, uploaded_ms)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
        )
        .bind(org_id)
        .bind(person_id)
        .bind(doc.file_name)
        .bind(doc.content_type)
        .bind(doc.bytes.len() as i64)
        .bind(&sha)
        .bind(doc.bytes)
        .bind(author)
        .bind(now)
        .fetch_one(&mut *tx)
        .await?;
        add_timeline(&mut tx, org_id, person_id, today_in(&org.time_zone, now), now, "pad", "timeline-pad-document", "", Some(author)).await?;
        append(&mut tx, &NewEntry {
            org_id, ts_ms: now, actor_id: Some(author), action: "pad.document.upload".into(), person_id: Some(person_id),
            object_type: "pad_document".into(), object_id: id.to_string(), outcome: "ok".into(), ip: who.ip.clone(),
            reason: format!("{} bytes, sha256 {sha}", doc.bytes.len()),
        })
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// The current signed document of a person's advance directive (without bytes).
    pub async fn pad_document(&self, org_id: i64, person_id: i64) -> Result<Option<DocumentInfo>> {
        let sql = format!(
            "SELECT {DOC_COLS} FROM pad_documents d JOIN users u ON u.id = d.uploaded_by
             WHERE d.org_id = $1 AND d.person_id = $2 ORDER BY d.id DESC LIMIT 1"
        );
        let r = sqlx::query(&sql).bind(org_id).bind(person_id).fetch_optional(self.pool()).await?;
        r.as_ref().map(doc_from).transpose()
    }

    /// How many documents a person's record holds (every upload is kept).
    pub async fn pad_document_count(&self, org_id: i64, person_id: i64) -> Result<i64> {
        Ok(sqlx::query_scalar("SELECT COUNT(*) FROM pad_documents WHERE org_id = $1 AND person_id = $2")
            .bind(org_id)
            .bind(person_id)
            .fetch_one(self.pool())
            .await?)
    }

    /// The bytes of a stored document, and its details. The caller has
    /// decided access; the download itself is audited here (before the bytes
    /// leave), in the person's organization's chain.
    pub async fn pad_document_download(&self, org_id: i64, person_id: i64, mut entry: NewEntry) -> Result<Option<(DocumentInfo, Vec<u8>)>> {
        let sql = format!(
            "SELECT {DOC_COLS}, d.content FROM pad_documents d JOIN users u ON u.id = d.uploaded_by
             WHERE d.org_id = $1 AND d.person_id = $2 ORDER BY d.id DESC LIMIT 1"
        );
        let Some(r) = sqlx::query(&sql).bind(org_id).bind(person_id).fetch_optional(self.pool()).await? else { return Ok(None) };
        let info = doc_from(&r)?;
        let bytes: Vec<u8> = sqlx::Row::try_get(&r, "content")?;
        entry.object_id = info.id.to_string();
        self.record_event(entry).await?;
        Ok(Some((info, bytes)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_plan_survives_the_round_trip() {
        let plan = Plan::from_pairs(
            PlanKind::Advocacy,
            [("goal", "Keep my apartment"), ("ask_for", "A written answer \"by Friday\"\nand a copy")],
            vec![Link { service_id: "s-1".into(), name: "Legal Aid".into(), phone: "305-555-0100".into() }],
        );
        assert_eq!(decode(PlanKind::Advocacy, &encode(&plan)), plan);
    }

    #[test]
    fn a_broken_body_reads_as_an_empty_plan() {
        assert!(decode(PlanKind::Wellness, "not json").is_empty());
    }
}
