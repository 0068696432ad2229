//! Authorization: the one place that decides what an actor may see and do.
//!
//! Security-critical. Every service asks here; the web layer never filters records itself.
//! Records outside an actor's scope are reported as not found, so their existence does not leak.

use prospekt_domain::Role;
use prospekt_storage::repo::Scope;
use uuid::Uuid;

use crate::Actor;

/// Which counterparties the actor may read.
pub fn counterparty_scope(actor: &Actor) -> Scope {
    match actor.role {
        Role::CommercialDirector
        | Role::GeneralDirector
        | Role::Administrator
        | Role::CreditController => Scope::All,
        Role::HeadOfDepartment | Role::SalesSupport => Scope::Departments(
            actor
                .department_id
                .map(|d| d.as_uuid())
                .into_iter()
                .collect(),
        ),
        Role::Manager | Role::KeyAccountManager => Scope::Owners(vec![actor.user_id.as_uuid()]),
    }
}

/// Whether a record with this owner and department is inside `scope`.
pub fn in_scope(scope: &Scope, owner_id: Option<Uuid>, department_id: Option<Uuid>) -> bool {
    match scope {
        Scope::All => true,
        Scope::Departments(ids) => department_id.is_some_and(|d| ids.contains(&d)),
        Scope::Owners(ids) => owner_id.is_some_and(|o| ids.contains(&o)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use prospekt_domain::ids::{DepartmentId, UserId};

    fn actor(role: Role, dept: Option<DepartmentId>) -> Actor {
        Actor {
            user_id: UserId::new(),
            login: "u".into(),
            display_name: "U".into(),
            role,
            department_id: dept,
            locale: "ru".into(),
        }
    }

    #[test]
    fn a_manager_sees_only_own_records() {
        let a = actor(Role::Manager, Some(DepartmentId::new()));
        let scope = counterparty_scope(&a);
        assert!(in_scope(&scope, Some(a.user_id.as_uuid()), None));
        assert!(!in_scope(
            &scope,
            Some(Uuid::now_v7()),
            a.department_id.map(|d| d.as_uuid())
        ));
        assert!(!in_scope(&scope, None, None));
    }

    #[test]
    fn a_head_sees_the_department_and_nothing_else() {
        let dept = DepartmentId::new();
        let scope = counterparty_scope(&actor(Role::HeadOfDepartment, Some(dept)));
        assert!(in_scope(&scope, None, Some(dept.as_uuid())));
        assert!(!in_scope(&scope, None, Some(Uuid::now_v7())));
        // A head without a department sees nothing rather than everything.
        let scope = counterparty_scope(&actor(Role::HeadOfDepartment, None));
        assert!(!in_scope(&scope, None, Some(dept.as_uuid())));
    }

    #[test]
    fn directors_see_everything() {
        for role in [
            Role::CommercialDirector,
            Role::GeneralDirector,
            Role::CreditController,
        ] {
            assert_eq!(counterparty_scope(&actor(role, None)), Scope::All);
        }
    }
}
