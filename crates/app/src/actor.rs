//! Who is acting: the authenticated user with role and department.

use prospekt_domain::Role;
use prospekt_domain::ids::{DepartmentId, UserId};
use prospekt_storage::repo::users::UserRow;

use crate::AppError;

/// An authenticated user. Only [`crate::auth`] constructs it, so holding an `Actor` proves
/// the credentials were checked.
#[derive(Debug, Clone)]
pub struct Actor {
    pub user_id: UserId,
    pub login: String,
    pub display_name: String,
    pub role: Role,
    pub department_id: Option<DepartmentId>,
    pub locale: String,
    /// Bulk export is a separate permission (commercial secret).
    pub can_export: bool,
    /// Whether the user stands in for an absent colleague today, when authentication has
    /// already found out (one query fewer per request); `None`: look it up.
    pub stands_in: Option<bool>,
}

impl Actor {
    pub(crate) fn from_row(row: UserRow) -> Result<Self, AppError> {
        let role = row
            .role
            .parse::<Role>()
            .map_err(|_| AppError::Internal(format!("user {} has unknown role {:?}", row.login, row.role)))?;
        Ok(Actor {
            user_id: UserId::from_uuid(row.id),
            login: row.login,
            display_name: row.display_name,
            role,
            department_id: row.department_id.map(DepartmentId::from_uuid),
            locale: row.locale,
            can_export: row.can_export,
            stands_in: None,
        })
    }
}
