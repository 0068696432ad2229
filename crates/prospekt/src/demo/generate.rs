//! Row generation: reference data (departments, users, territories, price columns,
//! products) and, chunk by chunk, counterparties with everything that hangs off them.
//!
//! Determinism: reference data uses one RNG seeded from `(seed, "refs")`; counterparties
//! come in chunks of [`CHUNK`] consecutive indexes, each with its own RNG seeded from
//! `(seed, chunk index)`, and the chunks are generated strictly in order on one thread
//! (document numbers are sequential across chunks). Nothing depends on thread timing.
//! What does depend on the day the generator runs is the calendar: every date is an
//! offset from "today", so ids (UUID v7 carry their timestamp) and document numbers
//! (they carry the year) shift with the run date, while counts and names do not.

use std::collections::HashMap;

use chrono::{DateTime, Datelike, NaiveDate, NaiveTime, TimeDelta, Utc};
use prospekt_domain::calendar::{DeferralKind, WorkCalendar, due_date};
use prospekt_domain::order::OrderStatus;
use prospekt_storage::bulk::{Batch, BulkTable, Val};
use rand::rngs::StdRng;
use rand::seq::{IndexedRandom, SliceRandom};
use rand::{Rng, SeedableRng};
use uuid::Uuid;

use super::ident;
use super::words::{self, City, TERRITORIES};

/// Counterparties per RNG chunk. Part of the output's definition: changing it changes
/// the data a seed produces.
pub const CHUNK: u64 = 1000;

pub static DEPARTMENTS: BulkTable = BulkTable::new("departments", &["id", "name", "head_user_id", "created_at"]);
pub static TERRITORIES_T: BulkTable = BulkTable::new("territories", &["id", "code", "name"]);
pub static USERS: BulkTable = BulkTable::new(
    "users",
    &[
        "id",
        "login",
        "display_name",
        "email",
        "role",
        "department_id",
        "password_hash",
        "locale",
        "is_active",
        "version",
        "created_at",
        "updated_at",
    ],
);
pub static USER_TERRITORIES: BulkTable = BulkTable::new("user_territories", &["user_id", "territory_id"]);
pub static PRICE_COLUMNS: BulkTable = BulkTable::new("price_columns", &["id", "code", "name", "sort_order"]);
pub static PRODUCTS: BulkTable = BulkTable::new(
    "products",
    &[
        "id",
        "sku",
        "name",
        "group_name",
        "unit",
        "vat_category",
        "cost_price",
        "search_key",
        "created_at",
    ],
);
pub static PRODUCT_PRICES: BulkTable = BulkTable::new(
    "product_prices",
    &["product_id", "price_column_id", "valid_from", "price"],
);
pub static COUNTERPARTIES: BulkTable = BulkTable::new(
    "counterparties",
    &[
        "id",
        "kind",
        "name",
        "full_name",
        "inn",
        "kpp",
        "ogrn",
        "search_key",
        "industry",
        "size",
        "territory_id",
        "lead_source",
        "status",
        "tier",
        "owner_id",
        "department_id",
        "price_column_id",
        "payment_terms_days",
        "credit_limit",
        "deferral_kind",
        "penalty_daily_ppm",
        "penalty_cap_bp",
        "claim_term_days",
        "legal_address",
        "actual_address",
        "city",
        "phone",
        "email",
        "notes",
        "version",
        "created_at",
        "updated_at",
        "archived_at",
        "name_key",
        "last_contact_at",
        "last_visit_at",
    ],
);
pub static BANK_ACCOUNTS: BulkTable = BulkTable::new(
    "bank_accounts",
    &["id", "counterparty_id", "bik", "account", "corr_account", "bank_name"],
);
pub static CONTACTS: BulkTable = BulkTable::new(
    "contacts",
    &[
        "id",
        "counterparty_id",
        "full_name",
        "position",
        "decision_role",
        "phone",
        "email",
        "birthday",
        "consent_ads",
        "consent_pd",
        "search_key",
        "version",
        "created_at",
        "updated_at",
        "owner_id",
    ],
);
pub static ACTIVITIES: BulkTable = BulkTable::new(
    "activities",
    &[
        "id",
        "counterparty_id",
        "contact_id",
        "owner_id",
        "kind",
        "subject",
        "planned_at",
        "duration_min",
        "done_at",
        "result",
        "created_at",
        "status",
    ],
);
pub static DEALS: BulkTable = BulkTable::new(
    "deals",
    &[
        "id",
        "counterparty_id",
        "owner_id",
        "title",
        "stage",
        "amount",
        "probability",
        "expected_close",
        "lost_reason",
        "created_at",
        "updated_at",
        "stage_changed_at",
        "closed_at",
    ],
);
pub static ORDERS: BulkTable = BulkTable::new(
    "orders",
    &[
        "id",
        "number",
        "counterparty_id",
        "owner_id",
        "status",
        "ordered_on",
        "total",
        "total_vat",
        "shipped_amount",
        "invoiced_amount",
        "created_at",
        "submitted_at",
        "updated_at",
    ],
);
pub static INVOICES: BulkTable = BulkTable::new(
    "invoices",
    &[
        "id",
        "number",
        "counterparty_id",
        "order_id",
        "issued_on",
        "due_on",
        "total",
        "vat_amount",
        "paid",
        "created_at",
    ],
);
/// `quantity` is in thousandths of the product's unit (1.5 kg = 1500), so fractional
/// quantities stay exact integers; `amount = round(quantity × price / 1000)` in kopecks.
pub static INVOICE_LINES: BulkTable = BulkTable::new(
    "invoice_lines",
    &[
        "invoice_id",
        "line_no",
        "product_id",
        "quantity",
        "price",
        "amount",
        "vat_amount",
    ],
);
pub static PAYMENTS: BulkTable = BulkTable::new(
    "payments",
    &[
        "id",
        "counterparty_id",
        "paid_on",
        "amount",
        "allocated",
        "source",
        "doc_number",
        "purpose",
        "created_at",
    ],
);
pub static PAYMENT_ALLOCATIONS: BulkTable = BulkTable::new(
    "payment_allocations",
    &["payment_id", "invoice_id", "amount", "created_at"],
);

/// Every table the generator fills, in foreign-key order.
pub static ALL_TABLES: [&BulkTable; 17] = [
    &DEPARTMENTS,
    &TERRITORIES_T,
    &USERS,
    &USER_TERRITORIES,
    &PRICE_COLUMNS,
    &PRODUCTS,
    &PRODUCT_PRICES,
    &COUNTERPARTIES,
    &BANK_ACCOUNTS,
    &CONTACTS,
    &ACTIVITIES,
    &DEALS,
    &ORDERS,
    &INVOICES,
    &INVOICE_LINES,
    &PAYMENTS,
    &PAYMENT_ALLOCATIONS,
];

/// How much to generate.
#[derive(Debug, Clone, Copy)]
pub struct Plan {
    pub counterparties: u64,
    pub departments: usize,
    pub managers_per_department: usize,
    pub kams_per_department: usize,
    /// About how many clients one key account manager looks after; the rest of the key and
    /// VIP clients go to the department's managers.
    pub kam_clients: u64,
    pub products: usize,
    /// Multiplies the range an order's line count is drawn from (1 keeps the base ranges:
    /// 3–15 lines for key clients, 1–10 for the others).
    pub invoice_line_factor: i64,
}

/// Price columns in the order of [`PRICE_COLUMN_DEFS`]: index used by `ProductRef::prices`.
const PRICE_COLUMN_DEFS: [(&str, &str, i64); 4] = [
    ("retail", "Розница", 140),
    ("wholesale", "Опт", 125),
    ("large_wholesale", "Крупный опт", 117),
    ("vip", "VIP", 110),
];
const RETAIL: usize = 0;
const WHOLESALE: usize = 1;
const LARGE_WHOLESALE: usize = 2;
const VIP: usize = 3;

