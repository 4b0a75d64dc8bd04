//! The community resource directory (HSDS 3.1), stored so the HSDS API can serve it exactly.
//!
//! One row per top-level HSDS object (organization, service, location, service_at_location,
//! taxonomy, taxonomy_term) holding its 3.1 JSON document (children nested, as in
//! [`lantern_hsds::Directory`]) plus indexed columns: ids, organization id, owner, modified time,
//! last verified date; `dir_service_terms` and `dir_service_postcodes` index the filters.
//!
//! Visibility: `owner_org_id` NULL is the community directory shared by the whole deployment;
//! a row with an owner is a private listing that only that organization's staff see
//! ([`Viewer`]). Imports go to the community directory, in one transaction, idempotently: each
//! object is created, updated (its document changed) or left unchanged, and every run records
//! what it did per object in `dir_import_changes`.

use std::collections::{BTreeMap, HashMap, HashSet};

use lantern_hsds::model::*;
use lantern_hsds::{nest, Directory};
use serde::de::DeserializeOwned;
use serde::Serialize;
use sha2::{Digest, Sha256};
use sqlx::any::AnyRow;
use sqlx::Row;

use lantern_domain::validate::{FieldError, ValidationErrors};

use crate::audit::{append, NewEntry};
use crate::users::Who;
use crate::{row, Result, Store, StoreError};

/// Who is reading the directory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Viewer {
    /// Anonymous or public access: the community directory only.
    Public,
    /// Staff of this organization: the community directory and its own private listings.
    Org(i64),
}

impl Viewer {
    /// The value bound to `$1` in visibility filters (`owner_org_id IS NULL OR owner_org_id = $1`).
    fn bind(self) -> i64 {
        match self {
            Viewer::Public => -1,
            Viewer::Org(id) => id,
        }
    }
}

const VISIBLE: &str = "(owner_org_id IS NULL OR owner_org_id = $1)";

/// A page request: 1-based page number and page size (1..=1000).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageReq {
    pub page: i64,
    pub per_page: i64,
}

impl Default for PageReq {
    fn default() -> Self {
        PageReq { page: 1, per_page: 50 }
    }
}

impl PageReq {
    fn limit_offset(self) -> (i64, i64) {
        let per = self.per_page.clamp(1, 1000);
        let page = self.page.max(1);
        (per, (page - 1) * per)
    }
}

/// One page of results with the total count (stable order: by id).
#[derive(Debug, Clone, PartialEq)]
pub struct Paged<T> {
    pub items: Vec<T>,
    pub total_items: i64,
    pub page: i64,
    pub per_page: i64,
}

impl<T> Paged<T> {
    /// Number of pages (0 when there are no items).
    pub fn total_pages(&self) -> i64 {
        if self.total_items == 0 {
            0
        } else {
            (self.total_items + self.per_page - 1) / self.per_page
        }
    }
}

/// Filters for the service list (all combine with AND).
#[derive(Debug, Clone, Default)]
pub struct ServiceFilter {
    /// Services carrying any of these taxonomy term ids.
    pub taxonomy_term_ids: Vec<String>,
    /// Services carrying a term of this taxonomy.
    pub taxonomy_id: Option<String>,
    pub organization_id: Option<String>,
    /// Services modified after this instant (UTC ms).
    pub modified_after_ms: Option<i64>,
    /// Services at a location with this postcode, or whose service area names it.
    pub postcode: Option<String>,
}

/// Filters for the taxonomy term list.
#[derive(Debug, Clone, Default)]
pub struct TermFilter {
    pub taxonomy_id: Option<String>,
    pub parent_id: Option<String>,
    /// Only terms without a parent.
    pub top_only: bool,
}

/// What an import did, per object type and in total.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportSummary {
    pub run_id: i64,
    /// `(object type, created, updated, unchanged)` per top-level type.
    pub by_type: Vec<(&'static str, usize, usize, usize)>,
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
}

/// A service with everything a search index needs.
#[derive(Debug, Clone, PartialEq)]
pub struct SearchRecord {
    /// The full service: organization embedded, service_at_locations with their locations
    /// (addresses, coordinates, schedules, accessibility, languages), attributes with terms.
    pub service: Service,
    pub organization_name: String,
    /// The taxonomy terms the service carries.
    pub terms: Vec<TaxonomyTerm>,
    /// `None` for the community directory, else the organization whose private listing it is.
    pub owner_org_id: Option<i64>,
    /// ISO date the listing was last confirmed (from `assured_date`, the import, or a verification).
    pub last_verified: Option<String>,
    pub modified_ms: i64,
}

/// A service past its freshness date.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaleService {
    pub id: String,
    pub name: String,
    pub organization_name: String,
    pub last_verified: Option<String>,
    pub owner_org_id: Option<i64>,
}

/// One verification of a listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verification {
    pub id: i64,
    pub service_id: String,
    pub org_id: i64,
    pub user_id: Option<i64>,
    pub user_name: Option<String>,
    pub verified_on: String,
    pub verified_ms: i64,
    pub confirmed: String,
    pub note: String,
}

fn hash(doc: &str) -> String {
    hex::encode(Sha256::digest(doc.as_bytes()))
}

fn to_doc<T: Serialize>(v: &T) -> String {
    serde_json::to_string(v).expect("HSDS objects always serialize")
}

fn from_doc<T: DeserializeOwned>(doc: &str) -> Result<T> {
    serde_json::from_str(doc).map_err(|e| StoreError::Refused(format!("a stored directory document cannot be read: {e}")))
}

