//! The audit trail's hash chain.
//!
//! Each organization has one linear chain: row n stores the hash of row n-1
//! and its own hash over (previous hash ‖ canonical fields). Editing any field,
//! removing a row, reordering rows or cutting the tail (checked against the
//! chain head) breaks verification at a named sequence number. The canonical
//! encoding is length-prefixed so no two different rows encode alike.

use sha2::{Digest, Sha256};

/// The previous-hash of the first row in every chain.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// One audit row's content (everything the hash covers).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub org_id: i64,
    pub seq: i64,
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

/// A row as stored: content plus the chain links (lower-case hex SHA-256).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredEntry {
    pub entry: Entry,
    pub prev_hash: String,
    pub hash: String,
}

fn put(h: &mut Sha256, bytes: &[u8]) {
    h.update((bytes.len() as u64).to_be_bytes());
    h.update(bytes);
}

fn put_opt(h: &mut Sha256, v: Option<i64>) {
    match v {
        Some(v) => {
            h.update([1u8]);
            h.update(v.to_be_bytes());
        }
        None => h.update([0u8]),
    }
}

/// The hash of `entry` chained after `prev_hash` (hex).
pub fn chain_hash(prev_hash: &str, e: &Entry) -> String {
    let mut h = Sha256::new();
    h.update(b"lantern-audit-v1");
    put(&mut h, prev_hash.as_bytes());
    h.update(e.org_id.to_be_bytes());
    h.update(e.seq.to_be_bytes());
    h.update(e.ts_ms.to_be_bytes());
    put_opt(&mut h, e.actor_id);
    put(&mut h, e.action.as_bytes());
    put_opt(&mut h, e.person_id);
    put(&mut h, e.object_type.as_bytes());
    put(&mut h, e.object_id.as_bytes());
    put(&mut h, e.outcome.as_bytes());
    put(&mut h, e.ip.as_bytes());
    put(&mut h, e.reason.as_bytes());
    hex::encode(h.finalize())
}

/// Where and why a chain stopped holding.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("organization {org_id}: audit row {seq}: {problem}")]
pub struct ChainBreak {
    pub org_id: i64,
    pub seq: i64,
    pub problem: String,
}

/// Verifies one organization's chain row by row, in stored order, in constant memory.
#[derive(Debug)]
pub struct Verifier {
    org_id: i64,
    expected_seq: i64,
    prev_hash: String,
}

impl Verifier {
    pub fn new(org_id: i64) -> Verifier {
        Verifier { org_id, expected_seq: 1, prev_hash: GENESIS.to_string() }
    }

    /// Rows checked so far.
    pub fn count(&self) -> i64 {
        self.expected_seq - 1
    }

    pub fn push(&mut self, row: &StoredEntry) -> Result<(), ChainBreak> {
        let e = &row.entry;
        let brk = |seq: i64, problem: String| ChainBreak { org_id: self.org_id, seq, problem };
        if e.org_id != self.org_id {
            return Err(brk(e.seq, format!("belongs to organization {} but sits in this chain", e.org_id)));
        }
        if e.seq != self.expected_seq {
            let problem = if e.seq > self.expected_seq {
                format!("expected row {} next: row(s) {}..{} are missing (removed?)", self.expected_seq, self.expected_seq, e.seq - 1)
            } else {
                format!("expected row {} next but found row {} (reordered or duplicated)", self.expected_seq, e.seq)
            };
            return Err(brk(self.expected_seq, problem));
        }
        if row.prev_hash != self.prev_hash {
            return Err(brk(e.seq, "its link to the previous row does not match (a row before it was altered, removed or reordered)".into()));
        }
        let computed = chain_hash(&self.prev_hash, e);
        if computed != row.hash {
            return Err(brk(e.seq, "its content does not match its hash (the row was altered)".into()));
        }
        self.prev_hash = computed;
        self.expected_seq += 1;
        Ok(())
    }

    /// Checks the recorded chain head against the last row seen, which catches a cut tail.
    pub fn finish(self, head_seq: i64, head_hash: &str) -> Result<i64, ChainBreak> {
        let last = self.expected_seq - 1;
        if head_seq != last {
            return Err(ChainBreak {
                org_id: self.org_id,
                seq: last + 1,
                problem: format!("the chain head says {head_seq} rows but {last} are present (rows cut from the end?)"),
            });
        }
        if head_hash != self.prev_hash {
            return Err(ChainBreak { org_id: self.org_id, seq: last, problem: "the chain head's hash does not match the last row".into() });
        }
        Ok(last)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn build(n: usize) -> Vec<StoredEntry> {
        let mut prev = GENESIS.to_string();
        (1..=n as i64)
            .map(|seq| {
                let entry = Entry {
                    org_id: 1,
                    seq,
                    ts_ms: 1_700_000_000_000 + seq,
                    actor_id: Some(seq % 3),
                    action: format!("person.view.{}", seq % 4),
                    person_id: (seq % 2 == 0).then_some(seq),
                    object_type: "person".into(),
                    object_id: seq.to_string(),
                    outcome: "ok".into(),
                    ip: "127.0.0.1".into(),
                    reason: String::new(),
                };
                let hash = chain_hash(&prev, &entry);
                let row = StoredEntry { entry, prev_hash: prev.clone(), hash: hash.clone() };
                prev = hash;
                row
            })
            .collect()
    }

    fn verify(rows: &[StoredEntry], head: Option<(i64, String)>) -> Result<i64, ChainBreak> {
        let mut v = Verifier::new(1);
        for r in rows {
            v.push(r)?;
        }
        let (seq, hash) = head.unwrap_or_else(|| {
            let last = rows.last().map(|r| (r.entry.seq, r.hash.clone()));
            last.unwrap_or((0, GENESIS.to_string()))
        });
        v.finish(seq, &hash)
    }

    #[test]
    fn clean_chain_verifies() {
        assert_eq!(verify(&build(20), None), Ok(20));
    }

    #[derive(Debug, Clone)]
    enum Mutation {
        EditAction(usize),
        EditTime(usize),
        EditPerson(usize),
        Remove(usize),
        Swap(usize),
        CutTail(usize),
    }

    fn mutation() -> impl Strategy<Value = Mutation> {
        prop_oneof![
            (0usize..30).prop_map(Mutation::EditAction),
            (0usize..30).prop_map(Mutation::EditTime),
            (0usize..30).prop_map(Mutation::EditPerson),
            (0usize..30).prop_map(Mutation::Remove),
            (0usize..29).prop_map(Mutation::Swap),
            (1usize..30).prop_map(Mutation::CutTail),
        ]
    }

    proptest! {
        /// Any single mutation of a valid chain is detected.
        #[test]
        fn any_mutation_is_detected(m in mutation()) {
            let rows = build(30);
            let head = (30, rows[29].hash.clone());
            let mut bad = rows.clone();
            match m {
                Mutation::EditAction(i) => bad[i].entry.action.push('x'),
                Mutation::EditTime(i) => bad[i].entry.ts_ms += 1,
                Mutation::EditPerson(i) => bad[i].entry.person_id = Some(bad[i].entry.person_id.unwrap_or(0) + 1),
                Mutation::Remove(i) => { bad.remove(i); }
                Mutation::Swap(i) => bad.swap(i, i + 1),
                Mutation::CutTail(k) => bad.truncate(30 - k),
            }
            prop_assert!(verify(&bad, Some(head)).is_err());
        }
    }

    #[test]
    fn names_the_altered_row() {
        let mut rows = build(10);
        rows[4].entry.reason = "covered up".into();
        let err = verify(&rows, None).unwrap_err();
        assert_eq!(err.seq, 5);
    }
}
