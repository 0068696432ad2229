//! Typed identifiers. Every entity has its own id type so a contact id can never be passed
//! where a counterparty id is expected. Ids are UUID v7: time-ordered (index friendly) and
//! safe to expose (they reveal neither row counts nor neighbours).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

macro_rules! typed_id {
    ($($(#[$meta:meta])* $name:ident),* $(,)?) => {$(
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(Uuid);

        impl $name {
            /// A fresh, time-ordered id.
            pub fn new() -> Self {
                Self(Uuid::now_v7())
            }
            pub const fn from_uuid(id: Uuid) -> Self {
                Self(id)
            }
            pub const fn as_uuid(&self) -> Uuid {
                self.0
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl FromStr for $name {
            type Err = uuid::Error;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Uuid::parse_str(s).map(Self)
            }
        }

        impl From<Uuid> for $name {
            fn from(id: Uuid) -> Self {
                Self(id)
            }
        }
    )*};
}

typed_id!(
    /// A user of Prospekt (manager, head, director, …).
    UserId,
    DepartmentId,
    TerritoryId,
    /// An issued API token (not the secret itself).
    TokenId,
    /// A client or prospect: legal entity, sole proprietor or person.
    CounterpartyId,
    ContactId,
    PriceColumnId,
    ProductId,
    ActivityId,
    DealId,
    /// A commercial offer (one row per version of it).
    OfferId,
    /// A discount or bonus programme for a period.
    PromotionId,
    /// A request for the head's permission (a discount over the limit, a price below the minimum).
    ApprovalId,
    OrderId,
    InvoiceId,
    PaymentId,
    AuditId,
    ShipmentId,
    /// An imported bank statement.
    StatementId,
    /// One payment document of an imported bank statement.
    StatementDocId,
    /// A return of shipped goods or a refusal of unshipped ones.
    ReturnId,
    /// An act of shortage or mis-grading on a shipment.
    DiscrepancyActId,
    /// A debt collection case (reminder → letter → claim → court).
    CollectionCaseId,
    WriteOffId,
);
