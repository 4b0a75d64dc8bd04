//! Appending to and verifying the audit trail.
//!
//! Changes append their audit row inside their own transaction (`append`), so
//! the change and its row commit together or not at all. Views are many and
//! must not cost an fsync each: they go to the `ViewWriter`, one task that
//! group-commits queued rows, at most once every `VIEW_COMMIT_EVERY` (100 ms)
//! while views keep coming. The request does not wait for that commit, so a
//! crash can lose the view rows queued but not yet committed: at most the
//! last 100 ms of views plus the batch in flight (see ARCHITECTURE.md).
//! Changes are never batched. The pause matters on SQLite: every commit makes
//! every reader connection drop its page cache, so committing views as fast as
//! they come made each page view re-read its pages from the OS. Readers of the
//! audit log (reports, the access log, counts, verification) flush first, so
//! they always see every view recorded before they asked.
//!
//! The chain head row (`audit_head`) is the serialization point: an append
//! first touches it with an UPDATE, which takes the row lock on PostgreSQL
//! (SQLite's IMMEDIATE transaction already holds the database write lock), so
//! two app servers and CLI writers still build one linear chain.

use std::time::Duration;

use lantern_domain::audit::{chain_hash, ChainBreak, Entry, StoredEntry, Verifier, GENESIS};
use sqlx::{AnyConnection, AnyPool};
use tokio::sync::{mpsc, oneshot};

use crate::{row, Backend, Result, Store, StoreError};

/// An audit row to append. `seq` and hashes are assigned by the chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewEntry {
    pub org_id: i64,
    pub ts_ms: i64,
    pub actor_id: Option<i64>,
    pub action: String,
    pub person_id: Option<i64>,
    pub object_type: String,
    pub object_id: String,
    pub outcome: String,
    pub ip: String,
    pub reason: String,
}

/// Ensures an organization's chain head exists (called when the org is created).
pub(crate) async fn init_chain(conn: &mut AnyConnection, org_id: i64) -> Result<()> {
    sqlx::query("INSERT INTO audit_head (org_id, seq, hash) VALUES ($1, 0, $2)")
        .bind(org_id)
        .bind(GENESIS)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Appends one row inside the caller's write transaction.
pub async fn append(conn: &mut AnyConnection, e: &NewEntry) -> Result<i64> {
    append_many(conn, e.org_id, std::slice::from_ref(e)).await
}

/// Appends rows of one organization inside the caller's write transaction,
/// locking and moving the chain head once. Returns the last sequence number.
pub async fn append_many(conn: &mut AnyConnection, org_id: i64, entries: &[NewEntry]) -> Result<i64> {
    // Touching the head first takes its row lock (PostgreSQL) before reading it.
    let touched = sqlx::query("UPDATE audit_head SET seq = seq WHERE org_id = $1").bind(org_id).execute(&mut *conn).await?;
    if touched.rows_affected() == 0 {
        return Err(StoreError::Refused(format!("organization {org_id} has no audit chain")));
    }
    let head = sqlx::query("SELECT seq, hash FROM audit_head WHERE org_id = $1").bind(org_id).fetch_one(&mut *conn).await?;
    let mut seq = row::i(&head, "seq")?;
    let mut prev_hash = row::s(&head, "hash")?;
    let mut chained = Vec::with_capacity(entries.len());
    for e in entries {
        if e.org_id != org_id {
            return Err(StoreError::Refused("audit rows of two organizations in one append".into()));
        }
        seq += 1;
        let entry = Entry {
            org_id,
            seq,
            ts_ms: e.ts_ms,
            actor_id: e.actor_id,
            action: e.action.clone(),
            person_id: e.person_id,
            object_type: e.object_type.clone(),
            object_id: e.object_id.clone(),
            outcome: e.outcome.clone(),
            ip: e.ip.clone(),
            reason: e.reason.clone(),
        };
        let hash = chain_hash(&prev_hash, &entry);
        chained.push((entry, std::mem::replace(&mut prev_hash, hash.clone()), hash));
    }
    // Several rows per statement (a batch of views is one round trip per 32 rows, not
    // one per row), in a few fixed sizes so each statement's plan stays cached.
    let mut rest = chained.as_slice();
    while !rest.is_empty() {
        let n = [32, 8, 1].into_iter().find(|n| rest.len() >= *n).unwrap_or(1);
        let (chunk, tail) = rest.split_at(n);
        rest = tail;
        let mut q = sqlx::query(insert_sql(n));
        for (entry, prev, hash) in chunk {
            q = q
                .bind(entry.org_id)
                .bind(entry.seq)
                .bind(entry.ts_ms)
                .bind(entry.actor_id)
                .bind(&entry.action)
                .bind(entry.person_id)
                .bind(&entry.object_type)
                .bind(&entry.object_id)
                .bind(&entry.outcome)
                .bind(&entry.ip)
                .bind(&entry.reason)
                .bind(prev)
                .bind(hash);
        }
        q.execute(&mut *conn).await?;
    }
    sqlx::query("UPDATE audit_head SET seq = $2, hash = $3 WHERE org_id = $1")
        .bind(org_id)
        .bind(seq)
        .bind(&prev_hash)
        .execute(&mut *conn)
        .await?;
    Ok(seq)
}

/// `INSERT INTO audit_log` of `n` rows (1, 8 or 32), built once per size.
fn insert_sql(n: usize) -> &'static str {
    use std::sync::OnceLock;
    static SQL: [OnceLock<String>; 3] = [OnceLock::new(), OnceLock::new(), OnceLock::new()];
    let slot = match n {
        32 => &SQL[2],
        8 => &SQL[1],
        _ => &SQL[0],
    };
    slot.get_or_init(|| {
        let rows: Vec<String> = (0..n.max(1)).map(|r| format!("({})", (1..=13).map(|c| format!("${}", r * 13 + c)).collect::<Vec<_>>().join(", "))).collect();
        format!(
            "INSERT INTO audit_log (org_id, seq, ts_ms, actor_id, action, person_id, object_type, object_id, outcome, ip, reason, prev_hash, hash) VALUES {}",
            rows.join(", ")
        )
    })
}