fn today(now_ms: i64) -> String {
    jiff::Timestamp::from_millisecond(now_ms).map(|t| t.to_zoned(jiff::tz::TimeZone::UTC).date().to_string()).unwrap_or_default()
}

/// A value for a batched insert.
#[derive(Debug, Clone)]
enum V {
    S(String),
    OS(Option<String>),
    I(i64),
    OI(Option<i64>),
    OF(Option<f64>),
}

async fn insert_batch(conn: &mut sqlx::AnyConnection, table: &str, cols: &[&str], rows: Vec<Vec<V>>) -> Result<()> {
    if rows.is_empty() {
        return Ok(());
    }
    let per_stmt = (900 / cols.len()).max(1);
    for chunk in rows.chunks(per_stmt) {
        let mut sql = format!("INSERT INTO {table} ({}) VALUES ", cols.join(", "));
        let mut n = 0;
        for (i, _) in chunk.iter().enumerate() {
            if i > 0 {
                sql.push_str(", ");
            }
            sql.push('(');
            for c in 0..cols.len() {
                if c > 0 {
                    sql.push_str(", ");
                }
                n += 1;
                sql.push_str(&format!("${n}"));
            }
            sql.push(')');
        }
        let mut q = sqlx::query(&sql);
        for r in chunk {
            for v in r {
                q = match v {
                    V::S(s) => q.bind(s.clone()),
                    V::OS(s) => q.bind(s.clone()),
                    V::I(i) => q.bind(*i),
                    V::OI(i) => q.bind(*i),
                    V::OF(f) => q.bind(*f),
                };
            }
        }
        q.execute(&mut *conn).await?;
    }
    Ok(())
}

/// One object ready to be written.
struct Prepared {
    id: String,
    doc: String,
    hash: String,
    /// Extra indexed columns, in the order of the table's `extra` list.
    extra: Vec<V>,
}

struct TableSpec {
    object_type: &'static str,
    table: &'static str,
    extra: &'static [&'static str],
}

const ORGS: TableSpec = TableSpec { object_type: "organization", table: "dir_organizations", extra: &["name"] };
const LOCS: TableSpec = TableSpec { object_type: "location", table: "dir_locations", extra: &["organization_id", "latitude", "longitude"] };
const SVCS: TableSpec = TableSpec { object_type: "service", table: "dir_services", extra: &["organization_id", "name", "status"] };
const SALS: TableSpec = TableSpec { object_type: "service_at_location", table: "dir_service_at_locations", extra: &["service_id", "location_id"] };
const TAXES: TableSpec = TableSpec { object_type: "taxonomy", table: "dir_taxonomies", extra: &["name"] };
const TERMS: TableSpec = TableSpec { object_type: "taxonomy_term", table: "dir_taxonomy_terms", extra: &["taxonomy_id", "parent_id", "code", "name"] };

fn prep<T: Serialize>(id: &str, obj: &T, extra: Vec<V>) -> Prepared {
    let doc = to_doc(obj);
    Prepared { id: id.to_owned(), hash: hash(&doc), doc, extra }
}

/// The postcodes a service serves: its locations' addresses and its service areas' names
/// when they look like postcodes.
fn service_postcodes(s: &Service, sal_locs: &[&Location]) -> Vec<String> {
    let mut pcs: Vec<String> = sal_locs.iter().flat_map(|l| l.addresses.iter()).map(|a| a.postal_code.trim().to_owned()).filter(|p| !p.is_empty()).collect();
    for area in &s.service_areas {
        for text in [area.name.as_deref(), area.extent.as_deref()].into_iter().flatten() {
            for word in text.split(|c: char| !c.is_ascii_alphanumeric()) {
                if word.len() == 5 && word.bytes().all(|b| b.is_ascii_digit()) {
                    pcs.push(word.to_owned());
                }
            }
        }
    }
    pcs.sort();
    pcs.dedup();
    pcs
}

impl Store {
    /// Imports a directory into the community directory (or, with `owner`, as that
    /// organization's private listings) in one transaction: all or nothing. Objects are matched
    /// by id: new ones are created, changed ones updated, the rest left unchanged; the run and
    /// each object's outcome are recorded. An id that belongs to another owner is refused.
    /// `progress(done, total)` is called as objects are written.
    pub async fn directory_import(
        &self,
        dir: &Directory,
        source: &str,
        format: &str,
        rejected: usize,
        owner: Option<i64>,
        who: &Who,
        progress: &mut (dyn FnMut(u64, u64) + Send),
    ) -> Result<ImportSummary> {
        self.import_inner(dir, source, format, rejected, owner, who, "directory.import", progress).await
    }