/// VAT of a product; its category is stored in `products.vat_category`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Vat {
    R22,
    R10,
    R0,
    None,
}

impl Vat {
    fn code(self) -> &'static str {
        match self {
            Vat::R22 => "standard",
            Vat::R10 => "reduced",
            Vat::R0 => "zero",
            Vat::None => "none",
        }
    }

    /// VAT included in a VAT-inclusive `amount`, rounded half away from zero:
    /// `amount × r / (100 + r)`.
    pub fn included_in(self, amount: i64) -> i64 {
        let r = match self {
            Vat::R22 => 22,
            Vat::R10 => 10,
            Vat::R0 | Vat::None => return 0,
        };
        div_round(amount * r, 100 + r)
    }
}

/// Integer division rounding half away from zero (`d` > 0).
pub fn div_round(n: i64, d: i64) -> i64 {
    if n >= 0 {
        (2 * n + d) / (2 * d)
    } else {
        -((-2 * n + d) / (2 * d))
    }
}

pub struct TerritoryRef {
    pub id: Uuid,
    pub department: usize,
}

pub struct DepartmentRef {
    pub id: Uuid,
    pub managers: Vec<Uuid>,
    pub kams: Vec<Uuid>,
    /// The share of the department's key and VIP clients its key account managers take, so
    /// that each has about `Plan::kam_clients` of them.
    pub kam_share: f64,
}

pub struct ProductRef {
    pub id: Uuid,
    pub unit: &'static str,
    pub vat: Vat,
    /// `[old, current][price column]`, kopecks.
    pub prices: [[i64; 4]; 2],
}

/// Reference data the counterparty generator needs; built once, shared read-only.
pub struct Refs {
    pub seed: u64,
    pub now: DateTime<Utc>,
    pub today: NaiveDate,
    pub plan: Plan,
    pub territories: Vec<TerritoryRef>,
    pub departments: Vec<DepartmentRef>,
    pub price_columns: [Uuid; 4],
    pub products: Vec<ProductRef>,
    /// The day the current price list took effect; earlier invoices use the old prices.
    pub price_change: NaiveDate,
    /// Working days for due dates: the Russian calendar as the application ships it.
    pub calendar: WorkCalendar,
}

/// Reference rows plus what the report needs.
pub struct RefOutput {
    pub batches: Vec<Batch>,
    pub users: Vec<(String, String)>,
}

/// A seeded RNG for one purpose (`stream`) of one seed: SplitMix64 finalizer over both,
/// so neighbouring chunk numbers give unrelated streams.
pub fn rng_for(seed: u64, stream: u64) -> StdRng {
    StdRng::seed_from_u64(mix64(seed ^ stream.wrapping_mul(0x9E37_79B9_7F4A_7C15)))
}

/// The SplitMix64 finalizer: a well-mixed 64-bit hash of `z`.
fn mix64(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Salt of the hash behind a counterparty's contract terms (ASCII "terms").
const TERMS_STREAM: u64 = 0x74_65_72_6D_73;

/// A counterparty's contract terms beyond the deferral and the credit limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Contract {
    deferral: DeferralKind,
    /// Contractual penalty instead of art. 395 interest: (ppm of the debt per day, cap in bp).
    penalty: Option<(i64, i64)>,
    claim_term_days: i64,
}

impl Contract {
    /// Drawn from a hash of `(seed, row index)` rather than from the chunk's RNG, so adding
    /// these columns took nothing from that stream: every count and every drawn value a seed
    /// produces stayed as it was (due dates now follow the deferral kind).
    /// Of the clients with a deferral, ~20 % count it in banking days, ~15 % pay a penalty of
    /// 0.1 % a day capped at 10 % of the debt, and ~4 % agreed on a 10-day claim term.
    fn of(seed: u64, i: u64, terms: i64) -> Contract {
        let h = mix64(mix64(seed ^ TERMS_STREAM).wrapping_add(i));
        let deferred = terms > 0;
        Contract {
            deferral: if deferred && h % 100 < 20 {
                DeferralKind::Banking
            } else {
                DeferralKind::Calendar
            },
            penalty: (deferred && h / 100 % 100 < 15).then_some((1_000, 1_000)),
            claim_term_days: if deferred && h / 10_000 % 100 < 4 { 10 } else { 30 },
        }
    }
}

/// A UUID v7 for a row created at `at`, with random bits from the seeded RNG.
fn uuid_at(rng: &mut StdRng, at: DateTime<Utc>) -> Uuid {
    let bytes: [u8; 10] = rng.random();
    let millis = u64::try_from(at.timestamp_millis()).unwrap_or(0);
    uuid::Builder::from_unix_timestamp_millis(millis, &bytes).into_uuid()
}

/// Picks an item with probability proportional to `weight(item)`.
fn weighted_by<'a, T>(rng: &mut StdRng, items: &'a [T], weight: impl Fn(&T) -> u32) -> &'a T {
    let total: u32 = items.iter().map(&weight).sum();
    let mut roll = rng.random_range(0..total.max(1));
    for item in items {
        let w = weight(item);
        if roll < w {
            return item;
        }
        roll -= w;
    }
    &items[items.len() - 1]
}

fn weighted<'a, T>(rng: &mut StdRng, items: &'a [(T, u32)]) -> &'a T {
    &weighted_by(rng, items, |(_, w)| *w).0
}

fn pick<'a, T>(rng: &mut StdRng, items: &'a [T]) -> &'a T {
    // Callers pass non-empty constant lists; the fallback index keeps this total anyway.
    items.choose(rng).unwrap_or(&items[0])
}