enum Msg {
    Row(NewEntry),
    Flush(oneshot::Sender<Result<()>>),
}

/// The group-commit writer for view rows.
#[derive(Clone)]
pub(crate) struct ViewWriter {
    tx: mpsc::Sender<Msg>,
}

const QUEUE: usize = 20_000;
const MAX_BATCH: usize = 1_000;
/// The longest a view row waits for its commit while views keep coming.
pub const VIEW_COMMIT_EVERY: Duration = Duration::from_millis(100);

impl ViewWriter {
    pub(crate) fn start(pool: AnyPool, backend: Backend) -> ViewWriter {
        let (tx, rx) = mpsc::channel(QUEUE);
        tokio::spawn(run_writer(pool, backend, rx));
        ViewWriter { tx }
    }

    /// Queues a view row. Waits only if the queue is full (back-pressure, not loss).
    pub(crate) async fn record(&self, e: NewEntry) {
        if self.tx.send(Msg::Row(e)).await.is_err() {
            tracing::error!("audit view writer has stopped; a view row could not be queued");
        }
    }

    pub(crate) async fn flush(&self) -> Result<()> {
        let (done, wait) = oneshot::channel();
        if self.tx.send(Msg::Flush(done)).await.is_err() {
            return Err(StoreError::Refused("audit writer stopped".into()));
        }
        wait.await.map_err(|_| StoreError::Refused("audit writer stopped".into()))?
    }
}

async fn run_writer(pool: AnyPool, backend: Backend, mut rx: mpsc::Receiver<Msg>) {
    let mut rows: Vec<NewEntry> = Vec::new();
    let mut waiters: Vec<oneshot::Sender<Result<()>>> = Vec::new();
    let mut last_commit = tokio::time::Instant::now() - VIEW_COMMIT_EVERY;
    while let Some(first) = rx.recv().await {
        let take = |msg: Msg, rows: &mut Vec<NewEntry>, waiters: &mut Vec<oneshot::Sender<Result<()>>>| match msg {
            Msg::Row(r) => rows.push(r),
            Msg::Flush(w) => waiters.push(w),
        };
        take(first, &mut rows, &mut waiters);
        // Gather until the interval since the last commit is over, the batch is full, or
        // someone waits for a flush. After a quiet spell the first row commits at once.
        let deadline = last_commit + VIEW_COMMIT_EVERY;
        while rows.len() < MAX_BATCH && waiters.is_empty() {
            match tokio::time::timeout_at(deadline, rx.recv()).await {
                Ok(Some(msg)) => take(msg, &mut rows, &mut waiters),
                Ok(None) | Err(_) => break,
            }
        }
        while rows.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(msg) => take(msg, &mut rows, &mut waiters),
                Err(_) => break,
            }
        }
        last_commit = tokio::time::Instant::now();
        let mut result = Ok(());
        if !rows.is_empty() {
            result = write_batch(&pool, backend, &rows).await;
            let mut attempt = 1;
            while let Err(e) = &result {
                if attempt >= 5 {
                    tracing::error!(error = %e, rows = rows.len(), "audit view rows could not be written");
                    break;
                }
                tracing::warn!(error = %e, attempt, "retrying audit view batch");
                tokio::time::sleep(Duration::from_millis(50 * attempt)).await;
                attempt += 1;
                result = write_batch(&pool, backend, &rows).await;
            }
            rows.clear();
        }
        for w in waiters.drain(..) {
            let _ = w.send(match &result {
                Ok(()) => Ok(()),
                Err(e) => Err(StoreError::Refused(format!("audit view rows not written: {e}"))),
            });
        }
    }
}