    #[allow(clippy::too_many_arguments)]
    async fn import_inner(
        &self,
        dir: &Directory,
        source: &str,
        format: &str,
        rejected: usize,
        owner: Option<i64>,
        who: &Who,
        action: &str,
        progress: &mut (dyn FnMut(u64, u64) + Send),
    ) -> Result<ImportSummary> {
        let now = self.now_ms();
        let day = today(now);
        let total = (dir.organizations.len() + dir.locations.len() + dir.services.len() + dir.service_at_locations.len() + dir.taxonomies.len() + dir.taxonomy_terms.len()) as u64;
        let mut done = 0u64;
        let src = |id: &str| dir.source_ids.get(id).cloned();

        let orgs: Vec<Prepared> = dir.organizations.iter().map(|o| prep(&o.id, o, vec![V::S(o.name.clone())])).collect();
        let taxes: Vec<Prepared> = dir.taxonomies.iter().map(|t| prep(&t.id, t, vec![V::S(t.name.clone())])).collect();
        let terms: Vec<Prepared> = dir
            .taxonomy_terms
            .iter()
            .map(|t| prep(&t.id, t, vec![V::OS(t.taxonomy_id.clone()), V::OS(t.parent_id.clone()), V::OS(t.code.clone()), V::S(t.name.clone())]))
            .collect();
        let locs: Vec<Prepared> = dir
            .locations
            .iter()
            .map(|l| prep(&l.id, l, vec![V::OS(l.organization_id.clone()), V::OF(l.latitude), V::OF(l.longitude)]))
            .collect();
        let svcs: Vec<Prepared> = dir
            .services
            .iter()
            .map(|s| prep(&s.id, s, vec![V::OS(s.organization_id.clone()), V::S(s.name.clone()), V::S(s.status.clone())]))
            .collect();
        let sals: Vec<Prepared> = dir
            .service_at_locations
            .iter()
            .map(|s| prep(&s.id, s, vec![V::S(s.service_id.clone().unwrap_or_default()), V::S(s.location_id.clone().unwrap_or_default())]))
            .collect();

        let mut tx = self.begin_write().await?;
        let run_id: i64 = sqlx::query_scalar(
            "INSERT INTO dir_import_runs (started_ms, finished_ms, source, format, owner_org_id, actor_id, created, updated, unchanged, rejected)
             VALUES ($1, $1, $2, $3, $4, $5, 0, 0, 0, $6) RETURNING id",
        )
        .bind(now)
        .bind(source)
        .bind(format)
        .bind(owner)
        .bind(who.actor_id)
        .bind(rejected as i64)
        .fetch_one(&mut *tx)
        .await?;

        let mut summary = ImportSummary { run_id, ..Default::default() };
        let mut changes: Vec<Vec<V>> = Vec::new();
        let mut changed_services: HashSet<String> = HashSet::new();
        for (spec, items) in [(&ORGS, &orgs), (&TAXES, &taxes), (&TERMS, &terms), (&LOCS, &locs), (&SVCS, &svcs), (&SALS, &sals)] {
            // Existing rows of this table: id → (hash, owner).
            let existing: HashMap<String, (String, Option<i64>)> = sqlx::query(&format!("SELECT id, doc_hash, owner_org_id FROM {}", spec.table))
                .fetch_all(&mut *tx)
                .await?
                .iter()
                .map(|r| Ok((row::s(r, "id")?, (row::s(r, "doc_hash")?, row::oi(r, "owner_org_id")?))))
                .collect::<std::result::Result<_, sqlx::Error>>()?;
            let (mut created, mut updated, mut unchanged) = (0, 0, 0);
            let mut inserts = Vec::new();
            for p in items.iter() {
                let change = match existing.get(&p.id) {
                    Some((_, o)) if *o != owner => {
                        return Err(StoreError::Refused(format!(
                            "{} {} already belongs to {}; nothing was imported",
                            spec.object_type,
                            p.id,
                            if o.is_some() { "an organization's private listings" } else { "the community directory" }
                        )));
                    }
                    Some((h, _)) if *h == p.hash => {
                        unchanged += 1;
                        "unchanged"
                    }
                    Some(_) => {
                        let sets: Vec<String> = spec.extra.iter().enumerate().map(|(i, c)| format!("{c} = ${}", i + 5)).collect();
                        let sql = format!(
                            "UPDATE {} SET doc = $1, doc_hash = $2, source_key = $3, modified_ms = $4{}{} WHERE id = ${}",
                            spec.table,
                            if sets.is_empty() { "" } else { ", " },
                            sets.join(", "),
                            spec.extra.len() + 5
                        );
                        let mut q = sqlx::query(&sql).bind(p.doc.clone()).bind(p.hash.clone()).bind(src(&p.id)).bind(now);
                        for v in &p.extra {
                            q = match v {
                                V::S(s) => q.bind(s.clone()),
                                V::OS(s) => q.bind(s.clone()),
                                V::I(i) => q.bind(*i),
                                V::OI(i) => q.bind(*i),
                                V::OF(f) => q.bind(*f),
                            };
                        }
                        q.bind(p.id.clone()).execute(&mut *tx).await?;
                        updated += 1;
                        if spec.table == "dir_services" {
                            changed_services.insert(p.id.clone());
                        }
                        "updated"
                    }
                    None => {
                        let mut row = vec![V::S(p.id.clone()), V::OI(owner), V::S(p.doc.clone()), V::S(p.hash.clone()), V::OS(src(&p.id)), V::I(now), V::I(now)];
                        row.extend(p.extra.iter().cloned());
                        inserts.push(row);
                        created += 1;
                        if spec.table == "dir_services" {
                            changed_services.insert(p.id.clone());
                        }
                        "created"
                    }
                };
                changes.push(vec![V::I(run_id), V::S(spec.object_type.to_owned()), V::S(p.id.clone()), V::S(change.to_owned())]);
                done += 1;
                if done % 256 == 0 {
                    progress(done, total);
                }
            }
            let mut cols = vec!["id", "owner_org_id", "doc", "doc_hash", "source_key", "created_ms", "modified_ms"];
            cols.extend(spec.extra.iter().copied());
            insert_batch(&mut tx, spec.table, &cols, inserts).await?;
            summary.by_type.push((spec.object_type, created, updated, unchanged));
            summary.created += created;
            summary.updated += updated;
            summary.unchanged += unchanged;
        }

        // Filter indexes and freshness for created/updated services.
        if !changed_services.is_empty() {
            let locs_by_id: HashMap<&str, &Location> = dir.locations.iter().map(|l| (l.id.as_str(), l)).collect();
            let mut sal_locs: HashMap<&str, Vec<&Location>> = HashMap::new();
            for s in &dir.service_at_locations {
                if let (Some(sid), Some(lid)) = (s.service_id.as_deref(), s.location_id.as_deref()) {
                    if let Some(l) = locs_by_id.get(lid) {
                        sal_locs.entry(sid).or_default().push(l);
                    }
                }
            }
            let ids: Vec<&String> = changed_services.iter().collect();
            for chunk in ids.chunks(500) {
                let ph: Vec<String> = (1..=chunk.len()).map(|i| format!("${i}")).collect();
                for t in ["dir_service_terms", "dir_service_postcodes"] {
                    let sql = format!("DELETE FROM {t} WHERE service_id IN ({})", ph.join(", "));
                    let mut q = sqlx::query(&sql);
                    for id in chunk {
                        q = q.bind((*id).clone());
                    }
                    q.execute(&mut *tx).await?;
                }
            }
            let mut term_rows = Vec::new();
            let mut pc_rows = Vec::new();
            for s in dir.services.iter().filter(|s| changed_services.contains(&s.id)) {
                for t in Directory::service_term_ids(s) {
                    term_rows.push(vec![V::S(s.id.clone()), V::S(t)]);
                }
                let locs = sal_locs.get(s.id.as_str()).cloned().unwrap_or_default();
                for pc in service_postcodes(s, &locs) {
                    pc_rows.push(vec![V::S(s.id.clone()), V::S(pc)]);
                }
                // Freshness: the listing's own assured_date, else the day it was imported.
                let verified = s.assured_date.clone().unwrap_or_else(|| day.clone());
                sqlx::query("UPDATE dir_services SET last_verified = $1 WHERE id = $2 AND (last_verified IS NULL OR last_verified < $1)")
                    .bind(verified)
                    .bind(s.id.clone())
                    .execute(&mut *tx)
                    .await?;
            }
            insert_batch(&mut tx, "dir_service_terms", &["service_id", "term_id"], term_rows).await?;
            insert_batch(&mut tx, "dir_service_postcodes", &["service_id", "postcode"], pc_rows).await?;
        }
        insert_batch(&mut tx, "dir_import_changes", &["run_id", "object_type", "object_id", "change"], changes).await?;
        sqlx::query("UPDATE dir_import_runs SET finished_ms = $1, created = $2, updated = $3, unchanged = $4 WHERE id = $5")
            .bind(self.now_ms())
            .bind(summary.created as i64)
            .bind(summary.updated as i64)
            .bind(summary.unchanged as i64)
            .bind(run_id)
            .execute(&mut *tx)
            .await?;
        if let Some(org_id) = owner {
            append(
                &mut tx,
                &NewEntry {
                    org_id,
                    ts_ms: now,
                    actor_id: who.actor_id,
                    action: action.into(),
                    person_id: None,
                    object_type: "directory_import".into(),
                    object_id: run_id.to_string(),
                    outcome: "ok".into(),
                    ip: who.ip.clone(),
                    reason: format!("{} created, {} updated, {} unchanged", summary.created, summary.updated, summary.unchanged),
                },
            )
            .await?;
        }
        tx.commit().await?;
        progress(total, total);
        Ok(summary)
    }

