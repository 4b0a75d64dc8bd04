//! Organizations, users, teams, sessions, API tokens, invitations and sign-in throttling.
//!
//! Secrets never reach the database in the clear: sessions, tokens and invite
//! links are stored as SHA-256 hashes, passwords as argon2id PHC strings made
//! by the web layer.

use lantern_domain::{Roles, UserId};
use sqlx::any::AnyRow;

use crate::audit::{append, init_chain, NewEntry};
use crate::{row, Result, Store, StoreError};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Org {
    pub id: i64,
    pub name: String,
    pub slug: String,
    pub time_zone: String,
    pub contact_cadence_days: i64,
    pub demo: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub id: i64,
    pub org_id: i64,
    pub email: String,
    pub display_name: String,
    pub credentials: String,
    pub roles: Roles,
    pub password_hash: Option<String>,
    pub person_id: Option<i64>,
    pub active: bool,
    pub failed_logins: i64,
    pub locked_until_ms: i64,
    /// Deactivated by an admin (as opposed to invited and not yet active).
    pub deactivated: bool,
}

impl User {
    pub fn user_id(&self) -> UserId {
        UserId(self.id)
    }
}

#[derive(Debug, Clone)]
pub struct NewUser {
    pub org_id: i64,
    pub email: String,
    pub display_name: String,
    pub credentials: String,
    pub roles: Roles,
    pub password_hash: Option<String>,
    pub person_id: Option<i64>,
    pub active: bool,
}

/// A live session with its user.
#[derive(Debug, Clone)]
pub struct SessionInfo {
    pub user: User,
    pub csrf: String,
    pub created_ms: i64,
    pub last_seen_ms: i64,
}

/// Who did something and from where, for audit rows.
#[derive(Debug, Clone, Default)]
pub struct Who {
    pub actor_id: Option<i64>,
    pub ip: String,
}

/// The wait after `failures` failures in a row (from the fifth on).
pub fn backoff_ms(failures: i64) -> i64 {
    if failures < 5 {
        return 0;
    }
    let secs = 1i64 << (failures - 5).min(10);
    secs.min(900) * 1000
}

/// Maximum live sessions per account; signing in again ends the oldest.
pub const MAX_SESSIONS_PER_USER: i64 = 5;

const USER_COLS: &str = "id, org_id, email, display_name, credentials, roles, password_hash, person_id, active, failed_logins, locked_until_ms, deactivated_ms";

/// The user columns qualified with a table alias, for joins.
fn user_cols_of(alias: &str) -> String {
    USER_COLS.split(", ").map(|c| format!("{alias}.{c}")).collect::<Vec<_>>().join(", ")
}

fn user_from(r: &AnyRow) -> Result<User> {
    Ok(User {
        id: row::i(r, "id")?,
        org_id: row::i(r, "org_id")?,
        email: row::s(r, "email")?,
        display_name: row::s(r, "display_name")?,
        credentials: row::s(r, "credentials")?,
        roles: Roles::from_bits(row::i(r, "roles")?),
        password_hash: row::os(r, "password_hash")?,
        person_id: row::oi(r, "person_id")?,
        active: row::i(r, "active")? != 0,
        failed_logins: row::i(r, "failed_logins")?,
        locked_until_ms: row::i(r, "locked_until_ms")?,
        deactivated: row::oi(r, "deactivated_ms")?.is_some(),
    })
}

fn org_from(r: &AnyRow) -> Result<Org> {
    Ok(Org {
        id: row::i(r, "id")?,
        name: row::s(r, "name")?,
        slug: row::s(r, "slug")?,
        time_zone: row::s(r, "time_zone")?,
        contact_cadence_days: row::i(r, "contact_cadence_days")?,
        demo: row::i(r, "demo")? != 0,
    })
}

pub(crate) fn is_unique_violation(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::Database(d) => {
            d.code().as_deref() == Some("23505") || d.message().contains("UNIQUE constraint failed")
        }
        _ => false,
    }
}