async fn write_batch(pool: &AnyPool, backend: Backend, rows: &[NewEntry]) -> Result<()> {
    let mut tx = match backend {
        Backend::Sqlite => pool.begin_with("BEGIN IMMEDIATE").await?,
        Backend::Postgres => pool.begin().await?,
    };
    // One head update per organization in the batch, in a fixed order (no lock-order deadlocks).
    let mut orgs: Vec<i64> = rows.iter().map(|r| r.org_id).collect();
    orgs.sort_unstable();
    orgs.dedup();
    for org in orgs {
        let of_org: Vec<NewEntry> = rows.iter().filter(|r| r.org_id == org).cloned().collect();
        append_many(&mut tx, org, &of_org).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// The outcome of verifying every chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifyReport {
    /// (org id, rows verified, head hash)
    pub chains: Vec<(i64, i64, String)>,
}

/// One row of "who viewed my record".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessRow {
    pub ts_ms: i64,
    pub actor_name: String,
    pub action: String,
    pub outcome: String,
}

/// One row of the audit report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportRow {
    pub seq: i64,
    pub ts_ms: i64,
    pub actor_name: String,
    pub action: String,
    pub person_id: Option<i64>,
    pub object_type: String,
    pub object_id: String,
    pub outcome: String,
    pub ip: String,
    pub reason: String,
}

/// Filters for the audit report; empty strings and None mean "any".
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReportFilter {
    pub actor_email: String,
    pub person_id: Option<i64>,
    pub action_prefix: String,
    pub outcome: String,
    pub from_ms: Option<i64>,
    pub to_ms: Option<i64>,
    pub limit: i64,
    pub before_seq: Option<i64>,
}

