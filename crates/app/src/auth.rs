//! Authentication: passwords (argon2id), browser sessions and API tokens.
//!
//! Secrets are stored only as hashes: passwords with argon2id (slow on purpose), session ids
//! and API tokens with SHA-256 (they are 256-bit random values, so a fast hash suffices and
//! keeps every request cheap).

use std::sync::LazyLock;

use argon2::password_hash::phc::PasswordHash;
use argon2::{Argon2, PasswordHasher, PasswordVerifier};
use chrono::Duration;
use prospekt_domain::ids::{TokenId, UserId};

use crate::audit::{By, record_tx};
use prospekt_storage::repo::audit::{self, AuditEntry};
use prospekt_storage::repo::throttle::{self, ThrottleRow};
use prospekt_storage::repo::{sessions, tokens, users};
use rand::RngCore;
use sha2::{Digest, Sha256};

use crate::{Actor, App, AppError, now};

/// How long a browser session lives without a new login.
pub const SESSION_TTL_HOURS: i64 = 12;

/// Failed logins counted per login within this window…
pub const THROTTLE_WINDOW_MINUTES: i64 = 15;
/// …lock that login after this many failures (whether or not the login exists)…
pub const MAX_FAILURES_PER_LOGIN: i32 = 5;
/// …and lock an address after this many, so one address cannot sweep many logins.
pub const MAX_FAILURES_PER_ADDRESS: i32 = 30;
/// How long a lock lasts.
pub const LOCKOUT_MINUTES: i64 = 15;

/// Hashes a password with argon2id (OWASP parameters, the crate's defaults).
pub fn hash_password(password: &str) -> Result<String, AppError> {
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| AppError::Internal(format!("password hashing failed: {e}")))
}

fn verify_password(password: &str, hash: &str) -> bool {
    match PasswordHash::new(hash) {
        Ok(parsed) => Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok(),
        Err(_) => false,
    }
}

/// A hash of a random password, verified against when the login is unknown so that an
/// unknown login costs the same time as a wrong password.
static DUMMY_HASH: LazyLock<String> = LazyLock::new(|| hash_password(&random_secret()).unwrap_or_default());

pub(crate) fn random_secret() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}