    /// What one import run did to each object: `(object type, object id, change)`.
    pub async fn directory_import_changes(&self, run_id: i64) -> Result<Vec<(String, String, String)>> {
        let rows = sqlx::query("SELECT object_type, object_id, change FROM dir_import_changes WHERE run_id = $1 ORDER BY object_type, object_id")
            .bind(run_id)
            .fetch_all(self.pool())
            .await?;
        rows.iter().map(|r| Ok((row::s(r, "object_type")?, row::s(r, "object_id")?, row::s(r, "change")?))).collect()
    }

    async fn docs_page<T: DeserializeOwned>(&self, table: &str, viewer: Viewer, where_extra: &str, binds: &[String], page: PageReq) -> Result<Paged<T>> {
        let (limit, offset) = page.limit_offset();
        let cond = format!("{VISIBLE}{where_extra}");
        let count_sql = format!("SELECT COUNT(*) FROM {table} WHERE {cond}");
        let mut cq = sqlx::query_scalar::<_, i64>(&count_sql).bind(viewer.bind());
        for b in binds {
            cq = cq.bind(b.clone());
        }
        let total = cq.fetch_one(self.pool()).await?;
        let n = binds.len() + 2;
        let sql = format!("SELECT doc FROM {table} WHERE {cond} ORDER BY id LIMIT ${n} OFFSET ${}", n + 1);
        let mut q = sqlx::query(&sql).bind(viewer.bind());
        for b in binds {
            q = q.bind(b.clone());
        }
        let rows = q.bind(limit).bind(offset).fetch_all(self.pool()).await?;
        let items = rows.iter().map(|r| from_doc(&row::s(r, "doc")?)).collect::<Result<Vec<T>>>()?;
        Ok(Paged { items, total_items: total, page: page.page.max(1), per_page: limit })
    }

