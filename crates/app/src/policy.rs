//! Authorization: the one place that decides what an actor may see and do.
//!
//! Security-critical. Every service asks here; the web layer never filters records itself.
//! Two questions are answered separately:
//! - *scope*: which records the actor can reach at all (own portfolio, department, everything),
//!   widened during an absence by the scopes of the colleagues the actor stands in for;
//! - *permission*: which actions the actor's role allows on a reachable record.
//!
//! Records outside the scope are reported as not found, so their existence does not leak.

use prospekt_domain::Role;
use prospekt_domain::ids::{DepartmentId, UserId};
use prospekt_storage::repo::Scope;
use uuid::Uuid;

use crate::Actor;

/// The record scope a user has by their own role, before any delegation.
pub fn base_scope(role: Role, user: UserId, department: Option<DepartmentId>) -> Scope {
    match role {
        Role::CommercialDirector | Role::GeneralDirector | Role::Administrator | Role::CreditController => Scope::All,
        // A head (or sales support) without a department reaches nothing rather than everything.
        Role::HeadOfDepartment | Role::SalesSupport => Scope::Limited {
            departments: department.map(|d| d.as_uuid()).into_iter().collect(),
            owners: Vec::new(),
        },
        Role::Manager | Role::KeyAccountManager => Scope::Limited {
            departments: Vec::new(),
            owners: vec![user.as_uuid()],
        },
    }
}

/// The union of two scopes.
pub fn union(a: Scope, b: Scope) -> Scope {
    match (a, b) {
        (Scope::All, _) | (_, Scope::All) => Scope::All,
        (
            Scope::Limited {
                departments: mut d1,
                owners: mut o1,
            },
            Scope::Limited {
                departments: d2,
                owners: o2,
            },
        ) => {
            for d in d2 {
                if !d1.contains(&d) {
                    d1.push(d);
                }
            }
            for o in o2 {
                if !o1.contains(&o) {
                    o1.push(o);
                }
            }
            Scope::Limited {
                departments: d1,
                owners: o1,
            }
        }
    }
}

/// A colleague the actor stands in for today.
#[derive(Debug, Clone)]
pub struct Absent {
    pub user_id: UserId,
    pub role: Role,
    pub department_id: Option<DepartmentId>,
}

/// What an actor can reach right now: their own scope plus the scopes of absent colleagues.
#[derive(Debug, Clone)]
pub struct Access {
    pub own: Scope,
    pub standing_in_for: Vec<Absent>,
    pub scope: Scope,
}

impl Access {
    pub fn new(actor: &Actor, standing_in_for: Vec<Absent>) -> Self {
        let own = base_scope(actor.role, actor.user_id, actor.department_id);
        let scope = standing_in_for.iter().fold(own.clone(), |acc, a| {
            union(acc, base_scope(a.role, a.user_id, a.department_id))
        });
        Access {
            own,
            standing_in_for,
            scope,
        }
    }

    pub fn reaches(&self, owner: Option<Uuid>, department: Option<Uuid>) -> bool {
        self.scope.contains(owner, department)
    }

    /// When the record is reachable only through a delegation, the colleague on whose behalf
    /// the actor acts (for the audit log); `None` when the actor acts in their own right.
    pub fn on_behalf_of(&self, owner: Option<Uuid>, department: Option<Uuid>) -> Option<UserId> {
        if self.own.contains(owner, department) {
            return None;
        }
        self.standing_in_for
            .iter()
            .find(|a| base_scope(a.role, a.user_id, a.department_id).contains(owner, department))
            .map(|a| a.user_id)
    }
}

/// Roles that may change client records (within their scope). The general director reads
/// everything and changes nothing; administrators manage settings, not clients; sales support
/// and credit control act on orders and receivables, which have their own rules.
pub fn may_edit_clients(role: Role) -> bool {
    matches!(
        role,
        Role::Manager | Role::KeyAccountManager | Role::HeadOfDepartment | Role::CommercialDirector
    )
}

/// Reading the audit log: administrators and directors.
pub fn may_read_audit(role: Role) -> bool {
    matches!(
        role,
        Role::Administrator | Role::CommercialDirector | Role::GeneralDirector
    )
}

/// Creating users, changing roles and departments, resetting passwords.
pub fn may_administer_users(role: Role) -> bool {
    role == Role::Administrator
}

/// Departments and territories.
pub fn may_manage_org(role: Role) -> bool {
    role == Role::Administrator
}

/// Which users' directory entries the actor sees: `None` = everyone, else one department.
/// Everyone sees at least their own department, to pick a substitute or a colleague.
pub fn user_directory(actor: &Actor) -> Option<Option<DepartmentId>> {
    match actor.role {
        Role::Administrator | Role::CommercialDirector | Role::GeneralDirector | Role::CreditController => None,
        _ => Some(actor.department_id),
    }
}