pub(crate) fn digest(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// Minimum password length accepted by `user add` and password changes.
pub const MIN_PASSWORD_LEN: usize = 8;

pub(crate) fn check_password_policy(password: &str) -> Result<(), AppError> {
    if password.chars().count() < MIN_PASSWORD_LEN {
        return Err(prospekt_domain::FieldError::new("password", "password_too_short")
            .with("min", MIN_PASSWORD_LEN.to_string())
            .into());
    }
    Ok(())
}

pub use prospekt_storage::repo::tokens::TokenRow;

/// How long a token, once checked against the database, is believed without asking again.
/// What this server changes (a revoked token, a user's role, activity or absences) takes
/// effect at once; a change made by another app server, within this many seconds.
pub const TOKEN_CACHE_SECONDS: i64 = 2;

/// Most tokens remembered at once (a full cache starts over).
const TOKEN_CACHE_CAPACITY: usize = 10_000;

/// API tokens recently found live, by the digest of their secret (the secret itself is never
/// kept). An API client sends its token with every request; a second round trip to the
/// database per request to re-read the same user halved what one small machine served.
#[derive(Default)]
pub(crate) struct TokenCache {
    inner: std::sync::Mutex<CacheState>,
}

#[derive(Default)]
struct CacheState {
    entries: std::collections::HashMap<String, CachedToken>,
    /// Bumped by every forgetting, so that a lookup that started before a revocation does
    /// not put its (possibly revoked) answer back.
    generation: u64,
}

struct CachedToken {
    actor: Actor,
    /// Believed until then: the cache's term, or the token's own expiry if sooner.
    until: chrono::DateTime<chrono::Utc>,
}

impl TokenCache {
    fn get(&self, hash: &str, at: chrono::DateTime<chrono::Utc>) -> Option<Actor> {
        let state = self.inner.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        state
            .entries
            .get(hash)
            .filter(|c| at < c.until)
            .map(|c| c.actor.clone())
    }

    fn generation(&self) -> u64 {
        self.inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .generation
    }

    fn put(
        &self,
        hash: String,
        actor: Actor,
        expires_at: Option<chrono::DateTime<chrono::Utc>>,
        at: chrono::DateTime<chrono::Utc>,
        generation: u64,
    ) {
        let mut state = self.inner.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if state.generation != generation {
            return;
        }
        if state.entries.len() >= TOKEN_CACHE_CAPACITY {
            state.entries.retain(|_, c| at < c.until);
            if state.entries.len() >= TOKEN_CACHE_CAPACITY {
                state.entries.clear();
            }
        }
        let term = at + Duration::seconds(TOKEN_CACHE_SECONDS);
        let until = expires_at.map_or(term, |e| e.min(term));
        state.entries.insert(hash, CachedToken { actor, until });
    }

    /// Forgets every token: after a revocation or a change to users or absences.
    pub(crate) fn forget_all(&self) {
        let mut state = self.inner.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        state.entries.clear();
        state.generation += 1;
    }
}

/// A newly created API token: the secret is shown once and never stored.
pub struct IssuedToken {
    pub id: TokenId,
    pub secret: String,
}

impl App {
    /// Checks a login and password and opens a session. Returns the session secret for the cookie.
    pub async fn login(&self, login: &str, password: &str, ip: Option<&str>) -> Result<(Actor, String), AppError> {
        let keys: Vec<(String, i32)> =
            std::iter::once((format!("login:{}", login.to_lowercase()), MAX_FAILURES_PER_LOGIN))
                .chain(ip.map(|ip| (format!("ip:{ip}"), MAX_FAILURES_PER_ADDRESS)))
                .collect();
        let at = now();
        for (key, _) in &keys {
            if let Some(row) = throttle::get(self.db(), key).await?
                && let Some(until) = row.locked_until.filter(|u| *u > at)
            {
                let retry_after_secs = (until - at).num_seconds().max(1);
                self.record(
                    crate::audit::By::CONSOLE,
                    "login_throttled",
                    "user",
                    None,
                    serde_json::json!({ "login": login }),
                    ip,
                )
                .await?;
                return Err(AppError::TooManyAttempts { retry_after_secs });
            }
        }
        let found = users::credentials(self.db(), login).await?;
        let password = password.to_owned();
        let (user, ok) = match found {
            Some((user, Some(hash))) if user.is_active => {
                let ok = tokio::task::spawn_blocking(move || verify_password(&password, &hash))
                    .await
                    .map_err(|e| AppError::Internal(e.to_string()))?;
                (Some(user), ok)
            }
            _ => {
                // Same work as a real check, then the same answer.
                let dummy = DUMMY_HASH.clone();
                tokio::task::spawn_blocking(move || verify_password(&password, &dummy))
                    .await
                    .map_err(|e| AppError::Internal(e.to_string()))?;
                (None, false)
            }
        };
        let Some(user) = user.filter(|_| ok) else {
            for (key, limit) in &keys {
                self.count_failure(key, *limit).await?;
            }
            audit::append(
                self.db(),
                &AuditEntry {
                    at,
                    actor_id: None,
                    on_behalf_of_id: None,
                    action: "login_failed",
                    entity: "user",
                    entity_id: None,
                    changes: &serde_json::json!({ "login": login }).to_string(),
                    ip,
                },
            )
            .await?;
            return Err(AppError::BadCredentials);
        };
        let secret = random_secret();
        sessions::insert(
            self.db(),
            &digest(&secret),
            user.id,
            at,
            at + Duration::hours(SESSION_TTL_HOURS),
        )
        .await?;
        audit::append(
            self.db(),
            &AuditEntry {
                at,
                actor_id: Some(user.id),
                on_behalf_of_id: None,
                action: "login",
                entity: "user",
                entity_id: Some(user.id),
                changes: "{}",
                ip,
            },
        )
        .await?;
        Ok((Actor::from_row(user)?, secret))
    }

    /// Counts a failed login against `key`, locking it once `limit` failures fall in one window.
    async fn count_failure(&self, key: &str, limit: i32) -> Result<(), AppError> {
        let at = now();
        let window = Duration::minutes(THROTTLE_WINDOW_MINUTES);
        let mut row = match throttle::get(self.db(), key).await? {
            Some(r) if at - r.window_start < window => r,
            _ => ThrottleRow {
                key: key.to_owned(),
                failures: 0,
                window_start: at,
                locked_until: None,
            },
        };
        row.failures += 1;
        if row.failures >= limit {
            row.locked_until = Some(at + Duration::minutes(LOCKOUT_MINUTES));
            // A fresh window after the lock, so the next failure does not re-lock at once.
            row.failures = 0;
            row.window_start = at;
        }
        throttle::put(self.db(), &row).await?;
        Ok(())
    }

    /// The actor behind a session cookie, if the session is alive.
    pub async fn session_actor(&self, secret: &str) -> Result<Actor, AppError> {
        let row = sessions::user_by_hash(self.db(), &digest(secret), now(), crate::access::company_today()).await?;
        let (user, stands_in) = row.ok_or(AppError::Unauthenticated)?;
        let mut actor = Actor::from_row(user)?;
        actor.stands_in = Some(stands_in);
        Ok(actor)
    }

    pub async fn logout(&self, secret: &str) -> Result<(), AppError> {
        sessions::delete(self.db(), &digest(secret)).await?;
        Ok(())
    }

    /// The actor behind an API token. A token seen in the last [`TOKEN_CACHE_SECONDS`] is
    /// answered from memory (see [`TokenCache`]).
    pub async fn token_actor(&self, secret: &str) -> Result<Actor, AppError> {
        let at = now();
        let hash = digest(secret);
        if let Some(actor) = self.token_cache.get(&hash, at) {
            return Ok(actor);
        }
        let generation = self.token_cache.generation();
        let found = tokens::user_by_hash(self.db(), &hash, at, crate::access::company_today()).await?;
        let Some(found) = found else {
            return Err(AppError::Unauthenticated);
        };
        // Hourly resolution is enough to spot unused tokens and keeps reads free of writes.
        if found.last_used_at.is_none_or(|t| at - t > Duration::hours(1)) {
            tokens::touch(self.db(), found.token_id, at).await?;
        }
        let mut actor = Actor::from_row(found.user)?;
        actor.stands_in = Some(found.stands_in);
        self.token_cache
            .put(hash, actor.clone(), found.expires_at, at, generation);
        Ok(actor)
    }

    /// Changes the actor's own password after checking the current one; every session of
    /// the user ends (they sign in again with the new password).
    pub async fn change_password(&self, actor: &Actor, current: &str, new: &str) -> Result<(), AppError> {
        let Some((_, Some(hash))) = users::credentials(self.db(), &actor.login).await? else {
            return Err(AppError::Unauthenticated);
        };
        let current = current.to_owned();
        let ok = tokio::task::spawn_blocking(move || verify_password(&current, &hash))
            .await
            .map_err(|e| AppError::Internal(e.to_string()))?;
        if !ok {
            return Err(prospekt_domain::FieldError::new("current_password", "wrong_password").into());
        }
        self.set_password(By::actor(actor), actor.user_id, new, "password_change")
            .await
    }

    /// An administrator sets a new password for a user; the user's sessions end.
    pub async fn reset_password(&self, actor: &Actor, user: UserId, new: &str) -> Result<(), AppError> {
        self.user(actor, user).await?;
        if !crate::policy::may_administer_users(actor.role) {
            return Err(self
                .deny(actor, "user", Some(user.as_uuid()), AppError::Forbidden)
                .await);
        }
        self.set_password(By::actor(actor), user, new, "password_reset").await
    }

    async fn set_password(&self, by: By, user: UserId, new: &str, action: &str) -> Result<(), AppError> {
        check_password_policy(new).map_err(|e| match e {
            AppError::Invalid(f) => AppError::Invalid(f.on("new_password")),
            other => other,
        })?;
        let new = new.to_owned();
        let hash = tokio::task::spawn_blocking(move || hash_password(&new))
            .await
            .map_err(|e| AppError::Internal(e.to_string()))??;
        let mut tx = self.db().begin().await?;
        users::set_password_hash_tx(&mut tx, user.as_uuid(), &hash, now()).await?;
        sessions::delete_for_user_tx(&mut tx, user.as_uuid()).await?;
        record_tx(&mut tx, by, action, "user", Some(user.as_uuid()), serde_json::json!({})).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The actor's own API tokens (never the secrets).
    pub async fn my_tokens(&self, actor: &Actor) -> Result<Vec<TokenRow>, AppError> {
        Ok(tokens::list_for_user(self.db(), actor.user_id.as_uuid()).await?)
    }

    /// Issues a token for the actor themself.
    pub async fn issue_my_token(
        &self,
        actor: &Actor,
        name: &str,
        valid_for: Option<Duration>,
    ) -> Result<IssuedToken, AppError> {
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 100 {
            return Err(prospekt_domain::FieldError::new("name", "required").into());
        }
        self.issue_token(By::actor(actor), actor.user_id.as_uuid(), &actor.login, name, valid_for)
            .await
    }

    /// Revokes a token: one's own, or any as administrator. Others' tokens answer not found.
    pub async fn revoke_token(&self, actor: &Actor, id: TokenId) -> Result<(), AppError> {
        let token = tokens::by_id(self.db(), id.as_uuid()).await?;
        let allowed = token
            .as_ref()
            .is_some_and(|t| t.user_id == actor.user_id.as_uuid() || crate::policy::may_administer_users(actor.role));
        if !allowed {
            return Err(AppError::NotFound);
        }
        let mut tx = self.db().begin().await?;
        tokens::revoke_tx(&mut tx, id.as_uuid(), now()).await?;
        record_tx(
            &mut tx,
            By::actor(actor),
            "token_revoke",
            "api_token",
            Some(id.as_uuid()),
            serde_json::json!({}),
        )
        .await?;
        tx.commit().await?;
        // After the commit: a lookup racing the revocation cannot put the token back.
        self.token_cache.forget_all();
        Ok(())
    }

    /// Issues an API token for a user (CLI: `prospekt token create`). The secret is returned once.
    pub async fn create_token(
        &self,
        login: &str,
        name: &str,
        valid_for: Option<Duration>,
    ) -> Result<IssuedToken, AppError> {
        let Some((user, _)) = users::credentials(self.db(), login).await? else {
            return Err(prospekt_domain::FieldError::new("login", "unknown_login")
                .with("login", login)
                .into());
        };
        self.issue_token(crate::audit::By::CONSOLE, user.id, &user.login, name, valid_for)
            .await
    }

    async fn issue_token(
        &self,
        by: crate::audit::By,
        user_id: uuid::Uuid,
        login: &str,
        name: &str,
        valid_for: Option<Duration>,
    ) -> Result<IssuedToken, AppError> {
        let secret = format!("pkt_{}", random_secret());
        let id = TokenId::new();
        let at = now();
        let mut tx = self.db().begin().await?;
        tokens::insert_tx(
            &mut tx,
            id.as_uuid(),
            user_id,
            &digest(&secret),
            name,
            at,
            valid_for.map(|d| at + d),
        )
        .await?;
        crate::audit::record_tx(
            &mut tx,
            by,
            "token_issue",
            "api_token",
            Some(id.as_uuid()),
            serde_json::json!({ "user": login, "name": name }),
        )
        .await?;
        tx.commit().await?;
        Ok(IssuedToken { id, secret })
    }
}

impl App {
    /// The user a console command acts as (`--as LOGIN`). Whoever runs commands on the server
    /// holds the database anyway; acting as a named user keeps scope rules and the audit
    /// log's "who" intact.
    pub async fn console_actor(&self, login: &str) -> Result<Actor, AppError> {
        match users::credentials(self.db(), login).await? {
            Some((user, _)) if user.is_active => Actor::from_row(user),
            Some(_) => Err(prospekt_domain::FieldError::new("login", "inactive_user").into()),
            None => Err(prospekt_domain::FieldError::new("login", "unknown_login")
                .with("login", login)
                .into()),
        }
    }
}