    /// Services the viewer may see, filtered, by id (documents without nested organization or locations).
    pub async fn directory_services(&self, viewer: Viewer, f: &ServiceFilter, page: PageReq) -> Result<Paged<Service>> {
        let mut cond = String::new();
        let mut binds: Vec<String> = Vec::new();
        let next = |binds: &mut Vec<String>, v: String| {
            binds.push(v);
            format!("${}", binds.len() + 1)
        };
        if !f.taxonomy_term_ids.is_empty() {
            let ph: Vec<String> = f.taxonomy_term_ids.iter().map(|t| next(&mut binds, t.clone())).collect();
            cond.push_str(&format!(" AND id IN (SELECT service_id FROM dir_service_terms WHERE term_id IN ({}))", ph.join(", ")));
        }
        if let Some(t) = &f.taxonomy_id {
            let p = next(&mut binds, t.clone());
            cond.push_str(&format!(" AND id IN (SELECT st.service_id FROM dir_service_terms st JOIN dir_taxonomy_terms tt ON tt.id = st.term_id WHERE tt.taxonomy_id = {p})"));
        }
        if let Some(o) = &f.organization_id {
            let p = next(&mut binds, o.clone());
            cond.push_str(&format!(" AND organization_id = {p}"));
        }
        if let Some(pc) = &f.postcode {
            let p = next(&mut binds, pc.trim().to_owned());
            cond.push_str(&format!(" AND id IN (SELECT service_id FROM dir_service_postcodes WHERE postcode = {p})"));
        }
        if let Some(ms) = f.modified_after_ms {
            // Bound as text would not compare as a number on PostgreSQL: inline the integer.
            cond.push_str(&format!(" AND modified_ms > {ms}"));
        }
        self.docs_page("dir_services", viewer, &cond, &binds, page).await
    }

    /// Organizations the viewer may see, by id.
    pub async fn directory_organizations(&self, viewer: Viewer, page: PageReq) -> Result<Paged<Organization>> {
        self.docs_page("dir_organizations", viewer, "", &[], page).await
    }

    /// Service_at_locations the viewer may see, each with its location embedded.
    pub async fn directory_service_at_locations(&self, viewer: Viewer, f: &ServiceFilter, page: PageReq) -> Result<Paged<ServiceAtLocation>> {
        let mut cond = String::new();
        let mut binds = Vec::new();
        if let Some(o) = &f.organization_id {
            binds.push(o.clone());
            cond.push_str(&format!(" AND service_id IN (SELECT id FROM dir_services WHERE organization_id = ${})", binds.len() + 1));
        }
        if !f.taxonomy_term_ids.is_empty() {
            let mut ph = Vec::new();
            for t in &f.taxonomy_term_ids {
                binds.push(t.clone());
                ph.push(format!("${}", binds.len() + 1));
            }
            cond.push_str(&format!(" AND service_id IN (SELECT service_id FROM dir_service_terms WHERE term_id IN ({}))", ph.join(", ")));
        }
        if let Some(pc) = &f.postcode {
            binds.push(pc.trim().to_owned());
            cond.push_str(&format!(" AND service_id IN (SELECT service_id FROM dir_service_postcodes WHERE postcode = ${})", binds.len() + 1));
        }
        if let Some(ms) = f.modified_after_ms {
            cond.push_str(&format!(" AND modified_ms > {ms}"));
        }
        let mut page: Paged<ServiceAtLocation> = self.docs_page("dir_service_at_locations", viewer, &cond, &binds, page).await?;
        let loc_ids: Vec<String> = page.items.iter().filter_map(|s| s.location_id.clone()).collect();
        let locs: HashMap<String, Location> = self.docs_by_ids::<Location>("dir_locations", viewer, &loc_ids).await?.into_iter().map(|l| (l.id.clone(), l)).collect();
        for s in &mut page.items {
            if let Some(l) = s.location_id.as_ref().and_then(|id| locs.get(id)) {
                s.location = Some(Box::new(l.clone()));
            }
        }
        Ok(page)
    }

    /// Taxonomies the viewer may see.
    pub async fn directory_taxonomies(&self, viewer: Viewer, page: PageReq) -> Result<Paged<Taxonomy>> {
        self.docs_page("dir_taxonomies", viewer, "", &[], page).await
    }

    /// Taxonomy terms the viewer may see, filtered.
    pub async fn directory_taxonomy_terms(&self, viewer: Viewer, f: &TermFilter, page: PageReq) -> Result<Paged<TaxonomyTerm>> {
        let mut cond = String::new();
        let mut binds = Vec::new();
        if let Some(t) = &f.taxonomy_id {
            binds.push(t.clone());
            cond.push_str(&format!(" AND taxonomy_id = ${}", binds.len() + 1));
        }
        if let Some(p) = &f.parent_id {
            binds.push(p.clone());
            cond.push_str(&format!(" AND parent_id = ${}", binds.len() + 1));
        }
        if f.top_only {
            cond.push_str(" AND parent_id IS NULL");
        }
        self.docs_page("dir_taxonomy_terms", viewer, &cond, &binds, page).await
    }

    async fn docs_by_ids<T: DeserializeOwned>(&self, table: &str, viewer: Viewer, ids: &[String]) -> Result<Vec<T>> {
        let mut out = Vec::new();
        for chunk in ids.chunks(500) {
            let ph: Vec<String> = (0..chunk.len()).map(|i| format!("${}", i + 2)).collect();
            let sql = format!("SELECT doc FROM {table} WHERE {VISIBLE} AND id IN ({}) ORDER BY id", ph.join(", "));
            let mut q = sqlx::query(&sql).bind(viewer.bind());
            for id in chunk {
                q = q.bind(id.clone());
            }
            for r in q.fetch_all(self.pool()).await? {
                out.push(from_doc(&row::s(&r, "doc")?)?);
            }
        }
        Ok(out)
    }

    async fn doc_by_id<T: DeserializeOwned>(&self, table: &str, viewer: Viewer, id: &str) -> Result<T> {
        let doc: Option<String> = sqlx::query_scalar(&format!("SELECT doc FROM {table} WHERE {VISIBLE} AND id = $2"))
            .bind(viewer.bind())
            .bind(id.to_owned())
            .fetch_optional(self.pool())
            .await?;
        from_doc(&doc.ok_or(StoreError::NotFound)?)
    }

