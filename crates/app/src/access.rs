//! Computing an actor's access at request time, including delegation during absences.

use chrono::{FixedOffset, NaiveDate};
use prospekt_domain::Role;
use prospekt_domain::ids::{DepartmentId, UserId};
use prospekt_storage::repo::absences;

use crate::policy::{Absent, Access};
use crate::{Actor, App, AppError, now};

/// The company's calendar runs on Moscow time (UTC+3, no daylight saving): an absence
/// "until 30 November" ends at midnight in Moscow, not in UTC.
pub fn company_today() -> NaiveDate {
    // 3 hours is always within FixedOffset's ±24 h range.
    let msk = FixedOffset::east_opt(3 * 3600).expect("UTC+3 is a valid offset");
    now().with_timezone(&msk).date_naive()
}

impl App {
    /// What `actor` can reach today: own scope plus the scopes of colleagues they stand in for.
    /// Computed from the absence periods on every request, so a delegation ends by itself.
    pub async fn access(&self, actor: &Actor) -> Result<Access, AppError> {
        // Whoever reaches every record in their own right gains nothing by standing in for
        // someone (and acts on nobody's behalf): no lookup needed.
        // Nor does anyone authentication found standing in for nobody today.
        if actor.stands_in == Some(false)
            || crate::policy::base_scope(actor.role, actor.user_id, actor.department_id)
                == prospekt_storage::repo::Scope::All
        {
            return Ok(Access::new(actor, Vec::new()));
        }
        let rows = absences::standing_in_for(self.db(), actor.user_id.as_uuid(), company_today()).await?;
        let absent = rows
            .into_iter()
            .filter_map(|(id, role, dept)| {
                Some(Absent {
                    user_id: UserId::from_uuid(id),
                    role: role.parse::<Role>().ok()?,
                    department_id: dept.map(DepartmentId::from_uuid),
                })
            })
            .collect();
        Ok(Access::new(actor, absent))
    }
}