/// Setting absences and substitutes for a user of `target_department`.
pub fn may_manage_absence_of(actor: &Actor, target_department: Option<DepartmentId>) -> bool {
    match actor.role {
        Role::Administrator | Role::CommercialDirector => true,
        Role::HeadOfDepartment => actor.department_id.is_some() && actor.department_id == target_department,
        _ => false,
    }
}

/// Assigning territories to a user of `target_department`.
pub fn may_assign_territories(actor: &Actor, target_department: Option<DepartmentId>) -> bool {
    match actor.role {
        Role::Administrator => true,
        Role::HeadOfDepartment => actor.department_id.is_some() && actor.department_id == target_department,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn actor(role: Role, dept: Option<DepartmentId>) -> Actor {
        Actor {
            user_id: UserId::new(),
            login: "u".into(),
            display_name: "U".into(),
            role,
            department_id: dept,
            locale: "ru".into(),
            can_export: false,
            stands_in: None,
        }
    }

    #[test]
    fn a_manager_reaches_only_own_records() {
        let a = actor(Role::Manager, Some(DepartmentId::new()));
        let access = Access::new(&a, vec![]);
        assert!(access.reaches(Some(a.user_id.as_uuid()), None));
        assert!(!access.reaches(Some(Uuid::now_v7()), a.department_id.map(|d| d.as_uuid())));
        assert!(!access.reaches(None, None));
    }

    #[test]
    fn a_head_reaches_the_department_and_nothing_else() {
        let dept = DepartmentId::new();
        let access = Access::new(&actor(Role::HeadOfDepartment, Some(dept)), vec![]);
        assert!(access.reaches(None, Some(dept.as_uuid())));
        assert!(!access.reaches(None, Some(Uuid::now_v7())));
        let nowhere = Access::new(&actor(Role::HeadOfDepartment, None), vec![]);
        assert!(!nowhere.reaches(None, Some(dept.as_uuid())));
    }

    #[test]
    fn directors_and_credit_control_reach_everything() {
        for role in [
            Role::CommercialDirector,
            Role::GeneralDirector,
            Role::CreditController,
            Role::Administrator,
        ] {
            assert_eq!(Access::new(&actor(role, None), vec![]).scope, Scope::All);
        }
    }

    #[test]
    fn a_substitute_reaches_the_absent_colleagues_records_on_their_behalf() {
        let dept = DepartmentId::new();
        let sub = actor(Role::Manager, Some(dept));
        let absent = Absent {
            user_id: UserId::new(),
            role: Role::Manager,
            department_id: Some(dept),
        };
        let access = Access::new(&sub, vec![absent.clone()]);
        let theirs = Some(absent.user_id.as_uuid());
        assert!(access.reaches(theirs, None));
        assert_eq!(access.on_behalf_of(theirs, None), Some(absent.user_id));
        assert_eq!(
            access.on_behalf_of(Some(sub.user_id.as_uuid()), None),
            None,
            "own records are acted on in own right"
        );
        assert!(!access.reaches(Some(Uuid::now_v7()), None));
    }

    #[test]
    fn a_substitute_for_a_head_reaches_the_whole_department() {
        let dept = DepartmentId::new();
        let sub = actor(Role::Manager, Some(dept));
        let head = Absent {
            user_id: UserId::new(),
            role: Role::HeadOfDepartment,
            department_id: Some(dept),
        };
        let access = Access::new(&sub, vec![head.clone()]);
        assert!(access.reaches(Some(Uuid::now_v7()), Some(dept.as_uuid())));
        assert_eq!(access.on_behalf_of(None, Some(dept.as_uuid())), Some(head.user_id));
    }

    #[test]
    fn only_the_general_director_of_the_directors_cannot_edit_clients() {
        assert!(may_edit_clients(Role::CommercialDirector));
        assert!(!may_edit_clients(Role::GeneralDirector));
        assert!(!may_edit_clients(Role::Administrator));
        assert!(!may_edit_clients(Role::SalesSupport));
    }

    #[test]
    fn absences_are_set_by_the_head_of_the_same_department() {
        let dept = DepartmentId::new();
        let head = actor(Role::HeadOfDepartment, Some(dept));
        assert!(may_manage_absence_of(&head, Some(dept)));
        assert!(!may_manage_absence_of(&head, Some(DepartmentId::new())));
        assert!(!may_manage_absence_of(&actor(Role::Manager, Some(dept)), Some(dept)));
    }
}