fn pick_str(rng: &mut StdRng, items: &[&'static str]) -> &'static str {
    items.choose(rng).copied().unwrap_or_default()
}

/// Midnight UTC of `date` plus `minutes`.
fn at(date: NaiveDate, minutes: i64) -> DateTime<Utc> {
    date.and_time(NaiveTime::MIN).and_utc() + TimeDelta::minutes(minutes)
}

/// A working-hours moment (09:00–18:45 Moscow time = 06:00–15:45 UTC) on `date`.
fn office_time(rng: &mut StdRng, date: NaiveDate) -> DateTime<Utc> {
    at(date, rng.random_range(6..16) * 60 + 15 * rng.random_range(0..4))
}

fn between(rng: &mut StdRng, from: DateTime<Utc>, to: DateTime<Utc>) -> DateTime<Utc> {
    let span = (to - from).num_seconds();
    if span <= 0 {
        from
    } else {
        from + TimeDelta::seconds(rng.random_range(0..=span))
    }
}

fn date_between(rng: &mut StdRng, from: NaiveDate, to: NaiveDate) -> NaiveDate {
    let span = (to - from).num_days();
    if span <= 0 {
        from
    } else {
        from + TimeDelta::days(rng.random_range(0..=span))
    }
}

/// 1234567 kopecks → "12 345,67".
pub fn format_rub(kopecks: i64) -> String {
    let rub = (kopecks / 100).to_string();
    let mut grouped = String::with_capacity(rub.len() + rub.len() / 3 + 4);
    for (i, ch) in rub.chars().enumerate() {
        if i > 0 && (rub.len() - i).is_multiple_of(3) {
            grouped.push(' ');
        }
        grouped.push(ch);
    }
    format!("{grouped},{:02}", kopecks % 100)
}

struct Person {
    last: String,
    first: &'static str,
    patronymic: &'static str,
}

impl Person {
    fn random(rng: &mut StdRng, male_share: f64) -> Person {
        let male = rng.random_bool(male_share);
        let surname = *pick(rng, words::SURNAMES);
        let (pm, pf) = *pick(rng, words::PATRONYMICS);
        if male {
            Person {
                last: surname.to_owned(),
                first: pick_str(rng, words::MALE_FIRST),
                patronymic: pm,
            }
        } else {
            Person {
                last: words::feminine_surname(surname),
                first: pick_str(rng, words::FEMALE_FIRST),
                patronymic: pf,
            }
        }
    }

    /// «Соколова Ирина Викторовна» — the order of documents and lists.
    fn formal(&self) -> String {
        format!("{} {} {}", self.last, self.first, self.patronymic)
    }

    /// «Ирина Викторовна Соколова» — how a colleague is shown in the application.
    fn display(&self) -> String {
        format!("{} {} {}", self.first, self.patronymic, self.last)
    }
}

fn search_key(name: &str, inn: Option<&str>) -> String {
    format!("{} {}", name.to_lowercase().replace('ё', "е"), inn.unwrap_or_default())
        .trim()
        .to_owned()
}

/// Builds departments, territories, users, price columns and the catalogue.
/// `existing_*` map codes already present in the database (seeded by a migration, say)
/// to their ids: those rows are reused, not inserted again.
pub fn reference_data(
    seed: u64,
    now: DateTime<Utc>,
    plan: Plan,
    password_hash: &str,
    existing_territories: &HashMap<String, Uuid>,
    existing_price_columns: &HashMap<String, Uuid>,
) -> (Refs, RefOutput) {
    let mut rng = rng_for(seed, u64::MAX);
    let today = now.date_naive();
    let founded = now - TimeDelta::days(3 * 365 + 60);

    // Territories and the departments that own them.
    let split = words::department_territories(plan.departments);
    let mut territory_dept = vec![0; TERRITORIES.len()];
    for (d, ts) in split.iter().enumerate() {
        for &t in ts {
            territory_dept[t] = d;
        }
    }
    let mut territories_b = Batch::new(&TERRITORIES_T);
    let territories: Vec<TerritoryRef> = TERRITORIES
        .iter()
        .enumerate()
        .map(|(i, t)| {
            let id = match existing_territories.get(t.code) {
                Some(id) => *id,
                None => {
                    let id = uuid_at(&mut rng, founded);
                    territories_b.push_row([Val::Uuid(id), Val::Str(t.code), Val::Str(t.name)]);
                    id
                }
            };
            TerritoryRef {
                id,
                department: territory_dept[i],
            }
        })
        .collect();

    let mut price_columns_b = Batch::new(&PRICE_COLUMNS);
    let mut price_columns = [Uuid::nil(); 4];
    for (i, (code, name, _)) in PRICE_COLUMN_DEFS.iter().enumerate() {
        price_columns[i] = match existing_price_columns.get(*code) {
            Some(id) => *id,
            None => {
                let id = uuid_at(&mut rng, founded);
                price_columns_b.push_row([Val::Uuid(id), Val::Str(code), Val::Str(name), Val::Int(i as i64 + 1)]);
                id
            }
        };
    }

    // Users: the company's leadership first, then each department.
    let mut users_b = Batch::new(&USERS);
    let mut user_territories_b = Batch::new(&USER_TERRITORIES);
    let mut report_users = Vec::new();
    let mut user_seq = 0i64;
    let mut add_user = |rng: &mut StdRng, login: String, role: &'static str, dept: Option<Uuid>| -> Uuid {
        let person = Person::random(rng, 0.55);
        user_seq += 1;
        let created = founded + TimeDelta::hours(user_seq);
        let id = uuid_at(rng, created);
        users_b.push_row([
            Val::Uuid(id),
            Val::Text(login.clone()),
            Val::Text(person.display()),
            Val::Text(format!("{login}@prospekt.example")),
            Val::Str(role),
            dept.into(),
            Val::Text(password_hash.to_owned()),
            Val::Str("ru"),
            Val::Bool(true),
            Val::Int(1),
            Val::Ts(created),
            Val::Ts(created),
        ]);
        report_users.push((login, role.to_owned()));
        id
    };
    add_user(&mut rng, "admin".into(), "administrator", None);
    add_user(&mut rng, "gendir".into(), "general_director", None);
    add_user(&mut rng, "director".into(), "commercial_director", None);
    add_user(&mut rng, "credit".into(), "credit_controller", None);

    let mut departments_b = Batch::new(&DEPARTMENTS);
    let mut departments = Vec::with_capacity(plan.departments);
    let (mut manager_no, mut kam_no) = (0, 0);
    for (d, ts) in split.iter().enumerate() {
        let dept_id = uuid_at(&mut rng, founded);
        let head = add_user(&mut rng, format!("head{}", d + 1), "head_of_department", Some(dept_id));
        add_user(&mut rng, format!("support{}", d + 1), "sales_support", Some(dept_id));
        let mut managers = Vec::with_capacity(plan.managers_per_department);
        for _ in 0..plan.managers_per_department {
            manager_no += 1;
            managers.push(add_user(
                &mut rng,
                format!("manager{manager_no}"),
                "manager",
                Some(dept_id),
            ));
        }
        let mut kams = Vec::with_capacity(plan.kams_per_department);
        for _ in 0..plan.kams_per_department {
            kam_no += 1;
            kams.push(add_user(
                &mut rng,
                format!("kam{kam_no}"),
                "key_account_manager",
                Some(dept_id),
            ));
        }
        for user in std::iter::once(head)
            .chain(managers.iter().copied())
            .chain(kams.iter().copied())
        {
            for &t in ts {
                user_territories_b.push_row([Val::Uuid(user), Val::Uuid(territories[t].id)]);
            }
        }
        let name = if plan.departments == 1 {
            "Отдел продаж".to_owned()
        } else {
            let names: Vec<&str> = ts.iter().map(|&t| TERRITORIES[t].short).collect();
            format!("Отдел продаж: {}", names.join(", "))
        };
        departments_b.push_row([Val::Uuid(dept_id), Val::Text(name), Val::Uuid(head), Val::Ts(founded)]);
        // Expected key/VIP clients per key account manager: the department's share of the
        // territory weights × the non-regular share of clients (about 1 in 8).
        let total_weight: u32 = TERRITORIES.iter().map(|t| t.weight).sum();
        let dept_weight: u32 = ts.iter().map(|&t| TERRITORIES[t].weight).sum();
        let expected = plan.counterparties as f64 * f64::from(dept_weight)
            / f64::from(total_weight.max(1))
            / 8.0
            / plan.kams_per_department.max(1) as f64;
        let kam_share = (plan.kam_clients as f64 / expected.max(1.0)).min(1.0);
        departments.push(DepartmentRef {
            id: dept_id,
            managers,
            kams,
            kam_share,
        });
    }

    // The catalogue: every (line, variant, brand, tier) combination is a distinct
    // product; a seeded shuffle picks which ones this catalogue carries.
    let mut combos = Vec::new();
    for (g, group) in words::PRODUCT_GROUPS.iter().enumerate() {
        for (l, line) in group.lines.iter().enumerate() {
            for v in 0..line.variants.len() {
                for b in 0..group.brands.len() {
                    for t in 0..words::PRODUCT_TIERS.len() {
                        combos.push((g, l, v, b, t));
                    }
                }
            }
        }
    }
    combos.shuffle(&mut rng);
    combos.truncate(plan.products);
    combos.sort_unstable();
    let price_start = today - TimeDelta::days(4 * 365);
    let price_change = today - TimeDelta::days(200);
    let mut products_b = Batch::with_capacity(&PRODUCTS, combos.len());
    let mut prices_b = Batch::with_capacity(&PRODUCT_PRICES, combos.len() * 8);
    let mut products = Vec::with_capacity(combos.len());
    let mut sku_seq = vec![0u32; words::PRODUCT_GROUPS.len()];
    for (g, l, v, b, t) in combos {
        let group = &words::PRODUCT_GROUPS[g];
        let line = &group.lines[l];
        let (tier, tier_pct) = words::PRODUCT_TIERS[t];
        sku_seq[g] += 1;
        let mut name = format!("{} {}, ТМ {}", line.base, line.variants[v], group.brands[b]);
        if !tier.is_empty() {
            name.push_str(", серия ");
            name.push_str(tier);
        }
        let vat = match line.vat {
            "10" => Vat::R10,
            _ => match rng.random_range(0..100) {
                0..2 => Vat::None,
                2 => Vat::R0,
                _ => Vat::R22,
            },
        };
        let cost = (rng.random_range(line.cost_rub.0 * 100..=line.cost_rub.1 * 100)) * tier_pct / 100;
        let mut prices = [[0i64; 4]; 2];
        for (c, (_, _, markup)) in PRICE_COLUMN_DEFS.iter().enumerate() {
            // Current price: cost × markup, to whole 10 kopecks; the old price list was ~7% lower.
            let current = div_round(cost * markup, 1000) * 10;
            prices[1][c] = current.max(10);
            prices[0][c] = (div_round(current * 100, 1070) / 10 * 10).max(10);
        }
        let id = uuid_at(&mut rng, founded);
        let sku = format!("{}-{:05}", group.sku, sku_seq[g]);
        let key = prospekt_domain::counterparty::search_key(&[&sku, &name]);
        products_b.push_row([
            Val::Uuid(id),
            Val::Text(sku),
            Val::Text(name),
            Val::Str(group.name),
            Val::Str(line.unit),
            Val::Str(vat.code()),
            Val::Int(cost),
            Val::Text(key),
            Val::Ts(founded),
        ]);
        for (version, valid_from) in [(0, price_start), (1, price_change)] {
            for (c, col) in price_columns.iter().enumerate() {
                prices_b.push_row([
                    Val::Uuid(id),
                    Val::Uuid(*col),
                    Val::Date(valid_from),
                    Val::Int(prices[version][c]),
                ]);
            }
        }
        products.push(ProductRef {
            id,
            unit: line.unit,
            vat,
            prices,
        });
    }

    let refs = Refs {
        seed,
        now,
        today,
        plan,
        territories,
        departments,
        price_columns,
        products,
        price_change,
        calendar: WorkCalendar::russian_default(),
    };
    let batches = vec![
        departments_b,
        territories_b,
        users_b,
        user_territories_b,
        price_columns_b,
        products_b,
        prices_b,
    ];
    (
        refs,
        RefOutput {
            batches,
            users: report_users,
        },
    )
}

/// Rows of one or more chunks, per table.
pub struct Group {
    pub counterparties: u64,
    pub batches: Vec<Batch>,
}

struct Out {
    cps: Batch,
    banks: Batch,
    contacts: Batch,
    activities: Batch,
    deals: Batch,
    orders: Batch,
    invoices: Batch,
    lines: Batch,
    payments: Batch,
    allocations: Batch,
}

impl Out {
    fn new(cps: u64, line_factor: i64) -> Self {
        let n = usize::try_from(cps).unwrap_or(usize::MAX / 64);
        let line_factor = usize::try_from(line_factor).unwrap_or(1).max(1);
        Out {
            cps: Batch::with_capacity(&COUNTERPARTIES, n),
            banks: Batch::with_capacity(&BANK_ACCOUNTS, n),
            contacts: Batch::with_capacity(&CONTACTS, n * 7 / 2),
            activities: Batch::with_capacity(&ACTIVITIES, n * 13 / 2),
            deals: Batch::with_capacity(&DEALS, n * 2 / 3),
            orders: Batch::with_capacity(&ORDERS, n * 3 / 2),
            invoices: Batch::with_capacity(&INVOICES, n * 3 / 2),
            lines: Batch::with_capacity(&INVOICE_LINES, n * 6 * line_factor),
            payments: Batch::with_capacity(&PAYMENTS, n * 3 / 2),
            allocations: Batch::with_capacity(&PAYMENT_ALLOCATIONS, n * 3 / 2),
        }
    }

    fn into_batches(self) -> Vec<Batch> {
        vec![
            self.cps,
            self.banks,
            self.contacts,
            self.activities,
            self.deals,
            self.orders,
            self.invoices,
            self.lines,
            self.payments,
            self.allocations,
        ]
    }
}

/// Sequential document numbers per year: «З-2026-000123», «С-2026-000123».
#[derive(Default)]
pub struct Counters {
    orders: HashMap<i32, u32>,
    invoices: HashMap<i32, u32>,
}

impl Counters {
    fn next(map: &mut HashMap<i32, u32>, prefix: &str, date: NaiveDate) -> String {
        let n = map.entry(date.year()).or_insert(0);
        *n += 1;
        format!("{prefix}-{}-{:06}", date.year(), n)
    }
}

/// Generates counterparties `range` (chunk-aligned) into one [`Group`].
pub fn generate_group(refs: &Refs, counters: &mut Counters, chunks: std::ops::Range<u64>) -> Group {
    let first = chunks.start * CHUNK;
    let end = (chunks.end * CHUNK).min(refs.plan.counterparties);
    let mut out = Out::new(end.saturating_sub(first), refs.plan.invoice_line_factor);
    for chunk in chunks {
        let mut g = Gen {
            refs,
            rng: rng_for(refs.seed, chunk),
            counters: &mut *counters,
            out: &mut out,
        };
        let lo = chunk * CHUNK;
        let hi = ((chunk + 1) * CHUNK).min(refs.plan.counterparties);
        for i in lo..hi {
            g.counterparty(i);
        }
    }
    Group {
        counterparties: end.saturating_sub(first),
        batches: out.into_batches(),
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Legal,
    Sole,
    Person,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Status {
    Suspect,
    Prospect,
    Qualified,
    Client,
    KeyClient,
    Dormant,
    Lost,
}

impl Status {
    fn code(self) -> &'static str {
        match self {
            Status::Suspect => "suspect",
            Status::Prospect => "prospect",
            Status::Qualified => "qualified",
            Status::Client => "client",
            Status::KeyClient => "key_client",
            Status::Dormant => "dormant",
            Status::Lost => "lost",
        }
    }
}

const STATUSES: &[(Status, u32)] = &[
    (Status::Suspect, 8),
    (Status::Prospect, 14),
    (Status::Qualified, 8),
    (Status::Client, 45),
    (Status::KeyClient, 7),
    (Status::Dormant, 10),
    (Status::Lost, 8),
];

#[derive(Clone, Copy, PartialEq, Eq)]
enum Size {
    Micro,
    Small,
    Medium,
    Large,
}

impl Size {
    fn code(self) -> &'static str {
        match self {
            Size::Micro => "micro",
            Size::Small => "small",
            Size::Medium => "medium",
            Size::Large => "large",
        }
    }
}

/// What the rows below a counterparty need to know about it.
struct Cp {
    id: Uuid,
    kind: Kind,
    status: Status,
    size: Size,
    created: DateTime<Utc>,
    owner: Option<Uuid>,
    department: usize,
    price_column: usize,
    terms: i64,
    deferral: DeferralKind,
    domain: Option<String>,
    contacts: Vec<Uuid>,
}

struct Gen<'a> {
    refs: &'a Refs,
    rng: StdRng,
    counters: &'a mut Counters,
    out: &'a mut Out,
}