    /// A full service (organization, service_at_locations with locations, attributes with
    /// terms), or `NotFound` when it does not exist or the viewer may not see it.
    pub async fn directory_service(&self, viewer: Viewer, id: &str) -> Result<Service> {
        let s: Service = self.doc_by_id("dir_services", viewer, id).await?;
        let org: Option<Organization> = match &s.organization_id {
            Some(o) => self.docs_by_ids::<Organization>("dir_organizations", viewer, std::slice::from_ref(o)).await?.into_iter().next(),
            None => None,
        };
        let sal_docs: Vec<String> = sqlx::query_scalar(&format!("SELECT doc FROM dir_service_at_locations WHERE {VISIBLE} AND service_id = $2 ORDER BY id"))
            .bind(viewer.bind())
            .bind(id.to_owned())
            .fetch_all(self.pool())
            .await?;
        let sals: Vec<ServiceAtLocation> = sal_docs.iter().map(|d| from_doc(d)).collect::<Result<_>>()?;
        let loc_ids: Vec<String> = sals.iter().filter_map(|s| s.location_id.clone()).collect();
        let locs: HashMap<String, Location> = self.docs_by_ids::<Location>("dir_locations", viewer, &loc_ids).await?.into_iter().map(|l| (l.id.clone(), l)).collect();
        let pairs: Vec<(ServiceAtLocation, Option<Location>)> = sals.into_iter().map(|s| {
            let l = s.location_id.as_ref().and_then(|i| locs.get(i)).cloned();
            (s, l)
        }).collect();
        let term_ids = Directory::service_term_ids(&s);
        let terms: HashMap<String, TaxonomyTerm> = self.docs_by_ids::<TaxonomyTerm>("dir_taxonomy_terms", viewer, &term_ids).await?.into_iter().map(|t| (t.id.clone(), t)).collect();
        Ok(nest::service_full(&s, org.as_ref(), &pairs, &|tid| terms.get(tid).cloned()))
    }

    /// A full organization (with its locations).
    pub async fn directory_organization(&self, viewer: Viewer, id: &str) -> Result<Organization> {
        let o: Organization = self.doc_by_id("dir_organizations", viewer, id).await?;
        let docs: Vec<String> = sqlx::query_scalar(&format!("SELECT doc FROM dir_locations WHERE {VISIBLE} AND organization_id = $2 ORDER BY id"))
            .bind(viewer.bind())
            .bind(id.to_owned())
            .fetch_all(self.pool())
            .await?;
        let locs: Vec<Location> = docs.iter().map(|d| from_doc(d)).collect::<Result<_>>()?;
        Ok(nest::organization_full(&o, &locs))
    }

    /// A service_at_location with its location.
    pub async fn directory_service_at_location(&self, viewer: Viewer, id: &str) -> Result<ServiceAtLocation> {
        let s: ServiceAtLocation = self.doc_by_id("dir_service_at_locations", viewer, id).await?;
        let loc: Option<Location> = match &s.location_id {
            Some(l) => self.docs_by_ids::<Location>("dir_locations", viewer, std::slice::from_ref(l)).await?.into_iter().next(),
            None => None,
        };
        Ok(nest::service_at_location_full(&s, loc.as_ref()))
    }

    /// A location.
    pub async fn directory_location(&self, viewer: Viewer, id: &str) -> Result<Location> {
        self.doc_by_id("dir_locations", viewer, id).await
    }

    /// A taxonomy.
    pub async fn directory_taxonomy(&self, viewer: Viewer, id: &str) -> Result<Taxonomy> {
        self.doc_by_id("dir_taxonomies", viewer, id).await
    }

    /// A taxonomy term, with its taxonomy as `taxonomy_detail`.
    pub async fn directory_taxonomy_term(&self, viewer: Viewer, id: &str) -> Result<TaxonomyTerm> {
        let t: TaxonomyTerm = self.doc_by_id("dir_taxonomy_terms", viewer, id).await?;
        let tax = match &t.taxonomy_id {
            Some(x) => self.docs_by_ids::<Taxonomy>("dir_taxonomies", viewer, std::slice::from_ref(x)).await?.into_iter().next(),
            None => None,
        };
        Ok(nest::taxonomy_term_full(&t, tax.as_ref()))
    }

    /// Everything the viewer may see, as a [`Directory`] (for export).
    pub async fn directory_export(&self, viewer: Viewer) -> Result<Directory> {
        async fn all<T: DeserializeOwned>(store: &Store, table: &str, viewer: Viewer) -> Result<Vec<T>> {
            let docs: Vec<String> = sqlx::query_scalar(&format!("SELECT doc FROM {table} WHERE {VISIBLE} ORDER BY id")).bind(viewer.bind()).fetch_all(store.pool()).await?;
            docs.iter().map(|d| from_doc(d)).collect()
        }
        let mut d = Directory {
            organizations: all(self, "dir_organizations", viewer).await?,
            services: all(self, "dir_services", viewer).await?,
            locations: all(self, "dir_locations", viewer).await?,
            service_at_locations: all(self, "dir_service_at_locations", viewer).await?,
            taxonomies: all(self, "dir_taxonomies", viewer).await?,
            taxonomy_terms: all(self, "dir_taxonomy_terms", viewer).await?,
            source_ids: BTreeMap::new(),
        };
        for table in ["dir_organizations", "dir_services", "dir_locations", "dir_service_at_locations", "dir_taxonomies", "dir_taxonomy_terms"] {
            let rows = sqlx::query(&format!("SELECT id, source_key FROM {table} WHERE {VISIBLE} AND source_key IS NOT NULL")).bind(viewer.bind()).fetch_all(self.pool()).await?;
            for r in rows {
                d.source_ids.insert(row::s(&r, "id")?, row::s(&r, "source_key")?);
            }
        }
        Ok(d)
    }

