//! Authentication: passwords (argon2id), browser sessions and API tokens.
//!
//! Secrets are stored only as hashes: passwords with argon2id (slow on purpose), session ids
//! and API tokens with SHA-256 (they are 256-bit random values, so a fast hash suffices and
//! keeps every request cheap).

use std::sync::LazyLock;

use argon2::password_hash::phc::PasswordHash;
use argon2::{Argon2, PasswordHasher, PasswordVerifier};
use chrono::Duration;
use prospekt_domain::ids::TokenId;
use prospekt_storage::repo::audit::{self, AuditEntry};
use prospekt_storage::repo::{sessions, tokens, users};
use rand::RngCore;
use sha2::{Digest, Sha256};

use crate::{Actor, App, AppError, now};

/// How long a browser session lives without a new login.
pub const SESSION_TTL_HOURS: i64 = 12;

/// Hashes a password with argon2id (OWASP parameters, the crate's defaults).
pub fn hash_password(password: &str) -> Result<String, AppError> {
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| AppError::Internal(format!("password hashing failed: {e}")))
}

fn verify_password(password: &str, hash: &str) -> bool {
    match PasswordHash::new(hash) {
        Ok(parsed) => Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok(),
        Err(_) => false,
    }
}

/// A hash of a random password, verified against when the login is unknown so that an
/// unknown login costs the same time as a wrong password.
static DUMMY_HASH: LazyLock<String> =
    LazyLock::new(|| hash_password(&random_secret()).unwrap_or_default());

fn random_secret() -> String {
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
        return Err(
            prospekt_domain::FieldError::new("password", "password_too_short")
                .with("min", MIN_PASSWORD_LEN.to_string())
                .into(),
        );
    }
    Ok(())
}

/// A newly created API token: the secret is shown once and never stored.
pub struct IssuedToken {
    pub id: TokenId,
    pub secret: String,
}

impl App {
    /// Checks a login and password and opens a session. Returns the session secret for the cookie.
    pub async fn login(
        &self,
        login: &str,
        password: &str,
        ip: Option<&str>,
    ) -> Result<(Actor, String), AppError> {
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
        let at = now();
        let Some(user) = user.filter(|_| ok) else {
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

    /// The actor behind a session cookie, if the session is alive.
    pub async fn session_actor(&self, secret: &str) -> Result<Actor, AppError> {
        let row = sessions::user_by_hash(self.db(), &digest(secret), now()).await?;
        row.map(Actor::from_row)
            .transpose()?
            .ok_or(AppError::Unauthenticated)
    }

    pub async fn logout(&self, secret: &str) -> Result<(), AppError> {
        sessions::delete(self.db(), &digest(secret)).await?;
        Ok(())
    }

    /// The actor behind an API token.
    pub async fn token_actor(&self, secret: &str) -> Result<Actor, AppError> {
        let row = tokens::user_by_hash(self.db(), &digest(secret), now()).await?;
        row.map(Actor::from_row)
            .transpose()?
            .ok_or(AppError::Unauthenticated)
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
        let secret = format!("pkt_{}", random_secret());
        let id = TokenId::new();
        let at = now();
        let mut tx = self.db().begin().await?;
        tokens::insert_tx(
            &mut tx,
            id.as_uuid(),
            user.id,
            &digest(&secret),
            name,
            at,
            valid_for.map(|d| at + d),
        )
        .await?;
        audit::append_tx(
            &mut tx,
            &AuditEntry {
                at,
                actor_id: None,
                on_behalf_of_id: None,
                action: "token_issue",
                entity: "api_token",
                entity_id: Some(id.as_uuid()),
                changes: &serde_json::json!({ "user": user.login, "name": name }).to_string(),
                ip: None,
            },
        )
        .await?;
        tx.commit().await?;
        Ok(IssuedToken { id, secret })
    }
}