/// A permutation of 0..m (m a power of ten; the multiplier is coprime with it), so record
/// numbers derived from row indexes stay unique without looking sequential.
fn scramble(x: u64, multiplier: u64, m: u64) -> u64 {
    (x % m * multiplier + 12_345) % m
}

impl Gen<'_> {
    fn counterparty(&mut self, i: u64) {
        let refs = self.refs;
        let rng = &mut self.rng;
        let n = refs.plan.counterparties.max(1);

        // Created over the last three years in index order (with jitter), so ids (UUID v7)
        // mostly ascend: the primary-key index then grows at its right edge.
        let span = TimeDelta::days(3 * 365).num_seconds();
        let start = refs.now - TimeDelta::days(3 * 365 + 1);
        let slot = span / i64::try_from(n).unwrap_or(i64::MAX).max(1);
        let offset = span * i64::try_from(i).unwrap_or(0) / i64::try_from(n).unwrap_or(1).max(1);
        let created = start + TimeDelta::seconds(offset + rng.random_range(0..=slot.max(1)));

        let territory = weighted_by(rng, &TERRITORIES, |t| t.weight);
        let t_idx = TERRITORIES.iter().position(|t| std::ptr::eq(t, territory)).unwrap_or(0);
        let city: &City = weighted_by(rng, territory.cities, |c| c.weight);
        let department = refs.territories[t_idx].department;
        let dept = &refs.departments[department];

        let kind = match rng.random_range(0..100) {
            0..80 => Kind::Legal,
            80..95 => Kind::Sole,
            _ => Kind::Person,
        };
        let status = *weighted(rng, STATUSES);
        let size = if kind == Kind::Person {
            Size::Micro
        } else if status == Status::KeyClient {
            *weighted(rng, &[(Size::Small, 15), (Size::Medium, 45), (Size::Large, 40)])
        } else if kind == Kind::Sole {
            *weighted(rng, &[(Size::Micro, 75), (Size::Small, 25)])
        } else {
            *weighted(
                rng,
                &[
                    (Size::Micro, 30),
                    (Size::Small, 37),
                    (Size::Medium, 22),
                    (Size::Large, 11),
                ],
            )
        };
        let tier = match status {
            Status::KeyClient => *weighted(rng, &[("key", 70), ("vip", 30)]),
            Status::Client | Status::Dormant => *weighted(rng, &[("regular", 90), ("key", 8), ("vip", 2)]),
            _ => "regular",
        };
        let price_column = match (tier, size) {
            ("vip", _) => VIP,
            ("key", _) => LARGE_WHOLESALE,
            (_, Size::Medium | Size::Large) => WHOLESALE,
            _ => RETAIL,
        };
        let owner = if matches!(status, Status::Suspect | Status::Prospect) && rng.random_bool(0.3) {
            None
        } else if tier != "regular" && !dept.kams.is_empty() && rng.random_bool(dept.kam_share) {
            Some(*pick(rng, &dept.kams))
        } else {
            dept.managers.choose(rng).copied()
        };

        // Identifiers: record numbers derive from the row index, so they never collide;
        // the tax office's region is that of the city.
        let region = city.region;
        let founded_year = rng.random_range(3..=24u64);
        let (name, full_name, inn, kpp, ogrn, person, core) = match kind {
            Kind::Legal => {
                let (short, full, _) = *weighted_by(rng, words::LEGAL_FORMS, |f| f.2);
                let core = company_core(rng);
                let office = 10 + u32::try_from(i / 100_000 % 90).unwrap_or(0);
                let record = scramble(i, 37_813, 100_000);
                let inn = ident::inn10(region, office, u32::try_from(record).unwrap_or(0));
                let kpp = format!("{region:02}{office:02}01001");
                let sign = if rng.random_bool(0.7) { 1 } else { 5 };
                let ogrn = ident::ogrn(sign, founded_year, u64::from(region), u64::from(office), record);
                (
                    format!("{short} \"{core}\""),
                    format!("{full} \"{core}\""),
                    Some(inn),
                    Some(kpp),
                    Some(ogrn),
                    None,
                    Some(core),
                )
            }
            Kind::Sole | Kind::Person => {
                let person = Person::random(rng, 0.65);
                let office = 10 + u32::try_from(i / 1_000_000 % 90).unwrap_or(0);
                let record = u32::try_from(scramble(i, 379_721, 1_000_000)).unwrap_or(0);
                let inn = ident::inn12(region, office, record);
                if kind == Kind::Sole {
                    let ogrnip = ident::ogrnip(founded_year, u64::from(region), scramble(i, 7_368_787, 1_000_000_000));
                    let formal = person.formal();
                    (
                        format!("ИП {formal}"),
                        format!("Индивидуальный предприниматель {formal}"),
                        Some(inn),
                        None,
                        Some(ogrnip),
                        Some(person),
                        None,
                    )
                } else {
                    let formal = person.formal();
                    let inn = rng.random_bool(0.5).then_some(inn);
                    (formal.clone(), formal, inn, None, None, Some(person), None)
                }
            }
        };
        let domain = core.as_deref().map(|c| format!("{}.ru", words::translit(c)));

        let terms = if kind == Kind::Person {
            0
        } else if matches!(status, Status::Suspect | Status::Prospect) {
            *weighted(rng, &[(0, 70), (7, 15), (14, 15)])
        } else {
            *weighted(rng, &[(0, 20), (7, 15), (14, 20), (30, 25), (45, 10), (60, 10)])
        };
        let credit_limit = if terms == 0 {
            0
        } else {
            let (lo, hi) = match size {
                Size::Micro => (100_000, 500_000),
                Size::Small => (300_000, 1_500_000),
                Size::Medium => (1_000_000, 5_000_000),
                Size::Large => (3_000_000, 20_000_000),
            };
            rng.random_range(lo / 50_000..=hi / 50_000) * 50_000 * 100
        };
        let contract = Contract::of(refs.seed, i, terms);
        let legal_address = address(rng, city);
        let actual_address = if rng.random_bool(0.7) {
            legal_address.clone()
        } else {
            address(rng, city)
        };
        let phone = landline(rng, city);
        let email = match (&domain, &person) {
            (Some(d), _) => format!("{}@{d}", pick(rng, words::COMPANY_MAILBOXES)),
            (None, Some(p)) => personal_email(rng, p),
            (None, None) => format!("client{i}@mail.ru"),
        };
        let notes = rng.random_bool(0.12).then(|| (*pick(rng, words::CP_NOTES)).to_owned());
        let updated = between(rng, created, refs.now);
        let archived = (status == Status::Lost && rng.random_bool(0.2)).then_some(updated);
        let industry = (kind != Kind::Person).then(|| *weighted(rng, words::INDUSTRIES));
        let id = uuid_at(rng, created);
        let key = search_key(&name, inn.as_deref());
        let name_key = prospekt_domain::counterparty::name_key(&name);
        let lead_source = *weighted(rng, words::LEAD_SOURCES);

        let mut cp_row = [
            Val::Uuid(id),
            Val::Str(match kind {
                Kind::Legal => "legal_entity",
                Kind::Sole => "sole_proprietor",
                Kind::Person => "person",
            }),
            Val::Text(name),
            Val::Text(full_name),
            inn.into(),
            kpp.into(),
            ogrn.into(),
            Val::Text(key),
            industry.map_or(Val::Null, Val::Str),
            if kind == Kind::Person {
                Val::Null
            } else {
                Val::Str(size.code())
            },
            Val::Uuid(refs.territories[t_idx].id),
            Val::Str(lead_source),
            Val::Str(status.code()),
            Val::Str(tier),
            owner.into(),
            Val::Uuid(dept.id),
            Val::Uuid(refs.price_columns[price_column]),
            Val::Int(terms),
            Val::Int(credit_limit),
            Val::Str(contract.deferral.as_str()),
            contract.penalty.map_or(Val::Null, |(ppm, _)| Val::Int(ppm)),
            contract.penalty.map_or(Val::Null, |(_, cap)| Val::Int(cap)),
            Val::Int(contract.claim_term_days),
            Val::Text(legal_address),
            Val::Text(actual_address),
            Val::Str(city.name),
            Val::Text(phone),
            Val::Text(email),
            notes.into(),
            Val::Int(1),
            Val::Ts(created),
            Val::Ts(updated),
            archived.into(),
            Val::Text(name_key),
            // When the client last heard from us and saw us: filled in from its activities below.
            Val::Null,
            Val::Null,
        ];

        let mut cp = Cp {
            id,
            kind,
            status,
            size,
            created,
            owner,
            department,
            price_column,
            terms,
            deferral: contract.deferral,
            domain,
            contacts: Vec::new(),
        };
        if kind != Kind::Person {
            self.bank_account(&cp, i);
        }
        self.contacts(&mut cp, person.as_ref());
        let (last_contact, last_visit) = self.activities(&cp);
        let width = cp_row.len();
        cp_row[width - 2] = last_contact.map_or(Val::Null, Val::Ts);
        cp_row[width - 1] = last_visit.map_or(Val::Null, Val::Ts);
        self.out.cps.push_row(cp_row);
        self.deals(&cp);
        self.orders(&cp);
    }

    fn bank_account(&mut self, cp: &Cp, i: u64) {
        let rng = &mut self.rng;
        let (bik, bank_name, corr, _) = *weighted_by(rng, words::BANKS, |b| b.3);
        let prefix = if cp.kind == Kind::Sole { "40802810" } else { "40702810" };
        // Branch (4 digits) + personal number (7 digits, from the row index: unique).
        let rest = rng.random_range(1000..10_000u64) * 10_000_000 + i % 10_000_000;
        let account = ident::settlement_account(bik, prefix, rest);
        let id = uuid_at(rng, cp.created);
        self.out.banks.push_row([
            Val::Uuid(id),
            Val::Uuid(cp.id),
            Val::Str(bik),
            Val::Text(account),
            Val::Str(corr),
            Val::Str(bank_name),
        ]);
    }

    fn contacts(&mut self, cp: &mut Cp, owner_person: Option<&Person>) {
        let rng = &mut self.rng;
        let n = match (cp.kind, cp.size) {
            (Kind::Person, _) => 1,
            (Kind::Sole, _) => rng.random_range(1..=3),
            (Kind::Legal, Size::Micro) => rng.random_range(2..=3),
            (Kind::Legal, Size::Small) => rng.random_range(3..=4),
            (Kind::Legal, Size::Medium) => rng.random_range(3..=5),
            (Kind::Legal, Size::Large) => rng.random_range(4..=7),
        };
        for k in 0..n {
            let own = (k == 0).then_some(owner_person).flatten();
            let random_person;
            let person = match own {
                Some(p) => p,
                None => {
                    random_person = Person::random(rng, 0.5);
                    &random_person
                }
            };
            let (position, role): (Option<&'static str>, &'static str) = match (cp.kind, k) {
                (Kind::Person, _) => (None, "decision_maker"),
                (Kind::Sole, 0) => (Some("Индивидуальный предприниматель"), "decision_maker"),
                (Kind::Legal, 0) => (Some("Генеральный директор"), "decision_maker"),
                (Kind::Legal, 1) if rng.random_bool(0.6) => (Some("Главный бухгалтер"), "accountant"),
                _ => {
                    let (p, r) = *pick(rng, words::POSITIONS);
                    (Some(p), r)
                }
            };
            let full_name = person.formal();
            let email = match &cp.domain {
                Some(d) if rng.random_bool(0.8) => {
                    let first = words::translit(person.first);
                    let initial: String = first.chars().take(1).collect();
                    format!("{initial}.{}@{d}", words::translit(&person.last))
                }
                _ => personal_email(rng, person),
            };
            let birthday = rng.random_bool(0.6).then(|| {
                NaiveDate::from_yo_opt(rng.random_range(1960..=2002), rng.random_range(1..=365))
                    .unwrap_or(NaiveDate::MIN)
            });
            let created = between(rng, cp.created, (cp.created + TimeDelta::days(30)).min(self.refs.now));
            let updated = between(rng, created, self.refs.now);
            let id = uuid_at(rng, created);
            let key = search_key(&full_name, None);
            self.out.contacts.push_row([
                Val::Uuid(id),
                Val::Uuid(cp.id),
                Val::Text(full_name),
                position.map_or(Val::Null, Val::Str),
                Val::Str(role),
                Val::Text(mobile(rng)),
                Val::Text(email),
                birthday.into(),
                Val::Bool(rng.random_bool(0.35)),
                Val::Bool(rng.random_bool(0.85)),
                Val::Text(key),
                Val::Int(1),
                Val::Ts(created),
                Val::Ts(updated),
                cp.owner.into(),
            ]);
            cp.contacts.push(id);
        }
    }

    fn any_owner(&mut self, cp: &Cp) -> Option<Uuid> {
        cp.owner.or_else(|| {
            self.refs.departments[cp.department]
                .managers
                .choose(&mut self.rng)
                .copied()
        })
    }

    /// Generates a client's activities; returns when it was last contacted and last visited.
    fn activities(&mut self, cp: &Cp) -> (Option<DateTime<Utc>>, Option<DateTime<Utc>>) {
        let now = self.refs.now;
        let (mut last_contact, mut last_visit): (Option<DateTime<Utc>>, Option<DateTime<Utc>>) = (None, None);
        // A key account manager is in touch with a key client every week or two.
        let by_kam = cp
            .owner
            .is_some_and(|o| self.refs.departments[cp.department].kams.contains(&o));
        let n = match cp.status {
            Status::Suspect => self.rng.random_range(0..=1),
            Status::Prospect => self.rng.random_range(1..=4),
            Status::Qualified => self.rng.random_range(2..=6),
            Status::Client => self.rng.random_range(3..=8),
            Status::KeyClient if by_kam => self.rng.random_range(75..=150),
            Status::KeyClient => self.rng.random_range(12..=40),
            Status::Dormant => self.rng.random_range(1..=5),
            Status::Lost => self.rng.random_range(2..=6),
        };
        let active = matches!(
            cp.status,
            Status::Prospect | Status::Qualified | Status::Client | Status::KeyClient
        );
        let window_start = cp.created.max(now - TimeDelta::days(730));
        // The counts above are for two years of work; a newer client has had less of it
        // (otherwise a client found last week would have a year's calls in that week).
        let share = (now - window_start).num_days().clamp(1, 730) as f64 / 730.0;
        let n = (f64::from(n) * share).ceil() as u32;
        let mut planned_ahead = false;
        for _ in 0..n {
            let owner = self.any_owner(cp);
            let rng = &mut self.rng;
            let kind_def = weighted_by(rng, words::ACTIVITY_KINDS, |k| k.weight);
            let kind = kind_def.code;
            let subject = *pick(rng, kind_def.subjects);
            let duration = rng.random_range(kind_def.minutes.0..=kind_def.minutes.1);
            // At most one next contact in the plan per client.
            let future = active && !planned_ahead && rng.random_bool(0.08);
            planned_ahead |= future;
            let planned = if future {
                let ahead = TimeDelta::days(rng.random_range(1..=14));
                office_time(rng, self.refs.today + ahead)
            } else {
                let day = between(rng, window_start, now).date_naive();
                office_time(rng, day).clamp(cp.created, now)
            };
            let done = !future && (kind == "note" || rng.random_bool(0.92));
            let done_at = done.then(|| (planned + TimeDelta::minutes(duration)).min(now));
            let result = (done && kind != "note").then(|| *pick(rng, words::ACTIVITY_RESULTS));
            let created = if kind == "note" {
                planned
            } else {
                (planned - TimeDelta::minutes(rng.random_range(0..=7 * 24 * 60))).clamp(cp.created, now)
            };
            let contact = if !cp.contacts.is_empty() && rng.random_bool(0.75) {
                cp.contacts.choose(rng).copied()
            } else {
                None
            };
            // Past plans nobody marked: the last ten days still wait (overdue), older ones fell through.
            let status = if done {
                "done"
            } else if future || planned > now - TimeDelta::days(10) {
                "planned"
            } else {
                "not_done"
            };
            if let Some(at) = done_at.filter(|_| !matches!(kind, "task" | "note")) {
                last_contact = last_contact.max(Some(at));
                if matches!(kind, "visit" | "meeting") {
                    last_visit = last_visit.max(Some(at));
                }
            }
            let id = uuid_at(rng, created);
            self.out.activities.push_row([
                Val::Uuid(id),
                Val::Uuid(cp.id),
                contact.into(),
                owner.into(),
                Val::Str(kind),
                Val::Str(subject),
                Val::Ts(planned),
                Val::Int(duration),
                done_at.into(),
                result.map_or(Val::Null, Val::Str),
                Val::Ts(created),
                Val::Str(status),
            ]);
        }
        (last_contact, last_visit)
    }

    fn deals(&mut self, cp: &Cp) {
        let refs = self.refs;
        let n = match cp.status {
            Status::Suspect => 0,
            Status::Prospect => u32::from(self.rng.random_bool(0.5)),
            Status::Qualified => 1,
            Status::Client => u32::from(self.rng.random_bool(0.6)),
            Status::KeyClient => self.rng.random_range(1..=3),
            Status::Dormant => u32::from(self.rng.random_bool(0.2)),
            Status::Lost => u32::from(self.rng.random_bool(0.5)),
        };
        for _ in 0..n {
            let owner = self.any_owner(cp);
            let rng = &mut self.rng;
            let (stage, probability) = match cp.status {
                Status::Lost => ("lost", 0),
                Status::Prospect => *pick(rng, &[("first_contact", 10), ("needs_identified", 20)]),
                Status::Qualified => *pick(
                    rng,
                    &[
                        ("needs_identified", 20),
                        ("offer_sent", 40),
                        ("negotiation", 60),
                        ("contract", 80),
                    ],
                ),
                _ => {
                    let (stage, probability, _) = *weighted_by(rng, words::DEAL_STAGES, |s| s.2);
                    (stage, probability)
                }
            };
            let (lo, hi) = match cp.size {
                Size::Micro => (50, 300),
                Size::Small => (200, 1_000),
                Size::Medium => (500, 5_000),
                Size::Large => (2_000, 30_000),
            };
            // Thousands of roubles → kopecks.
            let amount = rng.random_range(lo..=hi) * 1_000 * 100;
            let created = between(rng, cp.created, refs.now);
            let updated = between(rng, created, refs.now);
            let closed = matches!(stage, "won" | "lost");
            let expected = if closed {
                updated.date_naive()
            } else {
                refs.today + TimeDelta::days(rng.random_range(7..=120))
            };
            let title = format!(
                "{} ({} кв. {})",
                pick(rng, words::DEAL_TITLES),
                expected.month0() / 3 + 1,
                expected.year()
            );
            let lost_reason = (stage == "lost").then(|| *pick(rng, words::LOST_REASONS));
            let id = uuid_at(rng, created);
            self.out.deals.push_row([
                Val::Uuid(id),
                Val::Uuid(cp.id),
                owner.into(),
                Val::Text(title),
                Val::Str(stage),
                Val::Int(amount),
                Val::Int(probability),
                Val::Date(expected),
                lost_reason.map_or(Val::Null, Val::Str),
                Val::Ts(created),
                Val::Ts(updated),
                Val::Ts(updated),
                if closed { Val::Ts(updated) } else { Val::Null },
            ]);
        }
    }

    fn orders(&mut self, cp: &Cp) {
        let refs = self.refs;
        let today = refs.today;
        let (n, latest) = match cp.status {
            Status::Client => (self.rng.random_range(0..=2), today),
            Status::KeyClient => (self.rng.random_range(2..=6), today),
            Status::Dormant => (self.rng.random_range(0..=1), today - TimeDelta::days(180)),
            Status::Lost => (self.rng.random_range(0..=1), today - TimeDelta::days(120)),
            _ => (0, today),
        };
        let earliest = cp.created.date_naive().max(today - TimeDelta::days(730));
        if n == 0 || earliest > latest {
            return;
        }
        for _ in 0..n {
            let owner = self.any_owner(cp);
            let rng = &mut self.rng;
            let ordered_on = date_between(rng, earliest, latest);
            let order_created = office_time(rng, ordered_on).min(refs.now);
            let order_id = uuid_at(rng, order_created);
            let order_number = Counters::next(&mut self.counters.orders, "З", ordered_on);
            let f = refs.plan.invoice_line_factor.max(1);
            let lines = match cp.status {
                Status::KeyClient => rng.random_range(3 * f..=15 * f),
                _ => rng.random_range(f..=10 * f),
            };
            let recent = (today - ordered_on).num_days() <= 3;
            // Taken in the last few days and not invoiced yet: submitted (waiting for the
            // credit decision) or approved for fulfilment; a few orders were cancelled.
            let no_invoice = if recent && rng.random_bool(0.4) {
                Some(*pick(rng, &[OrderStatus::Submitted, OrderStatus::Approved]))
            } else if rng.random_bool(0.02) {
                Some(OrderStatus::Cancelled)
            } else {
                None
            };

            if let Some(status) = no_invoice {
                // No invoice yet: the order total (and its VAT) is what its lines would come to.
                let (mut total, mut total_vat) = (0, 0);
                for _ in 0..lines {
                    let (_, _, _, amount, vat) = self.line(cp, ordered_on);
                    total += amount;
                    total_vat += vat.included_in(amount);
                }
                self.out.orders.push_row([
                    Val::Uuid(order_id),
                    Val::Text(order_number),
                    Val::Uuid(cp.id),
                    owner.into(),
                    Val::Str(status.as_str()),
                    Val::Date(ordered_on),
                    Val::Int(total),
                    Val::Int(total_vat),
                    Val::Int(0),
                    Val::Int(0),
                    Val::Ts(order_created),
                    Val::Ts(order_created),
                    Val::Ts(order_created),
                ]);
                continue;
            }

            let issued_on = (ordered_on + TimeDelta::days(self.rng.random_range(0..=2))).min(today);
            // The due date as the application computes it (banking days or calendar days
            // moved off a day off); how the client pays follows the nominal calendar term, so
            // counts do not depend on the weekday the generator runs.
            let terms = u32::try_from(cp.terms).unwrap_or(0);
            let due_on = due_date(issued_on, terms, cp.deferral, &refs.calendar);
            let nominal_due = issued_on + TimeDelta::days(cp.terms);
            let invoice_created = office_time(&mut self.rng, issued_on).clamp(order_created, refs.now);
            let invoice_id = uuid_at(&mut self.rng, invoice_created);
            let invoice_number = Counters::next(&mut self.counters.invoices, "С", issued_on);
            let (mut total, mut vat_total) = (0i64, 0i64);
            let mut rates: Option<Option<Vat>> = None; // None: no line yet; Some(None): mixed
            for line_no in 1..=lines {
                let (product, quantity, price, amount, vat) = self.line(cp, issued_on);
                let vat_amount = vat.included_in(amount);
                total += amount;
                vat_total += vat_amount;
                rates = Some(match rates {
                    None => Some(vat),
                    Some(Some(v)) if v == vat => Some(v),
                    _ => None,
                });
                self.out.lines.push_row([
                    Val::Uuid(invoice_id),
                    Val::Int(line_no),
                    Val::Uuid(product),
                    Val::Int(quantity),
                    Val::Int(price),
                    Val::Int(amount),
                    Val::Int(vat_amount),
                ]);
            }
            let paid = self.payments(
                cp,
                invoice_id,
                &invoice_number,
                issued_on,
                nominal_due,
                total,
                vat_total,
                rates.flatten(),
            );
            // Shipped and invoiced in full; paid once the invoice is.
            let status = if paid == total {
                OrderStatus::Paid
            } else {
                OrderStatus::Invoiced
            };
            self.out.orders.push_row([
                Val::Uuid(order_id),
                Val::Text(order_number),
                Val::Uuid(cp.id),
                owner.into(),
                Val::Str(status.as_str()),
                Val::Date(ordered_on),
                Val::Int(total),
                Val::Int(vat_total),
                Val::Int(total),
                Val::Int(total),
                Val::Ts(order_created),
                Val::Ts(order_created),
                Val::Ts(order_created),
            ]);
            self.out.invoices.push_row([
                Val::Uuid(invoice_id),
                Val::Text(invoice_number),
                Val::Uuid(cp.id),
                Val::Uuid(order_id),
                Val::Date(issued_on),
                Val::Date(due_on),
                Val::Int(total),
                Val::Int(vat_total),
                Val::Int(paid),
                Val::Ts(invoice_created),
            ]);
        }
    }

    /// One invoice line: (product, quantity in thousandths, price, amount, VAT rate).
    fn line(&mut self, cp: &Cp, on: NaiveDate) -> (Uuid, i64, i64, i64, Vat) {
        let refs = self.refs;
        let rng = &mut self.rng;
        let product = pick(rng, &refs.products);
        let key = cp.status == Status::KeyClient;
        let quantity = match product.unit {
            "кг" | "л" => {
                rng.random_range(if key { 20..=2000 } else { 5..=300 }) * 1000 + 500 * rng.random_range(0..=1)
            }
            "м" => rng.random_range(if key { 50..=3000 } else { 10..=500 }) * 1000,
            _ => rng.random_range(if key { 10..=400 } else { 1..=60 }) * 1000,
        };
        let version = usize::from(on >= refs.price_change);
        let price = product.prices[version][cp.price_column];
        let amount = div_round(quantity * price, 1000);
        (product.id, quantity, price, amount, product.vat)
    }

    /// Payments and allocations for one invoice; returns the amount paid. Every payment is
    /// a bank transfer allocated in full to the invoice. `due_on` is the nominal due date
    /// (issue date + deferral in calendar days): how likely the invoice is still unpaid
    /// depends on how far past it today is.
    #[allow(clippy::too_many_arguments)]
    fn payments(
        &mut self,
        cp: &Cp,
        invoice_id: Uuid,
        number: &str,
        issued_on: NaiveDate,
        due_on: NaiveDate,
        total: i64,
        vat_total: i64,
        rate: Option<Vat>,
    ) -> i64 {
        let today = self.refs.today;
        let rng = &mut self.rng;
        let overdue = (today - due_on).num_days();
        // Unpaid share by age: fresh debt is often still open, old debt mostly collected.
        let (mut unpaid, partial) = match overdue {
            i64::MIN..=0 => (0.55, 0.05),
            1..=30 => (0.40, 0.06),
            31..=90 => (0.28, 0.05),
            91..=365 => (0.13, 0.04),
            _ => (0.05, 0.02),
        };
        if overdue > 0 && matches!(cp.status, Status::Dormant | Status::Lost) {
            unpaid += 0.15;
        }
        let roll: f64 = rng.random();
        if roll < unpaid || total == 0 {
            return 0;
        }
        let partially = roll < unpaid + partial && total >= 2;
        let first_amount = if partially {
            // Part of the invoice, in whole hundreds of roubles.
            let share = rng.random_range(20..=80);
            let a = total * share / 100 / 10_000 * 10_000;
            if a <= 0 || a >= total { total / 2 } else { a }
        } else if total >= 2 && rng.random_bool(0.1) {
            // Paid in full, in two instalments.
            total / 2
        } else {
            total
        };
        let latest = (issued_on + TimeDelta::days(cp.terms + 10)).min(today);
        let mut paid = 0;
        let mut paid_on = date_between(rng, issued_on, latest);
        let amounts = if partially || first_amount == total {
            [first_amount, 0]
        } else {
            [first_amount, total - first_amount]
        };
        for amount in amounts.into_iter().filter(|&a| a > 0) {
            let rng = &mut self.rng;
            let vat_part = if total == 0 {
                0
            } else {
                div_round(vat_total * amount, total)
            };
            let vat_text = match rate {
                Some(Vat::None) => "НДС не облагается".to_owned(),
                Some(Vat::R22) => format!("в т.ч. НДС 22% — {} руб.", format_rub(vat_part)),
                Some(Vat::R10) => format!("в т.ч. НДС 10% — {} руб.", format_rub(vat_part)),
                Some(Vat::R0) => format!("в т.ч. НДС 0% — {} руб.", format_rub(vat_part)),
                None => format!("в т.ч. НДС — {} руб.", format_rub(vat_part)),
            };
            let what = if paid + amount < total {
                "Частичная оплата"
            } else {
                "Оплата"
            };
            let purpose = format!(
                "{what} по счёту № {number} от {}, {vat_text}",
                issued_on.format("%d.%m.%Y")
            );
            let created = office_time(rng, paid_on).min(self.refs.now);
            let id = uuid_at(rng, created);
            self.out.payments.push_row([
                Val::Uuid(id),
                Val::Uuid(cp.id),
                Val::Date(paid_on),
                Val::Int(amount),
                Val::Int(amount),
                Val::Str("bank"),
                Val::Text(rng.random_range(1..=99_999).to_string()),
                Val::Text(purpose),
                Val::Ts(created),
            ]);
            self.out
                .allocations
                .push_row([Val::Uuid(id), Val::Uuid(invoice_id), Val::Int(amount), Val::Ts(created)]);
            paid += amount;
            paid_on = date_between(rng, paid_on, (paid_on + TimeDelta::days(20)).min(today));
        }
        paid
    }
}