impl Store {
    pub async fn create_org(&self, name: &str, slug: &str, time_zone: &str, demo: bool) -> Result<Org> {
        if jiff::tz::TimeZone::get(time_zone).is_err() {
            return Err(StoreError::Refused(format!("unknown time zone {time_zone:?} (use an IANA name like America/New_York)")));
        }
        let now = self.now_ms();
        let mut tx = self.begin_write().await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO orgs (name, slug, time_zone, demo, created_ms) VALUES ($1, $2, $3, $4, $5) RETURNING id",
        )
        .bind(name)
        .bind(slug)
        .bind(time_zone)
        .bind(demo as i64)
        .bind(now)
        .fetch_one(&mut *tx)
        .await
        .map_err(|e| if is_unique_violation(&e) { StoreError::Conflict(format!("an organization called {slug:?} exists")) } else { e.into() })?;
        init_chain(&mut tx, id).await?;
        crate::encounters::seed_defaults(&mut tx, id).await?;
        append(&mut tx, &NewEntry {
            org_id: id, ts_ms: now, actor_id: None, action: "org.create".into(), person_id: None,
            object_type: "org".into(), object_id: id.to_string(), outcome: "ok".into(), ip: String::new(), reason: String::new(),
        })
        .await?;
        tx.commit().await?;
        self.org(id).await
    }

    pub async fn org(&self, id: i64) -> Result<Org> {
        let r = sqlx::query("SELECT id, name, slug, time_zone, contact_cadence_days, demo FROM orgs WHERE id = $1")
            .bind(id)
            .fetch_optional(self.pool())
            .await?
            .ok_or(StoreError::NotFound)?;
        org_from(&r)
    }

    /// An organization's settings, cached for up to a minute. Settings (name, time
    /// zone) change rarely; another app server sees a change within that minute.
    pub async fn org_cached(&self, id: i64) -> Result<Org> {
        let now = self.now_ms();
        if let Ok(cache) = self.org_cache.read() {
            if let Some((at, org)) = cache.get(&id) {
                if now - at < 60_000 && now >= *at {
                    return Ok(org.clone());
                }
            }
        }
        let org = self.org(id).await?;
        if let Ok(mut cache) = self.org_cache.write() {
            cache.insert(id, (now, org.clone()));
        }
        Ok(org)
    }

    pub async fn orgs(&self) -> Result<Vec<Org>> {
        let rows = sqlx::query("SELECT id, name, slug, time_zone, contact_cadence_days, demo FROM orgs ORDER BY id").fetch_all(self.pool()).await?;
        rows.iter().map(org_from).collect()
    }

    pub async fn org_by_slug(&self, slug: &str) -> Result<Option<Org>> {
        let r = sqlx::query("SELECT id, name, slug, time_zone, contact_cadence_days, demo FROM orgs WHERE slug = $1")
            .bind(slug)
            .fetch_optional(self.pool())
            .await?;
        r.as_ref().map(org_from).transpose()
    }

    pub async fn create_user(&self, u: &NewUser, who: &Who) -> Result<User> {
        let now = self.now_ms();
        let mut tx = self.begin_write().await?;
        let email = u.email.trim().to_lowercase();
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO users (org_id, email, display_name, credentials, roles, password_hash, person_id, active, created_ms)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
        )
        .bind(u.org_id)
        .bind(&email)
        .bind(&u.display_name)
        .bind(&u.credentials)
        .bind(u.roles.bits())
        .bind(u.password_hash.clone())
        .bind(u.person_id)
        .bind(u.active as i64)
        .bind(now)
        .fetch_one(&mut *tx)
        .await
        .map_err(|e| if is_unique_violation(&e) { StoreError::Conflict(format!("an account for {email} already exists")) } else { e.into() })?;
        append(&mut tx, &NewEntry {
            org_id: u.org_id, ts_ms: now, actor_id: who.actor_id, action: "user.create".into(), person_id: u.person_id,
            object_type: "user".into(), object_id: id.to_string(), outcome: "ok".into(), ip: who.ip.clone(),
            reason: format!("roles={}", u.roles.to_list()),
        })
        .await?;
        tx.commit().await?;
        self.user(id).await
    }

    pub async fn user(&self, id: i64) -> Result<User> {
        let r = sqlx::query(&format!("SELECT {USER_COLS} FROM users WHERE id = $1"))
            .bind(id)
            .fetch_optional(self.pool())
            .await?
            .ok_or(StoreError::NotFound)?;
        user_from(&r)
    }

    pub async fn user_by_email(&self, email: &str) -> Result<Option<User>> {
        let r = sqlx::query(&format!("SELECT {USER_COLS} FROM users WHERE email = $1"))
            .bind(email.trim().to_lowercase())
            .fetch_optional(self.pool())
            .await?;
        r.as_ref().map(user_from).transpose()
    }

    pub async fn users_in_org(&self, org_id: i64) -> Result<Vec<User>> {
        let rows = sqlx::query(&format!("SELECT {USER_COLS} FROM users WHERE org_id = $1 ORDER BY display_name, id"))
            .bind(org_id)
            .fetch_all(self.pool())
            .await?;
        rows.iter().map(user_from).collect()
    }

    /// Sets a new password hash and ends every other session of the user.
    pub async fn set_password(&self, user: &User, hash: &str, keep_session: Option<&str>, who: &Who) -> Result<()> {
        let now = self.now_ms();
        let mut tx = self.begin_write().await?;
        sqlx::query("UPDATE users SET password_hash = $2, failed_logins = 0, locked_until_ms = 0 WHERE id = $1")
            .bind(user.id)
            .bind(hash)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND token_hash <> $2")
            .bind(user.id)
            .bind(keep_session.unwrap_or(""))
            .execute(&mut *tx)
            .await?;
        append(&mut tx, &NewEntry {
            org_id: user.org_id, ts_ms: now, actor_id: who.actor_id, action: "user.password_change".into(), person_id: None,
            object_type: "user".into(), object_id: user.id.to_string(), outcome: "ok".into(), ip: who.ip.clone(), reason: String::new(),
        })
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Records a failed sign-in; returns the new failure count. After five
    /// failures the account waits 1 s, 2 s, 4 s … (capped at 15 minutes)
    /// before the next try is even checked.
    pub async fn record_login_failure(&self, user: &User, ip: &str) -> Result<i64> {
        let now = self.now_ms();
        let failures = user.failed_logins + 1;
        let locked_until = if failures >= 5 {
            let secs = 1i64 << (failures - 5).min(10);
            now + secs.min(900) * 1000
        } else {
            0
        };
        let mut tx = self.begin_write().await?;
        sqlx::query("UPDATE users SET failed_logins = $2, locked_until_ms = $3 WHERE id = $1")
            .bind(user.id)
            .bind(failures)
            .bind(locked_until)
            .execute(&mut *tx)
            .await?;
        append(&mut tx, &NewEntry {
            org_id: user.org_id, ts_ms: now, actor_id: Some(user.id), action: "auth.login".into(), person_id: None,
            object_type: "user".into(), object_id: user.id.to_string(), outcome: "failed".into(), ip: ip.to_string(),
            reason: format!("failure {failures}"),
        })
        .await?;
        tx.commit().await?;
        Ok(failures)
    }

    /// Whether a key (an address, or an e-mail's hash) has failed `limit` times
    /// within `window_ms`. Only failures count, so a clinic signing in together
    /// behind one address is not slowed down.
    pub async fn too_many_failures(&self, key: &str, limit: i64, window_ms: i64) -> Result<bool> {
        let now = self.now_ms();
        let r = sqlx::query("SELECT window_start_ms, failures FROM login_throttle WHERE key = $1").bind(key).fetch_optional(self.pool()).await?;
        Ok(match r {
            Some(r) => now - row::i(&r, "window_start_ms")? <= window_ms && row::i(&r, "failures")? >= limit,
            None => false,
        })
    }

    /// Whether sign-in for this account key must wait: after five failures in a
    /// row, 1 s, 2 s, 4 s … (capped at 15 minutes) from the last failure. The
    /// same rule applies whether or not the account exists, so the answer
    /// reveals nothing about which addresses have accounts.
    pub async fn account_must_wait(&self, key: &str) -> Result<bool> {
        let now = self.now_ms();
        let r = sqlx::query("SELECT window_start_ms, failures FROM login_throttle WHERE key = $1").bind(key).fetch_optional(self.pool()).await?;
        Ok(match r {
            Some(r) => {
                let failures = row::i(&r, "failures")?;
                let last = row::i(&r, "window_start_ms")?;
                failures >= 5 && now < last + backoff_ms(failures)
            }
            None => false,
        })
    }

    /// Counts a failure for a key; `window_ms` > 0 restarts the count after that long.
    pub async fn count_failure(&self, key: &str, window_ms: i64) -> Result<i64> {
        let now = self.now_ms();
        let mut tx = self.begin_write().await?;
        let r = sqlx::query("SELECT window_start_ms, failures FROM login_throttle WHERE key = $1").bind(key).fetch_optional(&mut *tx).await?;
        let (start, count) = match r {
            Some(r) => (row::i(&r, "window_start_ms")?, row::i(&r, "failures")?),
            None => (now, 0),
        };
        // Account keys (window 0) remember the time of the last failure; address keys the window start.
        let (start, count) = if window_ms > 0 && now - start > window_ms { (now, 1) } else if window_ms > 0 { (start, count + 1) } else { (now, count + 1) };
        sqlx::query(
            "INSERT INTO login_throttle (key, window_start_ms, failures) VALUES ($1, $2, $3)
             ON CONFLICT (key) DO UPDATE SET window_start_ms = excluded.window_start_ms, failures = excluded.failures",
        )
        .bind(key)
        .bind(start)
        .bind(count)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(count)
    }

    /// Forgets a key's failures (after a successful sign-in).
    pub async fn clear_failures(&self, key: &str) -> Result<()> {
        let mut tx = self.begin_write().await?;
        sqlx::query("DELETE FROM login_throttle WHERE key = $1").bind(key).execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Starts a session after a successful sign-in.
    pub async fn create_session(&self, user: &User, token_hash: &str, csrf: &str, ip: &str) -> Result<()> {
        let now = self.now_ms();
        let mut tx = self.begin_write().await?;
        sqlx::query("UPDATE users SET failed_logins = 0, locked_until_ms = 0 WHERE id = $1").bind(user.id).execute(&mut *tx).await?;
        sqlx::query("INSERT INTO sessions (token_hash, user_id, csrf, created_ms, last_seen_ms, ip) VALUES ($1, $2, $3, $4, $4, $5)")
            .bind(token_hash)
            .bind(user.id)
            .bind(csrf)
            .bind(now)
            .bind(ip)
            .execute(&mut *tx)
            .await?;
        // Keep at most MAX_SESSIONS_PER_USER: end the oldest beyond that.
        sqlx::query(
            "DELETE FROM sessions WHERE user_id = $1 AND token_hash <> $3 AND token_hash NOT IN
             (SELECT token_hash FROM sessions WHERE user_id = $1 AND token_hash <> $3 ORDER BY created_ms DESC, token_hash LIMIT $2)",
        )
        .bind(user.id)
        .bind(MAX_SESSIONS_PER_USER - 1)
        .bind(token_hash)
        .execute(&mut *tx)
        .await?;
        append(&mut tx, &NewEntry {
            org_id: user.org_id, ts_ms: now, actor_id: Some(user.id), action: "auth.login".into(), person_id: None,
            object_type: "user".into(), object_id: user.id.to_string(), outcome: "ok".into(), ip: ip.to_string(), reason: String::new(),
        })
        .await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn session(&self, token_hash: &str) -> Result<Option<SessionInfo>> {
        let r = sqlx::query(&format!(
            "SELECT s.csrf, s.created_ms, s.last_seen_ms, {} FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = $1",
            user_cols_of("u")
        ))
        .bind(token_hash)
        .fetch_optional(self.pool())
        .await?;
        let Some(r) = r else { return Ok(None) };
        Ok(Some(SessionInfo {
            user: user_from(&r)?,
            csrf: row::s(&r, "csrf")?,
            created_ms: row::i(&r, "created_ms")?,
            last_seen_ms: row::i(&r, "last_seen_ms")?,
        }))
    }

    pub async fn touch_session(&self, token_hash: &str) -> Result<()> {
        let mut tx = self.begin_write().await?;
        sqlx::query("UPDATE sessions SET last_seen_ms = $2 WHERE token_hash = $1")
            .bind(token_hash)
            .bind(self.now_ms())
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn end_session(&self, token_hash: &str, user: Option<&User>, reason: &str, ip: &str) -> Result<()> {
        let mut tx = self.begin_write().await?;
        let done = sqlx::query("DELETE FROM sessions WHERE token_hash = $1").bind(token_hash).execute(&mut *tx).await?;
        if let Some(u) = user {
            if done.rows_affected() > 0 {
                append(&mut tx, &NewEntry {
                    org_id: u.org_id, ts_ms: self.now_ms(), actor_id: Some(u.id), action: "auth.logout".into(), person_id: None,
                    object_type: "user".into(), object_id: u.id.to_string(), outcome: "ok".into(), ip: ip.to_string(), reason: reason.to_string(),
                })
                .await?;
            }
        }
        tx.commit().await?;
        Ok(())
    }

    pub async fn create_api_token(&self, user: &User, token_hash: &str, name: &str) -> Result<i64> {
        let now = self.now_ms();
        let mut tx = self.begin_write().await?;
        let id: i64 = sqlx::query_scalar("INSERT INTO api_tokens (user_id, token_hash, name, created_ms) VALUES ($1, $2, $3, $4) RETURNING id")
            .bind(user.id)
            .bind(token_hash)
            .bind(name)
            .bind(now)
            .fetch_one(&mut *tx)
            .await?;
        append(&mut tx, &NewEntry {
            org_id: user.org_id, ts_ms: now, actor_id: Some(user.id), action: "token.create".into(), person_id: None,
            object_type: "api_token".into(), object_id: id.to_string(), outcome: "ok".into(), ip: String::new(), reason: name.to_string(),
        })
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// A user's live API tokens: (id, name, created).
    pub async fn api_tokens(&self, user_id: i64) -> Result<Vec<(i64, String, i64)>> {
        let rows = sqlx::query("SELECT id, name, created_ms FROM api_tokens WHERE user_id = $1 AND revoked = 0 ORDER BY created_ms DESC, id DESC")
            .bind(user_id)
            .fetch_all(self.pool())
            .await?;
        rows.iter().map(|r| Ok((row::i(r, "id")?, row::s(r, "name")?, row::i(r, "created_ms")?))).collect()
    }

    /// Revokes one of the user's own tokens.
    pub async fn revoke_api_token(&self, user: &User, token_id: i64, who: &Who) -> Result<()> {
        let mut tx = self.begin_write().await?;
        let done = sqlx::query("UPDATE api_tokens SET revoked = 1 WHERE id = $1 AND user_id = $2 AND revoked = 0")
            .bind(token_id)
            .bind(user.id)
            .execute(&mut *tx)
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        append(&mut tx, &NewEntry {
            org_id: user.org_id, ts_ms: self.now_ms(), actor_id: who.actor_id, action: "token.revoke".into(), person_id: None,
            object_type: "api_token".into(), object_id: token_id.to_string(), outcome: "ok".into(), ip: who.ip.clone(), reason: String::new(),
        })
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The active user a live API token belongs to.
    pub async fn user_by_token(&self, token_hash: &str) -> Result<Option<User>> {
        let r = sqlx::query(&format!(
            "SELECT {} FROM api_tokens t JOIN users u ON u.id = t.user_id WHERE t.token_hash = $1 AND t.revoked = 0 AND u.active = 1",
            user_cols_of("u")
        ))
        .bind(token_hash)
        .fetch_optional(self.pool())
        .await?;
        r.as_ref().map(user_from).transpose()
    }

    /// Deactivates an account: its sessions and tokens end at once.
    pub async fn deactivate_user(&self, org_id: i64, user_id: i64, who: &Who) -> Result<()> {
        let mut tx = self.begin_write().await?;
        let now = self.now_ms();
        let done = sqlx::query("UPDATE users SET active = 0, deactivated_ms = $3 WHERE id = $1 AND org_id = $2")
            .bind(user_id)
            .bind(org_id)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        sqlx::query("DELETE FROM sessions WHERE user_id = $1").bind(user_id).execute(&mut *tx).await?;
        sqlx::query("UPDATE api_tokens SET revoked = 1 WHERE user_id = $1").bind(user_id).execute(&mut *tx).await?;
        // Open invitation and reset links die with the account.
        sqlx::query("UPDATE invites SET used_ms = $2 WHERE user_id = $1 AND used_ms IS NULL").bind(user_id).bind(now).execute(&mut *tx).await?;
        append(&mut tx, &NewEntry {
            org_id, ts_ms: self.now_ms(), actor_id: who.actor_id, action: "user.deactivate".into(), person_id: None,
            object_type: "user".into(), object_id: user_id.to_string(), outcome: "ok".into(), ip: who.ip.clone(), reason: String::new(),
        })
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Creates an invitation (for a new account) or a reset link (for an
    /// existing one). A reset removes the old password and ends sessions.
    pub async fn create_invite(&self, org_id: i64, user_id: i64, token_hash: &str, expires_ms: i64, reset: bool, who: &Who) -> Result<()> {
        let now = self.now_ms();
        let mut tx = self.begin_write().await?;
        let u = sqlx::query(&format!("SELECT {USER_COLS} FROM users WHERE id = $1 AND org_id = $2"))
            .bind(user_id)
            .bind(org_id)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or(StoreError::NotFound)?;
        let u = user_from(&u)?;
        if u.deactivated {
            return Err(StoreError::Refused("this account is deactivated; it cannot be sent a new link".into()));
        }
        if reset {
            sqlx::query("UPDATE users SET password_hash = NULL WHERE id = $1").bind(user_id).execute(&mut *tx).await?;
            sqlx::query("DELETE FROM sessions WHERE user_id = $1").bind(user_id).execute(&mut *tx).await?;
            sqlx::query("UPDATE api_tokens SET revoked = 1 WHERE user_id = $1").bind(user_id).execute(&mut *tx).await?;
        }
        sqlx::query("UPDATE invites SET used_ms = $2 WHERE user_id = $1 AND used_ms IS NULL").bind(user_id).bind(now).execute(&mut *tx).await?;
        sqlx::query(
            "INSERT INTO invites (token_hash, org_id, email, display_name, roles, user_id, created_by, expires_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(token_hash)
        .bind(org_id)
        .bind(&u.email)
        .bind(&u.display_name)
        .bind(u.roles.bits())
        .bind(user_id)
        .bind(who.actor_id)
        .bind(expires_ms)
        .execute(&mut *tx)
        .await?;
        append(&mut tx, &NewEntry {
            org_id, ts_ms: now, actor_id: who.actor_id, action: if reset { "user.password_reset" } else { "user.invite" }.into(), person_id: None,
            object_type: "user".into(), object_id: user_id.to_string(), outcome: "ok".into(), ip: who.ip.clone(), reason: String::new(),
        })
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The account an unused, unexpired invite link is for.
    pub async fn invite_user(&self, token_hash: &str) -> Result<Option<User>> {
        let r = sqlx::query(
            "SELECT i.user_id FROM invites i JOIN users u ON u.id = i.user_id
             WHERE i.token_hash = $1 AND i.used_ms IS NULL AND i.expires_ms > $2 AND u.deactivated_ms IS NULL",
        )
            .bind(token_hash)
            .bind(self.now_ms())
            .fetch_optional(self.pool())
            .await?;
        match r {
            Some(r) => Ok(Some(self.user(row::i(&r, "user_id")?).await?)),
            None => Ok(None),
        }
    }

    /// Uses an invite link: sets the password and activates the account, once.
    pub async fn accept_invite(&self, token_hash: &str, password_hash: &str, ip: &str) -> Result<User> {
        let now = self.now_ms();
        let mut tx = self.begin_write().await?;
        let r = sqlx::query(
            "SELECT i.user_id, i.org_id FROM invites i JOIN users u ON u.id = i.user_id
             WHERE i.token_hash = $1 AND i.used_ms IS NULL AND i.expires_ms > $2 AND u.deactivated_ms IS NULL",
        )
            .bind(token_hash)
            .bind(now)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or(StoreError::NotFound)?;
        let user_id = row::i(&r, "user_id")?;
        let org_id = row::i(&r, "org_id")?;
        sqlx::query("UPDATE invites SET used_ms = $2 WHERE token_hash = $1").bind(token_hash).bind(now).execute(&mut *tx).await?;
        sqlx::query("UPDATE users SET password_hash = $2, active = 1, failed_logins = 0, locked_until_ms = 0 WHERE id = $1")
            .bind(user_id)
            .bind(password_hash)
            .execute(&mut *tx)
            .await?;
        append(&mut tx, &NewEntry {
            org_id, ts_ms: now, actor_id: Some(user_id), action: "user.invite_accept".into(), person_id: None,
            object_type: "user".into(), object_id: user_id.to_string(), outcome: "ok".into(), ip: ip.to_string(), reason: String::new(),
        })
        .await?;
        tx.commit().await?;
        self.user(user_id).await
    }

    pub async fn create_team(&self, org_id: i64, name: &str) -> Result<i64> {
        let mut tx = self.begin_write().await?;
        let id: i64 = sqlx::query_scalar("INSERT INTO teams (org_id, name) VALUES ($1, $2) RETURNING id")
            .bind(org_id)
            .bind(name)
            .fetch_one(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(id)
    }

    pub async fn add_team_member(&self, team_id: i64, user_id: i64, lead: bool) -> Result<()> {
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO team_members (team_id, user_id, is_lead) VALUES ($1, $2, $3)
             ON CONFLICT (team_id, user_id) DO UPDATE SET is_lead = excluded.is_lead",
        )
        .bind(team_id)
        .bind(user_id)
        .bind(lead as i64)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Staff a supervisor leads (through teams), for the team caseload view.
    pub async fn supervisees(&self, supervisor_id: i64) -> Result<Vec<User>> {
        let rows = sqlx::query(&format!(
            "SELECT DISTINCT {} FROM team_members lead JOIN team_members m ON m.team_id = lead.team_id
             JOIN users u ON u.id = m.user_id WHERE lead.user_id = $1 AND lead.is_lead = 1 AND m.user_id <> $1
             ORDER BY u.display_name",
            user_cols_of("u")
        ))
        .bind(supervisor_id)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(user_from).collect()
    }
}
