//! Sign-in, sessions, API tokens and CSRF.
//!
//! - Passwords: argon2id, OWASP minimum parameters (m = 19 MiB, t = 2, p = 1)
//!   in release builds; at most two hashes run at once (two hashing threads), so a
//!   flood of sign-ins queues instead of exhausting memory.
//! - Sessions live in the database (so several app servers can share them),
//!   keyed by the SHA-256 of a 256-bit random cookie value; 15-minute idle and
//!   12-hour absolute limits are enforced on the server.
//! - CSRF: every form carries the session's synchronizer token, and requests a
//!   browser marks `Sec-Fetch-Site: cross-site` are refused outright.

use std::sync::Arc;

use argon2::password_hash::{PasswordHash, PasswordHasher, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use base64::Engine;
use rand::RngCore;
use sha2::{Digest, Sha256};
type Job = Box<dyn FnOnce() + Send>;

fn start_workers(n: usize) -> std::sync::mpsc::Sender<Job> {
    let (tx, rx) = std::sync::mpsc::channel::<Job>();
    let rx = Arc::new(std::sync::Mutex::new(rx));
    for i in 0..n {
        let rx = rx.clone();
        let _ = std::thread::Builder::new().name(format!("lantern-hash-{i}")).spawn(move || loop {
            let job = match rx.lock() {
                Ok(guard) => guard.recv(),
                Err(_) => return,
            };
            match job {
                Ok(job) => job(),
                Err(_) => return,
            }
        });
    }
    tx
}

/// Argon2 cost. Tests may use `cheap()`; `serve` always uses `standard()`.
#[derive(Debug, Clone, Copy)]
pub struct HashCost {
    pub m_kib: u32,
    pub t: u32,
    pub p: u32,
}

impl HashCost {
    /// OWASP's minimum for argon2id: 19 MiB, 2 passes, 1 lane.
    pub const fn standard() -> HashCost {
        HashCost { m_kib: 19 * 1024, t: 2, p: 1 }
    }
    /// For tests only: fast, still argon2id.
    pub const fn cheap() -> HashCost {
        HashCost { m_kib: 256, t: 1, p: 1 }
    }
}

/// Hashes and verifies passwords on two dedicated threads. A flood of sign-ins
/// queues there: only two argon2 buffers (19 MiB each) ever exist at once, and
/// they are reused by the same two threads rather than spread over many.
#[derive(Clone)]
pub struct Hasher {
    cost: HashCost,
    workers: std::sync::mpsc::Sender<Job>,
    /// A hash to verify against when the account does not exist, so timing
    /// does not reveal which e-mail addresses have accounts. Made on first need
    /// (on a hashing thread), so tools that only hash one password don't pay for it.
    dummy: Arc<std::sync::OnceLock<String>>,
}

impl std::fmt::Debug for Hasher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Hasher").field("cost", &self.cost).finish()
    }
}

pub const MAX_CONCURRENT_HASHES: usize = 2;
pub const PASSWORD_MIN: usize = 12;
pub const PASSWORD_MAX: usize = 256;

fn argon(cost: HashCost) -> Argon2<'static> {
    let params = Params::new(cost.m_kib, cost.t, cost.p, Some(32)).unwrap_or_default();
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

thread_local! {
    /// Each hashing thread keeps one argon2 work area and reuses it, so memory
    /// stays at two work areas however many sign-ins arrive.
    static WORK_AREA: std::cell::RefCell<Vec<argon2::Block>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Verifies against a PHC string using this thread's reusable work area.
fn verify_sync(password: &str, stored: &str) -> bool {
    let Ok(parsed) = PasswordHash::new(stored) else { return false };
    let Ok(params) = Params::try_from(&parsed) else { return false };
    let Ok(algorithm) = Algorithm::try_from(parsed.algorithm) else { return false };
    let version = parsed.version.and_then(|v| Version::try_from(v).ok()).unwrap_or(Version::V0x13);
    let (Some(salt), Some(expected)) = (parsed.salt, parsed.hash) else { return false };
    let mut salt_buf = [0u8; 64];
    let Ok(salt) = salt.decode_b64(&mut salt_buf) else { return false };
    let expected = expected.as_bytes();
    let mut out = vec![0u8; expected.len()];
    let blocks = params.block_count();
    let ok = WORK_AREA.with(|area| {
        let mut area = area.borrow_mut();
        if area.len() < blocks {
            area.resize(blocks, argon2::Block::default());
        }
        Argon2::new(algorithm, version, params)
            .hash_password_into_with_memory(password.as_bytes(), salt, &mut out, &mut area[..blocks])
            .is_ok()
    });
    ok && out.len() == expected.len() && out.iter().zip(expected).fold(0u8, |acc, (a, b)| acc | (a ^ b)) == 0
}

fn hash_sync(cost: HashCost, password: &str) -> Result<String, String> {
    let mut salt = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut salt);
    let salt = SaltString::encode_b64(&salt).map_err(|e| e.to_string())?;
    argon(cost).hash_password(password.as_bytes(), &salt).map(|h| h.to_string()).map_err(|e| e.to_string())
}

