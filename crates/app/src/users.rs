//! User administration.

use prospekt_domain::ids::UserId;
use prospekt_domain::{FieldError, Role};
use prospekt_storage::repo::audit::{self, AuditEntry};
use prospekt_storage::repo::users::{self, NewUser};

use crate::auth::{check_password_policy, hash_password};
use crate::{App, AppError, now};

/// Input of `prospekt user add`.
pub struct AddUser<'a> {
    pub login: &'a str,
    pub display_name: Option<&'a str>,
    pub role: Role,
    pub password: Option<&'a str>,
}

/// A login: 2–64 characters of Latin letters, digits, `.`, `_`, `-`.
pub fn parse_login(login: &str) -> Result<&str, FieldError> {
    let ok_len = (2..=64).contains(&login.len());
    let ok_chars = login
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
    if ok_len && ok_chars {
        Ok(login)
    } else {
        Err(FieldError::new("login", "invalid_login"))
    }
}

impl App {
    /// Creates a user (from the CLI: the operator at the console is trusted).
    pub async fn add_user(&self, input: &AddUser<'_>) -> Result<UserId, AppError> {
        let login = parse_login(input.login)?;
        let hash = match input.password {
            Some(p) => {
                check_password_policy(p)?;
                let p = p.to_owned();
                Some(
                    tokio::task::spawn_blocking(move || hash_password(&p))
                        .await
                        .map_err(|e| AppError::Internal(e.to_string()))??,
                )
            }
            None => None,
        };
        let id = UserId::new();
        let at = now();
        let mut tx = self.db().begin().await?;
        let inserted = users::insert_tx(
            &mut tx,
            &NewUser {
                id: id.as_uuid(),
                login,
                display_name: input.display_name.unwrap_or(login),
                email: None,
                role: input.role.as_str(),
                department_id: None,
                password_hash: hash.as_deref(),
                locale: "ru",
                now: at,
            },
        )
        .await;
        match inserted {
            Err(e) if e.is_unique_violation() => {
                return Err(AppError::Duplicate { field: "login" });
            }
            other => other?,
        }
        audit::append_tx(
            &mut tx,
            &AuditEntry {
                at,
                actor_id: None,
                on_behalf_of_id: None,
                action: "create",
                entity: "user",
                entity_id: Some(id.as_uuid()),
                changes: &serde_json::json!({ "login": [null, login], "role": [null, input.role.as_str()] })
                    .to_string(),
                ip: None,
            },
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }
}