    /// Every service with what a search index needs, community and private alike (the
    /// caller filters by [`SearchRecord::owner_org_id`] for each viewer).
    pub async fn directory_search_records(&self) -> Result<Vec<SearchRecord>> {
        let docs = |table: &'static str| async move {
            let rows = sqlx::query(&format!("SELECT id, doc FROM {table}")).fetch_all(self.pool()).await?;
            rows.iter().map(|r| Ok((row::s(r, "id")?, row::s(r, "doc")?))).collect::<std::result::Result<Vec<_>, sqlx::Error>>()
        };
        let orgs: HashMap<String, Organization> = docs("dir_organizations").await?.into_iter().map(|(id, d)| Ok((id, from_doc(&d)?))).collect::<Result<_>>()?;
        let locs: HashMap<String, Location> = docs("dir_locations").await?.into_iter().map(|(id, d)| Ok((id, from_doc(&d)?))).collect::<Result<_>>()?;
        let terms: HashMap<String, TaxonomyTerm> = docs("dir_taxonomy_terms").await?.into_iter().map(|(id, d)| Ok((id, from_doc(&d)?))).collect::<Result<_>>()?;
        let mut sals: HashMap<String, Vec<(ServiceAtLocation, Option<Location>)>> = HashMap::new();
        for (_, d) in docs("dir_service_at_locations").await? {
            let s: ServiceAtLocation = from_doc(&d)?;
            let l = s.location_id.as_ref().and_then(|i| locs.get(i)).cloned();
            sals.entry(s.service_id.clone().unwrap_or_default()).or_default().push((s, l));
        }
        let rows = sqlx::query("SELECT doc, owner_org_id, last_verified, modified_ms FROM dir_services ORDER BY id").fetch_all(self.pool()).await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in rows {
            let s: Service = from_doc(&row::s(&r, "doc")?)?;
            let org = s.organization_id.as_ref().and_then(|o| orgs.get(o));
            let pairs = sals.remove(&s.id).unwrap_or_default();
            let full = nest::service_full(&s, org, &pairs, &|tid| terms.get(tid).cloned());
            let t: Vec<TaxonomyTerm> = Directory::service_term_ids(&s).iter().filter_map(|id| terms.get(id).cloned()).collect();
            out.push(SearchRecord {
                organization_name: org.map(|o| o.name.clone()).unwrap_or_default(),
                service: full,
                terms: t,
                owner_org_id: row::oi(&r, "owner_org_id")?,
                last_verified: row::os(&r, "last_verified")?,
                modified_ms: row::i(&r, "modified_ms")?,
            });
        }
        Ok(out)
    }

    /// Creates or updates an organization's private listing: a full service in the HSDS
    /// shape (organization embedded, service_at_locations with their locations). Every object
    /// it holds is owned by `org_id`; ids already used by the community directory or by another
    /// organization are refused (`NotFound`, revealing nothing). Audited in `org_id`'s chain.
    /// The caller (the web layer) has checked that the actor is an admin of `org_id`.
    pub async fn directory_save_private(&self, org_id: i64, service: &Service, who: &Who) -> Result<String> {
        let mut errors = ValidationErrors::default();
        if service.name.trim().is_empty() {
            errors.push(FieldError::new("name", "error-required", "a service needs a name"));
        }
        if !["active", "inactive", "defunct", "temporarily closed"].contains(&service.status.as_str()) {
            errors.push(FieldError::new("status", "error-choice", "status must be active, inactive, defunct or temporarily closed"));
        }
        match &service.organization {
            Some(o) if o.name.trim().is_empty() => errors.push(FieldError::new("organization.name", "error-required", "the organization needs a name")),
            None if service.organization_id.is_none() => errors.push(FieldError::new("organization", "error-required", "a service needs its organization")),
            _ => {}
        }
        let ids = [Some(&service.id), service.organization.as_ref().map(|o| &o.id)];
        for id in ids.into_iter().flatten() {
            if !lantern_hsds::is_uuid(id) {
                errors.push(FieldError::new("id", "error-choice", "ids must be UUIDs"));
            }
        }
        if !errors.is_empty() {
            return Err(StoreError::Invalid(errors));
        }
        let dir = lantern_hsds::json::flatten_service(service.clone());
        // Every object must be new or already this organization's.
        for (table, ids) in [
            ("dir_organizations", dir.organizations.iter().map(|x| x.id.clone()).collect::<Vec<_>>()),
            ("dir_services", dir.services.iter().map(|x| x.id.clone()).collect()),
            ("dir_locations", dir.locations.iter().map(|x| x.id.clone()).collect()),
            ("dir_service_at_locations", dir.service_at_locations.iter().map(|x| x.id.clone()).collect()),
            ("dir_taxonomy_terms", dir.taxonomy_terms.iter().map(|x| x.id.clone()).collect()),
            ("dir_taxonomies", dir.taxonomies.iter().map(|x| x.id.clone()).collect()),
        ] {
            for id in ids {
                let owner: Option<Option<i64>> = sqlx::query_scalar(&format!("SELECT owner_org_id FROM {table} WHERE id = $1")).bind(id.clone()).fetch_optional(self.pool()).await?;
                if let Some(o) = owner {
                    if o != Some(org_id) {
                        return Err(StoreError::NotFound);
                    }
                }
            }
        }
        if let Some(oid) = &service.organization_id {
            if service.organization.is_none() {
                // Linking to an existing organization the org may see (community or its own).
                self.doc_by_id::<Organization>("dir_organizations", Viewer::Org(org_id), oid).await?;
            }
        }
        let existed: Option<i64> = sqlx::query_scalar("SELECT 1 FROM dir_services WHERE id = $1").bind(service.id.clone()).fetch_optional(self.pool()).await?;
        let action = if existed.is_some() { "directory.private.update" } else { "directory.private.create" };
        self.import_inner(&dir, "private listing", "form", 0, Some(org_id), who, action, &mut |_, _| {}).await?;
        Ok(service.id.clone())
    }

    /// Records that someone of `org_id` confirmed a listing (what, and a note), and moves its
    /// last verified date to today. Audited. `NotFound` when the org may not see the service.
    pub async fn verify_service(&self, org_id: i64, service_id: &str, confirmed: &str, note: &str, who: &Who) -> Result<i64> {
        if confirmed.trim().is_empty() {
            let mut e = ValidationErrors::default();
            e.push(FieldError::new("confirmed", "error-required", "say what was confirmed"));
            return Err(StoreError::Invalid(e));
        }
        let now = self.now_ms();
        let day = today(now);
        let mut tx = self.begin_write().await?;
        let visible: Option<i64> = sqlx::query_scalar(&format!("SELECT 1 FROM dir_services WHERE {VISIBLE} AND id = $2"))
            .bind(org_id)
            .bind(service_id.to_owned())
            .fetch_optional(&mut *tx)
            .await?;
        visible.ok_or(StoreError::NotFound)?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO dir_verifications (service_id, org_id, user_id, verified_on, verified_ms, confirmed, note) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
        )
        .bind(service_id.to_owned())
        .bind(org_id)
        .bind(who.actor_id)
        .bind(day.clone())
        .bind(now)
        .bind(confirmed.trim().to_owned())
        .bind(note.trim().to_owned())
        .fetch_one(&mut *tx)
        .await?;
        sqlx::query("UPDATE dir_services SET last_verified = $1 WHERE id = $2").bind(day).bind(service_id.to_owned()).execute(&mut *tx).await?;
        append(
            &mut tx,
            &NewEntry {
                org_id,
                ts_ms: now,
                actor_id: who.actor_id,
                action: "directory.verify".into(),
                person_id: None,
                object_type: "directory_service".into(),
                object_id: service_id.to_owned(),
                outcome: "ok".into(),
                ip: who.ip.clone(),
                reason: confirmed.trim().to_owned(),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// A service's verifications, newest first.
    pub async fn service_verifications(&self, viewer: Viewer, service_id: &str) -> Result<Vec<Verification>> {
        let rows = sqlx::query(&format!(
            "SELECT v.id, v.service_id, v.org_id, v.user_id, u.display_name, v.verified_on, v.verified_ms, v.confirmed, v.note
             FROM dir_verifications v JOIN dir_services s ON s.id = v.service_id LEFT JOIN users u ON u.id = v.user_id
             WHERE (s.owner_org_id IS NULL OR s.owner_org_id = $1) AND v.service_id = $2 ORDER BY v.verified_ms DESC, v.id DESC"
        ))
        .bind(viewer.bind())
        .bind(service_id.to_owned())
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r: &AnyRow| {
                Ok(Verification {
                    id: row::i(r, "id")?,
                    service_id: row::s(r, "service_id")?,
                    org_id: row::i(r, "org_id")?,
                    user_id: row::oi(r, "user_id")?,
                    user_name: r.try_get::<Option<String>, _>("display_name")?,
                    verified_on: row::s(r, "verified_on")?,
                    verified_ms: row::i(r, "verified_ms")?,
                    confirmed: row::s(r, "confirmed")?,
                    note: row::s(r, "note")?,
                })
            })
            .collect()
    }

    /// Services the viewer may see whose last verification is older than `older_than_days`
    /// (or never happened), oldest first.
    pub async fn stale_services(&self, viewer: Viewer, older_than_days: i64) -> Result<Vec<StaleService>> {
        let cutoff_ms = self.now_ms() - older_than_days.max(0) * 86_400_000;
        let cutoff = today(cutoff_ms);
        let rows = sqlx::query(
            "SELECT s.id, s.name, s.last_verified, s.owner_org_id, o.name AS org_name FROM dir_services s LEFT JOIN dir_organizations o ON o.id = s.organization_id
             WHERE (s.owner_org_id IS NULL OR s.owner_org_id = $1) AND (s.last_verified IS NULL OR s.last_verified < $2)
             ORDER BY s.last_verified, s.id",
        )
        .bind(viewer.bind())
        .bind(cutoff)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(StaleService {
                    id: row::s(r, "id")?,
                    name: row::s(r, "name")?,
                    organization_name: row::os(r, "org_name")?.unwrap_or_default(),
                    last_verified: row::os(r, "last_verified")?,
                    owner_org_id: row::oi(r, "owner_org_id")?,
                })
            })
            .collect()
    }

    /// The last verified date of a service the viewer may see.
    pub async fn service_last_verified(&self, viewer: Viewer, service_id: &str) -> Result<Option<String>> {
        let r: Option<Option<String>> = sqlx::query_scalar(&format!("SELECT last_verified FROM dir_services WHERE {VISIBLE} AND id = $2"))
            .bind(viewer.bind())
            .bind(service_id.to_owned())
            .fetch_optional(self.pool())
            .await?;
        r.ok_or(StoreError::NotFound)
    }
}