impl Store {
    /// The organization's audit trail, newest first, filtered (for admins; ONC 170.315(d)(3)).
    pub async fn audit_report(&self, org_id: i64, f: &ReportFilter) -> Result<Vec<ReportRow>> {
        self.views.flush().await?;
        let rows = sqlx::query(
            "SELECT a.seq, a.ts_ms, a.action, a.person_id, a.object_type, a.object_id, a.outcome, a.ip, a.reason,
                    COALESCE(u.display_name || ' <' || u.email || '>', 'Lantern') AS actor_name
             FROM audit_log a LEFT JOIN users u ON u.id = a.actor_id
             WHERE a.org_id = $1
               AND ($2 = '' OR u.email = $2)
               AND ($3 = -1 OR a.person_id = $3)
               AND ($4 = '' OR a.action LIKE $4)
               AND ($5 = '' OR a.outcome = $5)
               AND ($6 = -1 OR a.ts_ms >= $6)
               AND ($7 = -1 OR a.ts_ms < $7)
               AND ($8 = -1 OR a.seq < $8)
             ORDER BY a.seq DESC LIMIT $9",
        )
        .bind(org_id)
        .bind(f.actor_email.trim().to_lowercase())
        .bind(f.person_id.unwrap_or(-1))
        .bind(if f.action_prefix.is_empty() { String::new() } else { format!("{}%", f.action_prefix.replace(['%', '_'], "")) })
        .bind(&f.outcome)
        .bind(f.from_ms.unwrap_or(-1))
        .bind(f.to_ms.unwrap_or(-1))
        .bind(f.before_seq.unwrap_or(-1))
        .bind(if f.limit <= 0 { 200 } else { f.limit.min(10_000) })
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(ReportRow {
                    seq: row::i(r, "seq")?,
                    ts_ms: row::i(r, "ts_ms")?,
                    actor_name: row::s(r, "actor_name")?,
                    action: row::s(r, "action")?,
                    person_id: row::oi(r, "person_id")?,
                    object_type: row::s(r, "object_type")?,
                    object_id: row::s(r, "object_id")?,
                    outcome: row::s(r, "outcome")?,
                    ip: row::s(r, "ip")?,
                    reason: row::s(r, "reason")?,
                })
            })
            .collect()
    }

    /// Queues a view row (group-committed; see module docs).
    pub async fn record_view(&self, e: NewEntry) {
        self.views.record(e).await;
    }

    /// Appends a row in its own transaction (for events that are not part of
    /// a data change, such as sign-in or a denied attempt).
    pub async fn record_event(&self, e: NewEntry) -> Result<()> {
        let mut tx = self.begin_write().await?;
        append(&mut tx, &e).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Verifies every organization's chain; the first break is the error.
    pub async fn verify_audit(&self, mut progress: impl FnMut(i64)) -> Result<std::result::Result<VerifyReport, ChainBreak>> {
        self.views.flush().await?;
        let heads = sqlx::query("SELECT org_id, seq, hash FROM audit_head ORDER BY org_id").fetch_all(self.pool()).await?;
        let mut report = VerifyReport { chains: Vec::new() };
        for head in heads {
            let org_id = row::i(&head, "org_id")?;
            let head_seq = row::i(&head, "seq")?;
            let head_hash = row::s(&head, "hash")?;
            let mut verifier = Verifier::new(org_id);
            let mut after = 0i64;
            loop {
                let batch = sqlx::query(
                    "SELECT org_id, seq, ts_ms, actor_id, action, person_id, object_type, object_id, outcome, ip, reason, prev_hash, hash
                     FROM audit_log WHERE org_id = $1 AND seq > $2 ORDER BY seq LIMIT 5000",
                )
                .bind(org_id)
                .bind(after)
                .fetch_all(self.pool())
                .await?;
                if batch.is_empty() {
                    break;
                }
                for r in &batch {
                    let stored = StoredEntry {
                        entry: Entry {
                            org_id: row::i(r, "org_id")?,
                            seq: row::i(r, "seq")?,
                            ts_ms: row::i(r, "ts_ms")?,
                            actor_id: row::oi(r, "actor_id")?,
                            action: row::s(r, "action")?,
                            person_id: row::oi(r, "person_id")?,
                            object_type: row::s(r, "object_type")?,
                            object_id: row::s(r, "object_id")?,
                            outcome: row::s(r, "outcome")?,
                            ip: row::s(r, "ip")?,
                            reason: row::s(r, "reason")?,
                        },
                        prev_hash: row::s(r, "prev_hash")?,
                        hash: row::s(r, "hash")?,
                    };
                    after = stored.entry.seq;
                    if let Err(b) = verifier.push(&stored) {
                        return Ok(Err(b));
                    }
                }
                progress(verifier.count());
            }
            match verifier.finish(head_seq, &head_hash) {
                Ok(n) => report.chains.push((org_id, n, head_hash)),
                Err(b) => return Ok(Err(b)),
            }
        }
        Ok(Ok(report))
    }

    /// Who looked at or changed a person's record, newest first.
    pub async fn access_log(&self, org_id: i64, person_id: i64, limit: i64) -> Result<Vec<AccessRow>> {
        self.views.flush().await?;
        let rows = sqlx::query(
            "SELECT a.ts_ms, a.action, a.outcome, COALESCE(u.display_name, 'Lantern') AS actor_name
             FROM audit_log a LEFT JOIN users u ON u.id = a.actor_id
             WHERE a.org_id = $1 AND a.person_id = $2 ORDER BY a.ts_ms DESC, a.seq DESC LIMIT $3",
        )
        .bind(org_id)
        .bind(person_id)
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(AccessRow {
                    ts_ms: row::i(r, "ts_ms")?,
                    actor_name: row::s(r, "actor_name")?,
                    action: row::s(r, "action")?,
                    outcome: row::s(r, "outcome")?,
                })
            })
            .collect()
    }

    /// Count of audit rows matching an action for a person (used by tests and the audit page).
    pub async fn count_audit(&self, org_id: i64, action: &str, person_id: Option<i64>, outcome: Option<&str>) -> Result<i64> {
        self.views.flush().await?;
        let n: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM audit_log WHERE org_id = $1 AND action = $2
             AND ($3 = -1 OR person_id = $3) AND ($4 = '' OR outcome = $4)",
        )
        .bind(org_id)
        .bind(action)
        .bind(person_id.unwrap_or(-1))
        .bind(outcome.unwrap_or(""))
        .fetch_one(self.pool())
        .await?;
        Ok(n)
    }
}