impl Hasher {
    pub fn new(cost: HashCost) -> Hasher {
        Hasher { cost, workers: start_workers(MAX_CONCURRENT_HASHES), dummy: Arc::default() }
    }

    pub fn cost(&self) -> HashCost {
        self.cost
    }

    /// Synchronous hash for the CLI (no runtime needed).
    pub fn hash_blocking(&self, password: &str) -> Result<String, String> {
        hash_sync(self.cost, password)
    }

    async fn run<T: Send + 'static>(&self, f: impl FnOnce() -> T + Send + 'static) -> Option<T> {
        let (done, wait) = tokio::sync::oneshot::channel();
        let job: Job = Box::new(move || {
            let _ = done.send(f());
        });
        self.workers.send(job).ok()?;
        wait.await.ok()
    }

    pub async fn hash(&self, password: &str) -> Result<String, String> {
        let cost = self.cost;
        let pw = password.to_string();
        self.run(move || hash_sync(cost, &pw)).await.ok_or_else(|| "password hashing stopped".to_string())?
    }

    /// Verifies `password` against `stored` (or the dummy hash when None).
    pub async fn verify(&self, password: &str, stored: Option<&str>) -> bool {
        let real = stored.is_some();
        let stored = stored.map(str::to_string);
        let (pw, dummy, cost) = (password.to_string(), self.dummy.clone(), self.cost);
        let ok = self
            // Parameters come from the stored PHC string, so old hashes still verify.
            .run(move || {
                let against = stored.unwrap_or_else(|| dummy.get_or_init(|| hash_sync(cost, "lantern-dummy-password-for-timing").unwrap_or_default()).clone());
                verify_sync(&pw, &against)
            })
            .await
            .unwrap_or(false);
        ok && real
    }
}

/// A new random secret (256 bits), URL-safe.
pub fn new_secret() -> String {
    let mut b = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut b);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b)
}

/// How secrets are stored: SHA-256, hex. (They are random, so no salt is needed.)
pub fn secret_hash(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// API tokens carry a recognizable prefix so leaked ones can be found by scanners.
pub fn new_api_token() -> String {
    format!("lnt_{}", new_secret())
}

/// Constant-time comparison for CSRF tokens.
pub fn same(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Session limits.
#[derive(Debug, Clone, Copy)]
pub struct SessionLimits {
    pub idle_ms: i64,
    pub absolute_ms: i64,
    /// Refresh `last_seen` at most this often (a write per request would be wasteful).
    pub touch_every_ms: i64,
}

impl Default for SessionLimits {
    fn default() -> Self {
        SessionLimits { idle_ms: 15 * 60 * 1000, absolute_ms: 12 * 60 * 60 * 1000, touch_every_ms: 60 * 1000 }
    }
}

/// Password rules (NIST 800-63B): length, not composition; a small blocklist.
pub fn check_new_password(pw: &str, email: &str) -> Result<(), &'static str> {
    let n = pw.chars().count();
    if n < PASSWORD_MIN {
        return Err("error-password-short");
    }
    if n > PASSWORD_MAX {
        return Err("error-password-long");
    }
    let lower = pw.to_lowercase();
    const COMMON: &[&str] = &["password", "123456", "qwerty", "letmein", "lantern", "welcome", "iloveyou", "recovery"];
    let local = email.split('@').next().unwrap_or("").to_lowercase();
    if COMMON.iter().any(|c| lower.contains(c) && lower.len() < c.len() + 6) || (!local.is_empty() && lower.contains(&local) && local.len() > 3) {
        return Err("error-password-common");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_verify_and_wrong_passwords_do_not() {
        let h = Hasher::new(HashCost::cheap());
        let stored = h.hash("a long passphrase here").await.unwrap();
        assert!(stored.starts_with("$argon2id$"));
        assert!(h.verify("a long passphrase here", Some(&stored)).await);
        assert!(!h.verify("a long passphrase herE", Some(&stored)).await);
        assert!(!h.verify("a long passphrase here", None).await, "no account never verifies");
        assert!(!h.verify("x", Some("not a phc string")).await);
    }

    #[test]
    fn standard_cost_meets_owasp_minimum() {
        let c = HashCost::standard();
        assert!(c.m_kib >= 19 * 1024 && c.t >= 2 && c.p >= 1);
    }
}