/// «Стройресурс», «Стройресурс-Юг», «Вектор», «Вектор-М».
fn company_core(rng: &mut StdRng) -> String {
    let mut core = if rng.random_bool(0.8) {
        let head = pick(rng, words::NAME_HEADS);
        let tail = pick(rng, words::NAME_TAILS);
        format!("{head}{tail}")
    } else {
        (*pick(rng, words::NAME_WHOLE)).to_owned()
    };
    if rng.random_bool(0.25) {
        core.push('-');
        core.push_str(pick_str(rng, words::NAME_SUFFIXES));
    }
    core
}

fn address(rng: &mut StdRng, city: &City) -> String {
    let postcode = city.postcode * 1000 + rng.random_range(0..1000);
    let mut s = format!(
        "{postcode:06}, г. {}, {}, д. {}",
        city.name,
        pick(rng, words::STREETS),
        rng.random_range(1..=150)
    );
    if rng.random_bool(0.3) {
        s.push_str(&format!(", стр. {}", rng.random_range(1..=9)));
    }
    if rng.random_bool(0.5) {
        s.push_str(&format!(", офис {}", rng.random_range(1..=650)));
    }
    s
}

/// "+7" + area code + local number: ten digits after the country code.
fn landline(rng: &mut StdRng, city: &City) -> String {
    let width = 10usize.saturating_sub(city.area_code.len()) as u32;
    let lo = 2 * 10u64.pow(width.saturating_sub(1));
    let hi = 10u64.pow(width);
    format!("+7{}{}", city.area_code, rng.random_range(lo..hi))
}

fn mobile(rng: &mut StdRng) -> String {
    format!("+79{:09}", rng.random_range(0..1_000_000_000u64))
}

fn personal_email(rng: &mut StdRng, p: &Person) -> String {
    let first = words::translit(p.first);
    let last = words::translit(&p.last);
    match rng.random_range(0..3) {
        0 => format!("{last}.{first}@{}", pick(rng, words::MAIL_DOMAINS)),
        1 => format!("{last}{}@{}", rng.random_range(1..=99), pick(rng, words::MAIL_DOMAINS)),
        _ => format!(
            "{}.{last}@{}",
            first.chars().next().unwrap_or('x'),
            pick(rng, words::MAIL_DOMAINS)
        ),
    }
}
