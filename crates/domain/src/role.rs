//! Roles from the job descriptions (see SPEC.md, "Users and roles").

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::FieldError;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Менеджер по поиску и привлечению / по работе с клиентами.
    Manager,
    /// Менеджер по ключевым клиентам.
    KeyAccountManager,
    /// Начальник отдела продаж.
    HeadOfDepartment,
    /// Коммерческий директор.
    CommercialDirector,
    /// Отдел поддержки продаж.
    SalesSupport,
    /// Кредитный контролёр.
    CreditController,
    /// Администратор системы.
    Administrator,
    /// Генеральный директор: видит всё, ничего не меняет.
    GeneralDirector,
}

impl Role {
    pub const ALL: [Role; 8] = [
        Role::Manager,
        Role::KeyAccountManager,
        Role::HeadOfDepartment,
        Role::CommercialDirector,
        Role::SalesSupport,
        Role::CreditController,
        Role::Administrator,
        Role::GeneralDirector,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            Role::Manager => "manager",
            Role::KeyAccountManager => "key_account_manager",
            Role::HeadOfDepartment => "head_of_department",
            Role::CommercialDirector => "commercial_director",
            Role::SalesSupport => "sales_support",
            Role::CreditController => "credit_controller",
            Role::Administrator => "administrator",
            Role::GeneralDirector => "general_director",
        }
    }

    /// Roles whose view of clients is limited to their own portfolio.
    pub const fn is_portfolio_bound(self) -> bool {
        matches!(self, Role::Manager | Role::KeyAccountManager)
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = FieldError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| FieldError::new("role", "invalid_role").with("value", s))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_role_round_trips_through_its_name() {
        for role in Role::ALL {
            assert_eq!(role.as_str().parse::<Role>(), Ok(role));
        }
        assert!("boss".parse::<Role>().is_err());
    }
}
