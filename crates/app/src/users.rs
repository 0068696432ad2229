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

pub use prospekt_storage::repo::users::UserRow;

/// Input of creating a user through the API (administrators).
pub struct NewUserInput<'a> {
    pub login: &'a str,
    pub display_name: &'a str,
    pub email: Option<&'a str>,
    pub role: Role,
    pub department_id: Option<prospekt_domain::ids::DepartmentId>,
    pub password: &'a str,
}

/// A partial update of a user by an administrator.
#[derive(Default)]
pub struct UserPatch {
    pub display_name: Option<String>,
    pub email: Option<Option<String>>,
    pub role: Option<Role>,
    pub department_id: Option<Option<prospekt_domain::ids::DepartmentId>>,
    pub is_active: Option<bool>,
    pub can_export: Option<bool>,
    pub locale: Option<String>,
}

impl App {
    /// The user directory as the actor may see it.
    pub async fn users(&self, actor: &crate::Actor) -> Result<Vec<UserRow>, AppError> {
        match crate::policy::user_directory(actor) {
            None => Ok(users::list(self.db(), None).await?),
            Some(Some(dept)) => Ok(users::list(self.db(), Some(dept.as_uuid())).await?),
            // No department: only oneself.
            Some(None) => Ok(users::by_id(self.db(), actor.user_id.as_uuid())
                .await?
                .into_iter()
                .collect()),
        }
    }

    pub async fn user(&self, actor: &crate::Actor, id: UserId) -> Result<UserRow, AppError> {
        let row = users::by_id(self.db(), id.as_uuid()).await?.ok_or(AppError::NotFound)?;
        let visible = match crate::policy::user_directory(actor) {
            None => true,
            Some(dept) => {
                row.id == actor.user_id.as_uuid() || (dept.is_some() && row.department_id == dept.map(|d| d.as_uuid()))
            }
        };
        if visible { Ok(row) } else { Err(AppError::NotFound) }
    }

    /// Creates a user (administrators only).
    pub async fn create_user(&self, actor: &crate::Actor, input: &NewUserInput<'_>) -> Result<UserRow, AppError> {
        if !crate::policy::may_administer_users(actor.role) {
            return Err(self.deny(actor, "user", None, AppError::Forbidden).await);
        }
        let login = parse_login(input.login)?;
        let display_name = input.display_name.trim();
        if display_name.is_empty() {
            return Err(FieldError::new("display_name", "required").into());
        }
        check_password_policy(input.password)?;
        let password = input.password.to_owned();
        let hash = tokio::task::spawn_blocking(move || hash_password(&password))
            .await
            .map_err(|e| AppError::Internal(e.to_string()))??;
        let id = UserId::new();
        let at = now();
        let mut tx = self.db().begin().await?;
        let inserted = users::insert_tx(
            &mut tx,
            &NewUser {
                id: id.as_uuid(),
                login,
                display_name,
                email: input.email,
                role: input.role.as_str(),
                department_id: input.department_id.map(|d| d.as_uuid()),
                password_hash: Some(&hash),
                locale: "ru",
                now: at,
            },
        )
        .await;
        match inserted {
            Err(e) if e.is_unique_violation() => return Err(AppError::Duplicate { field: "login" }),
            // An unknown department id violates the foreign key.
            Err(e) if e.constraint().is_some() || e.to_string().contains("FOREIGN KEY") => {
                return Err(FieldError::new("department_id", "unknown_department").into());
            }
            other => other?,
        }
        crate::audit::record_tx(
            &mut tx,
            crate::audit::By::actor(actor),
            "create",
            "user",
            Some(id.as_uuid()),
            serde_json::json!({ "login": [null, login], "role": [null, input.role.as_str()],
                                "department_id": [null, input.department_id.map(|d| d.as_uuid())] }),
        )
        .await?;
        tx.commit().await?;
        users::by_id(self.db(), id.as_uuid()).await?.ok_or(AppError::NotFound)
    }

    /// Changes a user's administrable fields (administrators only), with optimistic locking.
    pub async fn update_user(
        &self,
        actor: &crate::Actor,
        id: UserId,
        version: i64,
        p: UserPatch,
    ) -> Result<UserRow, AppError> {
        // Visibility first: users outside the actor's directory do not exist for them.
        let cur = self.user(actor, id).await?;
        if !crate::policy::may_administer_users(actor.role) {
            return Err(self.deny(actor, "user", Some(id.as_uuid()), AppError::Forbidden).await);
        }
        if cur.version != version {
            return Err(AppError::Conflict {
                current_version: cur.version,
                changed_by: None,
            });
        }
        let display_name = p
            .display_name
            .map(|s| s.trim().to_owned())
            .unwrap_or_else(|| cur.display_name.clone());
        if display_name.is_empty() {
            return Err(FieldError::new("display_name", "required").into());
        }
        let email = p.email.unwrap_or_else(|| cur.email.clone());
        let role = p
            .role
            .map(|r| r.as_str().to_owned())
            .unwrap_or_else(|| cur.role.clone());
        let department_id = p
            .department_id
            .map(|d| d.map(|d| d.as_uuid()))
            .unwrap_or(cur.department_id);
        let is_active = p.is_active.unwrap_or(cur.is_active);
        let can_export = p.can_export.unwrap_or(cur.can_export);
        let locale = p.locale.unwrap_or_else(|| cur.locale.clone());
        if !matches!(locale.as_str(), "ru" | "en") {
            return Err(FieldError::new("locale", "invalid_locale").into());
        }
        use serde_json::json;
        let changes = crate::audit::diff(&[
            ("display_name", json!(cur.display_name), json!(display_name)),
            ("email", json!(cur.email), json!(email)),
            ("role", json!(cur.role), json!(role)),
            ("department_id", json!(cur.department_id), json!(department_id)),
            ("is_active", json!(cur.is_active), json!(is_active)),
            ("can_export", json!(cur.can_export), json!(can_export)),
            ("locale", json!(cur.locale), json!(locale)),
        ]);
        let mut tx = self.db().begin().await?;
        let written = users::update_tx(
            &mut tx,
            id.as_uuid(),
            version,
            &users::UserUpdate {
                display_name: &display_name,
                email: email.as_deref(),
                role: &role,
                department_id,
                is_active,
                can_export,
                locale: &locale,
            },
            now(),
        )
        .await;
        match written {
            Err(prospekt_storage::DbError::Conflict) => {
                return Err(AppError::Conflict {
                    current_version: version + 1,
                    changed_by: None,
                });
            }
            Err(e) if e.constraint().is_some() || e.to_string().contains("FOREIGN KEY") => {
                return Err(FieldError::new("department_id", "unknown_department").into());
            }
            other => other?,
        }
        // A deactivated user is signed out everywhere at once.
        if !is_active {
            prospekt_storage::repo::sessions::delete_for_user_tx(&mut tx, id.as_uuid()).await?;
        }
        crate::audit::record_tx(
            &mut tx,
            crate::audit::By::actor(actor),
            "update",
            "user",
            Some(id.as_uuid()),
            changes,
        )
        .await?;
        tx.commit().await?;
        // Who the user is and for whom they stand in: tokens checked before are re-read.
        self.token_cache.forget_all();
        users::by_id(self.db(), id.as_uuid()).await?.ok_or(AppError::NotFound)
    }
}
