//! Exact pricing of an offer or order: promotions, the manager's discount, VAT, bonuses and
//! what needs the head's approval.
//!
//! Everything is integer arithmetic: amounts are kopecks ([`Money`]), quantities thousandths
//! of a unit ([`Quantity`]), discounts hundredths of a percent ([`Discount`]), intermediate
//! products are `i128` and every result is converted back with a check, so an absurd input
//! gives an error instead of a wrapped number. Every rounding is to the kopeck, half away from
//! zero (0,5 kopeck → 1 kopeck), as Russian accounting rounds.
//!
//! The rules of [`price`], line by line:
//! 1. **Promotion.** Of the discount promotions that apply to the line (period, client segment,
//!    product scope: see [`Promotion::applies`]) the largest wins; promotions never stack with
//!    each other. Bonus promotions are chosen the same way, independently of discounts.
//! 2. **Manual discount** stacks multiplicatively on the promotion:
//!    `unit price = round(list × (1 − promo) × (1 − manual))`, rounded once.
//!    1 000,00 with a 10 % promotion and 5 % manual discount is 1 000 × 0,9 × 0,95 = 855,00.
//! 3. **Line amount** `= round(unit price × quantity)`, in the document's [`VatMode`]: with
//!    [`VatMode::Included`] (the usual Russian price list) it is the total with VAT and the VAT
//!    in it is `amount × r / (100 + r)`; with [`VatMode::OnTop`] it is the amount without VAT
//!    and `amount × r / 100` is added. Exempt lines ([`VatRate::Without`]) carry no VAT.
//! 4. **Document VAT** depends on [`Rounding`]: `per_line` rounds each line's VAT and sums them
//!    (as 1C does); `per_document` computes VAT once per rate on the sum of that rate's line
//!    amounts. Lines show their own rounded VAT either way, but with `per_document` the
//!    document totals and the VAT breakdown come from the per-rate computation, so the lines'
//!    VAT may differ from the total by a few kopecks.
//! 5. **Discount amount** of a line `= round(list × quantity) − line amount`, in the document's
//!    mode; **bonus** `= round(line total with VAT × bonus share)`.
//! 6. **Approval.** A line needs the head's approval when its manual discount exceeds the
//!    manager's limit, or when its final unit price is below the product's minimum price
//!    (both per unit, in the same VAT mode as the list price). Promotions are company
//!    programmes and never count toward the manager's limit; the minimum price check does use
//!    the final price, promotion included.

use std::fmt;
use std::marker::PhantomData;

use chrono::NaiveDate;
use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::counterparty::{LifecycleStatus, Tier};
use crate::ids::{ProductId, PromotionId};
use crate::vat::VatRate;
use crate::{FieldError, Money};

/// Non-breaking space: thousands separator and the space before `%`.
const NBSP: char = '\u{a0}';

/// Thousandths in one unit of quantity.
const QUANTITY_SCALE: u32 = 3;
/// The largest quantity of one line: a billion units (in thousandths).
const MAX_QUANTITY: u64 = 1_000_000_000_000;
/// Basis points (hundredths of a percent) in 100 %.
const FULL: u32 = 10_000;

// ---------------------------------------------------------------------------------------------
// Exact decimal text

/// Reads a non-negative decimal with at most `scale` decimals as an integer number of
/// `10^-scale` units, no larger than `max`. Accepts `,` or `.` as the decimal separator, a
/// leading `-` (reported back so the caller can decide) and spaces between digit groups.
/// The error is the `reason` parameter of the caller's [`FieldError`].
pub(crate) fn parse_scaled(s: &str, scale: u32, max: u64) -> Result<(bool, u64), &'static str> {
    let s = s.trim();
    if s.is_empty() {
        return Err("empty");
    }
    let (negative, body) = match s.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, s),
    };
    let body: String = body.chars().filter(|c| !matches!(*c, ' ' | NBSP)).collect();
    if !body.bytes().all(|b| b.is_ascii_digit() || b == b'.' || b == b',') {
        return Err("characters");
    }
    let (whole, fraction) = match body.split_once(['.', ',']) {
        Some((w, f)) => (w, Some(f)),
        None => (body.as_str(), None),
    };
    if whole.is_empty() || fraction.is_some_and(|f| f.is_empty() || f.contains(['.', ','])) {
        return Err("format");
    }
    // "1,500" is 1.5: trailing zeros are not decimal places.
    let fraction = fraction.unwrap_or("").trim_end_matches('0');
    if fraction.len() > scale as usize {
        return Err("decimals");
    }
    let mut value: u64 = 0;
    for digit in whole.bytes().chain(fraction.bytes()).map(|b| u64::from(b - b'0')) {
        value = value * 10 + digit;
        // Stop as soon as the value is out of range, so a long string cannot overflow.
        if value > max {
            return Err("too_large");
        }
    }
    let missing = scale - fraction.len() as u32;
    value = value.checked_mul(10u64.pow(missing)).ok_or("too_large")?;
    if value > max {
        return Err("too_large");
    }
    Ok((negative, value))
}

/// `value × 10^-scale` with the fewest decimals needed: `1.5`, `2`, `0.125`. The Russian form
/// uses `,` and groups thousands with a no-break space.
fn format_scaled(value: u64, scale: u32, russian: bool) -> String {
    let unit = 10u64.pow(scale);
    let whole = (value / unit).to_string();
    let mut out = String::with_capacity(whole.len() + scale as usize + 4);
    for (i, c) in whole.chars().enumerate() {
        if russian && i > 0 && (whole.len() - i).is_multiple_of(3) {
            out.push(NBSP);
        }
        out.push(c);
    }
    let fraction = value % unit;
    if fraction > 0 {
        out.push(if russian { ',' } else { '.' });
        let digits = format!("{fraction:0width$}", width = scale as usize);
        out.push_str(digits.trim_end_matches('0'));
    }
    out
}

/// Types read from decimal text, also accepted as JSON integers.
trait DecimalText: Sized {
    const EXPECTING: &'static str;
    fn from_text(s: &str) -> Result<Self, FieldError>;
}

/// Deserializes a [`DecimalText`] from a string, or from an integer (quantity `2`, discount `5`).
struct DecimalVisitor<T>(PhantomData<T>);

impl<T: DecimalText> Visitor<'_> for DecimalVisitor<T> {
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(T::EXPECTING)
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<T, E> {
        T::from_text(v).map_err(E::custom)
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<T, E> {
        T::from_text(&v.to_string()).map_err(E::custom)
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<T, E> {
        T::from_text(&v.to_string()).map_err(E::custom)
    }
}

// ---------------------------------------------------------------------------------------------
// Quantity

/// A positive quantity of a product with at most three decimals (1,5 kg; 0,125 t), stored as
/// thousandths of a unit; at most a billion units.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Quantity(i64);

impl Quantity {
    /// Reads `"2"`, `"1,5"`, `"0.125"`, `"1 000"`. Zero or negative: `quantity_not_positive`;
    /// anything else wrong: `invalid_quantity` with a `reason` (`empty`, `characters`, `format`,
    /// `decimals`, `too_large`).
    pub fn parse(s: &str) -> Result<Self, FieldError> {
        match parse_scaled(s, QUANTITY_SCALE, MAX_QUANTITY) {
            Ok((negative, value)) if negative || value == 0 => Err(not_positive()),
            // `value` ≤ MAX_QUANTITY, far below i64::MAX.
            Ok((_, value)) => Ok(Self(value as i64)),
            Err(reason) => Err(FieldError::new("quantity", "invalid_quantity").with("reason", reason)),
        }
    }

    /// A quantity of `thousandths` / 1000 units, checked like [`Quantity::parse`].
    pub fn from_thousandths(thousandths: i64) -> Result<Self, FieldError> {
        if thousandths <= 0 {
            return Err(not_positive());
        }
        if thousandths as u64 > MAX_QUANTITY {
            return Err(FieldError::new("quantity", "invalid_quantity").with("reason", "too_large"));
        }
        Ok(Self(thousandths))
    }

    /// The quantity in thousandths of a unit (1,5 → 1500).
    pub const fn thousandths(self) -> i64 {
        self.0
    }

    /// Russian form: `1,5`, `2`, `1 000` (no-break space between thousands).
    pub fn format_ru(self) -> String {
        format_scaled(self.0 as u64, QUANTITY_SCALE, true)
    }
}

fn not_positive() -> FieldError {
    FieldError::new("quantity", "quantity_not_positive")
}

/// Machine form: `1.5`, `2`, `0.125`.
impl fmt::Display for Quantity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&format_scaled(self.0 as u64, QUANTITY_SCALE, false))
    }
}

impl DecimalText for Quantity {
    const EXPECTING: &'static str = "a positive quantity with at most 3 decimals, as a string";
    fn from_text(s: &str) -> Result<Self, FieldError> {
        Self::parse(s)
    }
}

/// Serialized as the machine-form string (`"1.5"`), never a float.
impl Serialize for Quantity {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Quantity {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(DecimalVisitor(PhantomData))
    }
}

// ---------------------------------------------------------------------------------------------
// Discount

/// A discount (or bonus share) from 0 to 100 % in hundredths of a percent: 5,5 % is 550.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Discount(u32);

impl Discount {
    /// No discount.
    pub const ZERO: Discount = Discount(0);

    /// Reads a percentage: `"5"`, `"5.5"`, `"12,25"`, `"0"`; a trailing `%` is allowed.
    /// Rejected as `invalid_discount` with a `reason`: `empty`, `characters`, `format`,
    /// `decimals` (more than two), `range` (negative or over 100).
    pub fn parse(s: &str) -> Result<Self, FieldError> {
        let s = s.trim();
        let s = s.strip_suffix('%').unwrap_or(s);
        match parse_scaled(s, 2, u64::from(FULL)) {
            Ok((true, value)) if value > 0 => Err(invalid_discount("range")),
            // `value` ≤ FULL, so it fits a u32.
            Ok((_, value)) => Ok(Self(value as u32)),
            Err("too_large") => Err(invalid_discount("range")),
            Err(reason) => Err(invalid_discount(reason)),
        }
    }

    /// A discount of `bp` hundredths of a percent; over 10 000 (100 %) is `range`.
    pub fn from_basis_points(bp: u32) -> Result<Self, FieldError> {
        if bp > FULL {
            return Err(invalid_discount("range"));
        }
        Ok(Self(bp))
    }

    /// Hundredths of a percent: 5,5 % → 550.
    pub const fn basis_points(self) -> u32 {
        self.0
    }

    pub const fn is_zero(self) -> bool {
        self.0 == 0
    }

    /// Russian label: `5,5 %`, `10 %`, `12,25 %` (no-break space before `%`).
    pub fn percent_label(self) -> String {
        format!("{}{NBSP}%", format_scaled(u64::from(self.0), 2, true))
    }
}

fn invalid_discount(reason: &'static str) -> FieldError {
    FieldError::new("discount", "invalid_discount").with("reason", reason)
}

/// Machine form, in percent: `5.5`, `10`, `12.25`.
impl fmt::Display for Discount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&format_scaled(u64::from(self.0), 2, false))
    }
}

impl DecimalText for Discount {
    const EXPECTING: &'static str = "a percentage from 0 to 100 with at most 2 decimals, as a string";
    fn from_text(s: &str) -> Result<Self, FieldError> {
        Self::parse(s)
    }
}

/// Serialized as the machine-form string in percent (`"5.5"`).
impl Serialize for Discount {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Discount {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(DecimalVisitor(PhantomData))
    }
}

// ---------------------------------------------------------------------------------------------
// Document settings

string_enum!(
    /// What a document's prices mean: `included` — the price already contains VAT (the usual
    /// Russian price list); `on_top` — VAT is added on top of the price.
    VatMode, "vat_mode", "invalid_vat_mode" {
        Included => "included",
        OnTop => "on_top",
    }
);

string_enum!(
    /// Where VAT is rounded: `per_line` — each line's VAT is rounded and the document's VAT is
    /// their sum (as 1C does); `per_document` — VAT is computed once per rate on the sum of that
    /// rate's line amounts.
    Rounding, "rounding", "invalid_rounding" {
        PerLine => "per_line",
        PerDocument => "per_document",
    }
);

// ---------------------------------------------------------------------------------------------
// Promotions

/// What a promotion gives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "percent", rename_all = "snake_case")]
pub enum PromotionKind {
    /// A discount off the list price.
    Discount(Discount),
    /// This share of the line's total with VAT is accrued to the client as bonus roubles.
    Bonus(Discount),
}

impl PromotionKind {
    /// The discount or bonus share.
    pub const fn share(self) -> Discount {
        match self {
            PromotionKind::Discount(d) | PromotionKind::Bonus(d) => d,
        }
    }
}

/// The products a promotion covers: those listed, and every product of the groups listed.
/// Both lists empty means every product.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProductScope {
    pub products: Vec<ProductId>,
    pub groups: Vec<String>,
}

impl ProductScope {
    pub fn matches(&self, product: ProductId, group: &str) -> bool {
        (self.products.is_empty() && self.groups.is_empty())
            || self.products.contains(&product)
            || self.groups.iter().any(|g| g == group)
    }
}

/// The clients a promotion is for. An empty list does not restrict: no tiers listed means
/// every tier; a client must match both lists.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Segment {
    pub tiers: Vec<Tier>,
    pub statuses: Vec<LifecycleStatus>,
}

impl Segment {
    pub fn matches(&self, client: ClientSegment) -> bool {
        (self.tiers.is_empty() || self.tiers.contains(&client.tier))
            && (self.statuses.is_empty() || self.statuses.contains(&client.status))
    }
}

/// A discount or bonus programme for a period, a set of products and a client segment.
/// Built only through [`Promotion::new`], so its period is never reversed and it always gives
/// something.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Promotion {
    id: PromotionId,
    name: String,
    kind: PromotionKind,
    valid_from: NaiveDate,
    /// Inclusive: the promotion still applies on this day.
    valid_to: NaiveDate,
    products: ProductScope,
    segment: Segment,
}

impl Promotion {
    /// Checks a promotion: a name (`name`: `required`), `valid_to` not before `valid_from`
    /// (`valid_to`: `period_reversed`), a non-zero share (`discount`: `invalid_discount`,
    /// reason `zero`).
    pub fn new(
        id: PromotionId,
        name: impl Into<String>,
        kind: PromotionKind,
        valid_from: NaiveDate,
        valid_to: NaiveDate,
        products: ProductScope,
        segment: Segment,
    ) -> Result<Self, FieldError> {
        let name = name.into().trim().to_owned();
        if name.is_empty() {
            return Err(FieldError::new("name", "required"));
        }
        if valid_to < valid_from {
            return Err(FieldError::new("valid_to", "period_reversed"));
        }
        if kind.share().is_zero() {
            return Err(invalid_discount("zero"));
        }
        Ok(Self {
            id,
            name,
            kind,
            valid_from,
            valid_to,
            products,
            segment,
        })
    }

    pub fn id(&self) -> PromotionId {
        self.id
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn kind(&self) -> PromotionKind {
        self.kind
    }

    pub fn valid_from(&self) -> NaiveDate {
        self.valid_from
    }

    /// The last day of the promotion (inclusive).
    pub fn valid_to(&self) -> NaiveDate {
        self.valid_to
    }

    pub fn products(&self) -> &ProductScope {
        &self.products
    }

    pub fn segment(&self) -> &Segment {
        &self.segment
    }

    /// Whether the promotion covers a sale of `product` (of `group`) to `client` on day `on`.
    pub fn applies(&self, on: NaiveDate, client: ClientSegment, product: ProductId, group: &str) -> bool {
        self.valid_from <= on
            && on <= self.valid_to
            && self.segment.matches(client)
            && self.products.matches(product, group)
    }
}

// ---------------------------------------------------------------------------------------------
// Input

/// What promotions look at in a client.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientSegment {
    pub tier: Tier,
    pub status: LifecycleStatus,
}

/// One line of an offer or order, before pricing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineInput {
    pub product: ProductId,
    /// The product's group in the catalogue (promotions may cover a whole group).
    pub group: String,
    pub quantity: Quantity,
    /// Price of one unit from the client's price column, in the document's [`VatMode`].
    pub list_price: Money,
    /// The lowest unit price a manager may sell at without approval (same VAT mode).
    pub min_price: Option<Money>,
    pub vat: VatRate,
    /// The manager's own discount, on top of any promotion.
    pub manual_discount: Discount,
}

/// Everything [`price`] needs.
#[derive(Debug, Clone, Copy)]
pub struct PricingInput<'a> {
    /// The document's date: it decides which promotions run.
    pub date: NaiveDate,
    pub vat_mode: VatMode,
    pub rounding: Rounding,
    pub client: ClientSegment,
    /// The largest manual discount the manager may give without approval.
    pub manager_limit: Discount,
    pub lines: &'a [LineInput],
    pub promotions: &'a [Promotion],
}

// ---------------------------------------------------------------------------------------------
// Output

/// Why a document needs the head's approval. `line` is the 0-based index of the line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum ApprovalReason {
    /// The manual discount is above the manager's limit.
    OverLimit {
        line: usize,
        discount: Discount,
        limit: Discount,
    },
    /// The final unit price is below the product's minimum price.
    BelowMinimum { line: usize, price: Money, minimum: Money },
}

/// A priced line. Amounts are for the whole line unless named "unit" or "price".
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PricedLine {
    pub product: ProductId,
    /// Unit price before any discount.
    pub list_price: Money,
    /// The discount promotion that won, if any.
    pub promotion: Option<(PromotionId, Discount)>,
    /// The bonus promotion that won, if any.
    pub bonus_promotion: Option<(PromotionId, Discount)>,
    pub manual_discount: Discount,
    /// Final unit price, in the document's VAT mode.
    pub unit_price: Money,
    pub quantity: Quantity,
    pub amount_without_vat: Money,
    /// This line's VAT, rounded on the line (with per-document rounding the document total
    /// may differ from the sum of these).
    pub vat_amount: Money,
    pub amount_with_vat: Money,
    pub vat: VatRate,
    /// `round(list × quantity) − line amount`, in the document's VAT mode.
    pub discount_amount: Money,
    /// Bonus roubles accrued for this line.
    pub bonus: Money,
}

/// The totals of one VAT rate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct VatSubtotal {
    pub rate: VatRate,
    pub base_without_vat: Money,
    pub vat: Money,
    pub total_with_vat: Money,
}

/// A priced offer or order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PricedDocument {
    pub lines: Vec<PricedLine>,
    /// One entry per rate present, highest rate first, [`VatRate::Without`] last.
    pub vat_breakdown: Vec<VatSubtotal>,
    pub total_without_vat: Money,
    pub total_vat: Money,
    pub total_with_vat: Money,
    pub total_discount: Money,
    pub total_bonus: Money,
    /// Every reason the document needs the head's approval, in line order.
    pub approvals: Vec<ApprovalReason>,
}

impl PricedDocument {
    pub fn needs_approval(&self) -> bool {
        !self.approvals.is_empty()
    }
}

// ---------------------------------------------------------------------------------------------
// Pricing

/// `n / d` rounded half away from zero; `d` > 0.
fn div_round(n: i128, d: i128) -> i128 {
    let (q, r) = (n / d, n % d);
    if 2 * r.abs() >= d { q + n.signum() } else { q }
}

fn overflow() -> FieldError {
    FieldError::new("amount", "invalid_money").with("reason", "overflow")
}

/// Kopecks back into [`Money`], or the overflow error.
fn money(kopecks: i128) -> Result<Money, FieldError> {
    i64::try_from(kopecks).map(Money::from_kopecks).map_err(|_| overflow())
}

/// Splits an amount in the document's mode into (without VAT, VAT, with VAT), VAT rounded.
fn split_vat(amount: i128, rate: VatRate, mode: VatMode) -> (i128, i128, i128) {
    let Some(r) = rate.percent().map(i128::from) else {
        return (amount, 0, amount);
    };
    match mode {
        VatMode::Included => {
            let vat = div_round(amount * r, 100 + r);
            (amount - vat, vat, amount)
        }
        VatMode::OnTop => {
            let vat = div_round(amount * r, 100);
            (amount, vat, amount + vat)
        }
    }
}

/// The applicable promotion of `want` kind with the largest share; the first listed on a tie.
fn best_promotion(
    input: &PricingInput<'_>,
    line: &LineInput,
    want: fn(PromotionKind) -> Option<Discount>,
) -> Option<(PromotionId, Discount)> {
    input
        .promotions
        .iter()
        .filter(|p| p.applies(input.date, input.client, line.product, &line.group))
        .filter_map(|p| want(p.kind).map(|d| (p.id, d)))
        .fold(None, |best, (id, d)| match best {
            Some((_, b)) if b >= d => best,
            _ => Some((id, d)),
        })
}

/// Sort key for the VAT breakdown: highest percentage first, exempt last.
fn breakdown_order(rate: VatRate) -> (bool, std::cmp::Reverse<u8>) {
    match rate {
        VatRate::Percent(p) => (false, std::cmp::Reverse(p)),
        VatRate::Without => (true, std::cmp::Reverse(0)),
    }
}

/// Prices a document by the rules in the module documentation. The only error is an amount
/// beyond the range of [`Money`] (`amount`: `invalid_money`, reason `overflow`, with the
/// `line` when one line is to blame).
pub fn price(input: &PricingInput<'_>) -> Result<PricedDocument, FieldError> {
    let mut lines = Vec::with_capacity(input.lines.len());
    let mut approvals = Vec::new();
    // Per rate: (sum of line amounts in the document's mode, Σ without, Σ VAT, Σ with).
    let mut by_rate: Vec<(VatRate, [i128; 4])> = Vec::new();
    let (mut total_discount, mut total_bonus) = (0i128, 0i128);

    for (index, line) in input.lines.iter().enumerate() {
        let at_line = |e: FieldError| e.with("line", index.to_string());
        let promotion = best_promotion(input, line, |k| match k {
            PromotionKind::Discount(d) => Some(d),
            PromotionKind::Bonus(_) => None,
        });
        let bonus_promotion = best_promotion(input, line, |k| match k {
            PromotionKind::Bonus(d) => Some(d),
            PromotionKind::Discount(_) => None,
        });

        let list = i128::from(line.list_price.kopecks());
        let keep = |d: Discount| i128::from(FULL - d.basis_points());
        let promo_keep = promotion.map_or(i128::from(FULL), |(_, d)| keep(d));
        // |list| < 2^63 and each factor ≤ 10^4 < 2^14: the product stays below 2^91.
        let unit = div_round(
            list * promo_keep * keep(line.manual_discount),
            i128::from(FULL) * i128::from(FULL),
        );
        let quantity = i128::from(line.quantity.thousandths());
        // |unit| < 2^63, quantity ≤ 10^12 < 2^40.
        let amount = div_round(unit * quantity, 1000);
        let list_amount = div_round(list * quantity, 1000);
        let (without, vat, with) = split_vat(amount, line.vat, input.vat_mode);
        let bonus_share = bonus_promotion.map_or(0, |(_, d)| i128::from(d.basis_points()));
        let bonus = div_round(with * bonus_share, i128::from(FULL));

        let unit_price = money(unit).map_err(at_line)?;
        if line.manual_discount > input.manager_limit {
            approvals.push(ApprovalReason::OverLimit {
                line: index,
                discount: line.manual_discount,
                limit: input.manager_limit,
            });
        }
        if let Some(minimum) = line.min_price.filter(|m| unit_price < *m) {
            approvals.push(ApprovalReason::BelowMinimum {
                line: index,
                price: unit_price,
                minimum,
            });
        }

        lines.push(PricedLine {
            product: line.product,
            list_price: line.list_price,
            promotion,
            bonus_promotion,
            manual_discount: line.manual_discount,
            unit_price,
            quantity: line.quantity,
            amount_without_vat: money(without).map_err(at_line)?,
            vat_amount: money(vat).map_err(at_line)?,
            amount_with_vat: money(with).map_err(at_line)?,
            vat: line.vat,
            discount_amount: money(list_amount - amount).map_err(at_line)?,
            bonus: money(bonus).map_err(at_line)?,
        });

        let slot = match by_rate.iter().position(|(r, _)| *r == line.vat) {
            Some(slot) => slot,
            None => {
                by_rate.push((line.vat, [0; 4]));
                by_rate.len() - 1
            }
        };
        // Every term fits an i64, so i128 sums cannot overflow for any realistic line count;
        // the totals are checked when they become Money.
        for (sum, term) in by_rate[slot].1.iter_mut().zip([amount, without, vat, with]) {
            *sum += term;
        }
        total_discount += list_amount - amount;
        total_bonus += bonus;
    }

    by_rate.sort_by_key(|(rate, _)| breakdown_order(*rate));
    let mut vat_breakdown = Vec::with_capacity(by_rate.len());
    let (mut total_without, mut total_vat, mut total_with) = (0i128, 0i128, 0i128);
    for (rate, [amount, without, vat, with]) in by_rate {
        let (without, vat, with) = match input.rounding {
            Rounding::PerLine => (without, vat, with),
            Rounding::PerDocument => split_vat(amount, rate, input.vat_mode),
        };
        vat_breakdown.push(VatSubtotal {
            rate,
            base_without_vat: money(without)?,
            vat: money(vat)?,
            total_with_vat: money(with)?,
        });
        total_without += without;
        total_vat += vat;
        total_with += with;
    }

    Ok(PricedDocument {
        lines,
        vat_breakdown,
        total_without_vat: money(total_without)?,
        total_vat: money(total_vat)?,
        total_with_vat: money(total_with)?,
        total_discount: money(total_discount)?,
        total_bonus: money(total_bonus)?,
        approvals,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).expect("valid date")
    }

    fn rub(s: &str) -> Money {
        Money::parse(s).expect("amount")
    }

    fn pct(s: &str) -> Discount {
        Discount::parse(s).expect("discount")
    }

    fn qty(s: &str) -> Quantity {
        Quantity::parse(s).expect("quantity")
    }

    const R22: VatRate = VatRate::Percent(22);
    const R10: VatRate = VatRate::Percent(10);

    /// One unit of a fresh product of group "general" at `list`, no minimum, no manual discount.
    fn line(list: &str, vat: VatRate) -> LineInput {
        LineInput {
            product: ProductId::new(),
            group: "general".to_owned(),
            quantity: qty("1"),
            list_price: rub(list),
            min_price: None,
            vat,
            manual_discount: Discount::ZERO,
        }
    }

    fn regular_client() -> ClientSegment {
        ClientSegment {
            tier: Tier::Regular,
            status: LifecycleStatus::Client,
        }
    }

    /// A promotion for March 2026 covering every product and client.
    fn promo(kind: PromotionKind) -> Promotion {
        Promotion::new(
            PromotionId::new(),
            "Весна",
            kind,
            day(2026, 3, 1),
            day(2026, 3, 31),
            ProductScope::default(),
            Segment::default(),
        )
        .expect("valid promotion")
    }

    /// Prices on 2026-03-02 for a regular client with a 5 % manager limit.
    fn doc(mode: VatMode, rounding: Rounding, lines: &[LineInput], promotions: &[Promotion]) -> PricedDocument {
        price(&PricingInput {
            date: day(2026, 3, 2),
            vat_mode: mode,
            rounding,
            client: regular_client(),
            manager_limit: pct("5"),
            lines,
            promotions,
        })
        .expect("priced")
    }

    fn kop(m: Money) -> i64 {
        m.kopecks()
    }

    #[test]
    fn quantity_parses_and_prints() {
        assert_eq!(qty("1,5").thousandths(), 1500);
        assert_eq!(qty("2").thousandths(), 2000);
        assert_eq!(qty("0.125").thousandths(), 125);
        assert_eq!(qty("1.500").thousandths(), 1500, "trailing zeros are not decimals");
        assert_eq!(qty(" 1 000 ").thousandths(), 1_000_000);
        assert_eq!(qty("1000000000").thousandths(), 1_000_000_000_000);
        assert_eq!(qty("1,5").to_string(), "1.5");
        assert_eq!(qty("2").to_string(), "2");
        assert_eq!(qty("0.125").to_string(), "0.125");
        assert_eq!(qty("1,5").format_ru(), "1,5");
        assert_eq!(qty("1234.05").format_ru(), "1\u{a0}234,05");
        assert_eq!(
            Quantity::from_thousandths(1).map(|q| q.to_string()),
            Ok("0.001".to_owned())
        );
    }

    #[test]
    fn quantity_rejects_with_codes() {
        for s in ["0", "0,000", "-1", "-0.5"] {
            let e = Quantity::parse(s).expect_err(s);
            assert_eq!((e.field, e.code), ("quantity", "quantity_not_positive"), "{s:?}");
        }
        for (s, reason) in [
            ("", "empty"),
            ("  ", "empty"),
            ("abc", "characters"),
            ("1e3", "characters"),
            ("1.2345", "decimals"),
            ("1,2,3", "format"),
            (".5", "format"),
            ("1.", "format"),
            ("1000000000.001", "too_large"),
            (&"9".repeat(40), "too_large"),
        ] {
            let e = Quantity::parse(s).expect_err(s);
            assert_eq!((e.field, e.code), ("quantity", "invalid_quantity"), "{s:?}");
            assert_eq!(e.param("reason"), Some(reason), "{s:?}");
        }
        assert_eq!(
            Quantity::from_thousandths(0).map_err(|e| e.code),
            Err("quantity_not_positive")
        );
        let e = Quantity::from_thousandths(1_000_000_000_001).expect_err("too large");
        assert_eq!((e.code, e.param("reason")), ("invalid_quantity", Some("too_large")));
    }

    #[test]
    fn quantity_serde_is_a_string() {
        assert_eq!(serde_json::to_string(&qty("1,5")).expect("ser"), "\"1.5\"");
        assert_eq!(serde_json::from_str::<Quantity>("\"1,5\"").expect("str"), qty("1.5"));
        assert_eq!(serde_json::from_str::<Quantity>("3").expect("int"), qty("3"));
        assert!(serde_json::from_str::<Quantity>("1.5").is_err(), "no floats");
        assert!(serde_json::from_str::<Quantity>("\"0\"").is_err());
        assert!(serde_json::from_str::<Quantity>("-2").is_err());
    }

    #[test]
    fn discount_parses_and_prints() {
        assert_eq!(pct("5").basis_points(), 500);
        assert_eq!(pct("5.5").basis_points(), 550);
        assert_eq!(pct("12,25").basis_points(), 1225);
        assert_eq!(pct("0"), Discount::ZERO);
        assert_eq!(pct("100").basis_points(), 10_000);
        assert_eq!(pct("7 %").basis_points(), 700);
        assert_eq!(pct("7%").basis_points(), 700);
        assert_eq!(pct("5.5").percent_label(), "5,5\u{a0}%");
        assert_eq!(pct("12.25").percent_label(), "12,25\u{a0}%");
        assert_eq!(pct("10").percent_label(), "10\u{a0}%");
        assert_eq!(Discount::ZERO.percent_label(), "0\u{a0}%");
        assert_eq!(pct("5,50").to_string(), "5.5");
        assert_eq!(pct("12.25").to_string(), "12.25");
        assert_eq!(Discount::from_basis_points(1225), Ok(pct("12.25")));
        assert!(Discount::from_basis_points(10_001).is_err());
    }

    #[test]
    fn discount_rejects_with_reasons() {
        for (s, reason) in [
            ("100.01", "range"),
            ("101", "range"),
            ("-5", "range"),
            ("5.555", "decimals"),
            ("abc", "characters"),
            ("", "empty"),
            ("%", "empty"),
            ("5..5", "format"),
        ] {
            let e = Discount::parse(s).expect_err(s);
            assert_eq!((e.field, e.code), ("discount", "invalid_discount"), "{s:?}");
            assert_eq!(e.param("reason"), Some(reason), "{s:?}");
        }
    }

    #[test]
    fn discount_serde_is_a_string_in_percent() {
        assert_eq!(serde_json::to_string(&pct("5,5")).expect("ser"), "\"5.5\"");
        assert_eq!(
            serde_json::from_str::<Discount>("\"12,25\"").expect("str"),
            pct("12.25")
        );
        assert_eq!(serde_json::from_str::<Discount>("5").expect("int"), pct("5"));
        assert!(serde_json::from_str::<Discount>("\"120\"").is_err());
    }

    #[test]
    fn settings_parse_only_known_names() {
        assert_eq!(VatMode::parse("on_top"), Ok(VatMode::OnTop));
        assert_eq!(Rounding::parse("per_document"), Ok(Rounding::PerDocument));
        assert_eq!(serde_json::to_string(&VatMode::Included).expect("ser"), "\"included\"");
        let e = VatMode::parse("onTop").expect_err("unknown");
        assert_eq!((e.field, e.code), ("vat_mode", "invalid_vat_mode"));
        let e = Rounding::parse("per_invoice").expect_err("unknown");
        assert_eq!((e.field, e.code), ("rounding", "invalid_rounding"));
    }

    #[test]
    fn division_rounds_half_away_from_zero() {
        assert_eq!(div_round(5, 10), 1);
        assert_eq!(div_round(4, 10), 0);
        assert_eq!(div_round(15, 10), 2);
        assert_eq!(div_round(14, 10), 1);
        assert_eq!(div_round(-5, 10), -1);
        assert_eq!(div_round(-4, 10), 0);
        assert_eq!(div_round(-15, 10), -2);
        assert_eq!(div_round(0, 7), 0);
    }

    #[test]
    fn vat_included_in_the_price() {
        let lines = [line("1000.00", R22), line("1000.00", R10)];
        let d = doc(VatMode::Included, Rounding::PerLine, &lines, &[]);
        // 22 %: 100 000 × 22 / 122 = 18 032,79 kop → 180,33; without VAT 819,67.
        let l = &d.lines[0];
        assert_eq!(
            (kop(l.amount_with_vat), kop(l.vat_amount), kop(l.amount_without_vat)),
            (100_000, 18_033, 81_967)
        );
        // 10 %: 100 000 × 10 / 110 = 9 090,91 kop → 90,91; without VAT 909,09.
        let l = &d.lines[1];
        assert_eq!(
            (kop(l.amount_with_vat), kop(l.vat_amount), kop(l.amount_without_vat)),
            (100_000, 9_091, 90_909)
        );
        // 180,33 + 90,91 = 271,24; 2 000,00 − 271,24 = 1 728,76.
        assert_eq!(
            (kop(d.total_with_vat), kop(d.total_vat), kop(d.total_without_vat)),
            (200_000, 27_124, 172_876)
        );
        assert_eq!(
            d.vat_breakdown,
            vec![
                VatSubtotal {
                    rate: R22,
                    base_without_vat: rub("819.67"),
                    vat: rub("180.33"),
                    total_with_vat: rub("1000.00"),
                },
                VatSubtotal {
                    rate: R10,
                    base_without_vat: rub("909.09"),
                    vat: rub("90.91"),
                    total_with_vat: rub("1000.00"),
                },
            ]
        );
        assert_eq!(d.total_discount, Money::ZERO);
        assert!(!d.needs_approval());
    }

    #[test]
    fn vat_on_top_of_the_price() {
        let lines = [line("1000.00", R22), line("123.45", R10)];
        let d = doc(VatMode::OnTop, Rounding::PerLine, &lines, &[]);
        // 22 %: 1 000,00 × 0,22 = 220,00 exactly; 1 220,00 with VAT.
        let l = &d.lines[0];
        assert_eq!(
            (kop(l.amount_without_vat), kop(l.vat_amount), kop(l.amount_with_vat)),
            (100_000, 22_000, 122_000)
        );
        // 10 %: 12 345 × 10 / 100 = 1 234,5 kop → 1 235 (half away from zero) = 12,35; 135,80.
        let l = &d.lines[1];
        assert_eq!(
            (kop(l.amount_without_vat), kop(l.vat_amount), kop(l.amount_with_vat)),
            (12_345, 1_235, 13_580)
        );
        // 1 123,45 + 232,35 = 1 355,80.
        assert_eq!(
            (kop(d.total_without_vat), kop(d.total_vat), kop(d.total_with_vat)),
            (112_345, 23_235, 135_580)
        );
    }

    #[test]
    fn half_kopecks_round_away_from_zero() {
        // Included 20 % (the rate before 2026): 3 × 20 / 120 = 0,5 kop → 1 kop.
        let d = doc(
            VatMode::Included,
            Rounding::PerLine,
            &[line("0.03", VatRate::Percent(20))],
            &[],
        );
        assert_eq!((kop(d.lines[0].vat_amount), kop(d.lines[0].amount_without_vat)), (1, 2));
        // On top 22 %: 25 × 22 / 100 = 5,5 kop → 6 kop.
        let d = doc(VatMode::OnTop, Rounding::PerLine, &[line("0.25", R22)], &[]);
        assert_eq!((kop(d.lines[0].vat_amount), kop(d.lines[0].amount_with_vat)), (6, 31));
        // Unit price: 1,05 − 10 % = 94,5 kop → 95 kop.
        let mut l = line("1.05", R22);
        l.manual_discount = pct("10");
        let d = doc(VatMode::Included, Rounding::PerLine, &[l], &[]);
        assert_eq!(d.lines[0].unit_price, rub("0.95"));
    }

    #[test]
    fn per_line_and_per_document_rounding_differ() {
        // Included 22 %, three lines of 100,05.
        // Per line: 10 005 × 22 / 122 = 220 110 / 122 = 1 804,18 kop → 18,04; × 3 = 54,12.
        // Per document: 30 015 × 22 / 122 = 660 330 / 122 = 5 412,54 kop → 54,13.
        let lines = [line("100.05", R22), line("100.05", R22), line("100.05", R22)];
        let per_line = doc(VatMode::Included, Rounding::PerLine, &lines, &[]);
        let per_doc = doc(VatMode::Included, Rounding::PerDocument, &lines, &[]);
        assert_eq!(
            (kop(per_line.total_vat), kop(per_line.total_without_vat)),
            (5_412, 24_603)
        );
        assert_eq!(
            (kop(per_doc.total_vat), kop(per_doc.total_without_vat)),
            (5_413, 24_602)
        );
        assert_eq!(per_line.total_with_vat, per_doc.total_with_vat);
        assert_eq!(per_doc.total_with_vat, rub("300.15"));
        // The lines show their own rounded VAT either way.
        assert!(per_doc.lines.iter().all(|l| l.vat_amount == rub("18.04")));
        assert_eq!(per_doc.vat_breakdown[0].vat, rub("54.13"));

        // On top 22 %, two lines of 10,25.
        // Per line: 1 025 × 0,22 = 225,5 kop → 2,26; × 2 = 4,52; total 25,02.
        // Per document: 2 050 × 0,22 = 451 kop = 4,51; total 25,01.
        let lines = [line("10.25", R22), line("10.25", R22)];
        let per_line = doc(VatMode::OnTop, Rounding::PerLine, &lines, &[]);
        let per_doc = doc(VatMode::OnTop, Rounding::PerDocument, &lines, &[]);
        assert_eq!((kop(per_line.total_vat), kop(per_line.total_with_vat)), (452, 2_502));
        assert_eq!((kop(per_doc.total_vat), kop(per_doc.total_with_vat)), (451, 2_501));
        assert_eq!(per_doc.total_without_vat, rub("20.50"));
    }

    #[test]
    fn promotion_and_manual_discount_stack() {
        // 1 000,00 × (1 − 10 %) × (1 − 5 %) = 855,00 per unit; × 3 = 2 565,00.
        let spring = promo(PromotionKind::Discount(pct("10")));
        let mut l = line("1000.00", R22);
        l.quantity = qty("3");
        l.manual_discount = pct("5");
        let d = doc(
            VatMode::Included,
            Rounding::PerLine,
            &[l],
            std::slice::from_ref(&spring),
        );
        let l = &d.lines[0];
        assert_eq!(l.promotion, Some((spring.id(), pct("10"))));
        assert_eq!(l.unit_price, rub("855.00"));
        assert_eq!(l.amount_with_vat, rub("2565.00"));
        // 3 000,00 − 2 565,00.
        assert_eq!(l.discount_amount, rub("435.00"));
        assert_eq!(d.total_discount, rub("435.00"));
        // 256 500 × 22 / 122 = 46 254,10 kop → 462,54.
        assert_eq!((l.vat_amount, l.amount_without_vat), (rub("462.54"), rub("2102.46")));
        // A 5 % manual discount is within the 5 % limit; the promotion never counts.
        assert!(!d.needs_approval());
    }

    #[test]
    fn unit_price_is_rounded_once() {
        // 0,15 × 0,9 × 0,9 = 12,15 kop → 12. Rounding after each discount would give
        // 13,5 → 14, then 14 × 0,9 = 12,6 → 13.
        let mut l = line("0.15", R22);
        l.manual_discount = pct("10");
        let d = doc(
            VatMode::Included,
            Rounding::PerLine,
            &[l],
            &[promo(PromotionKind::Discount(pct("10")))],
        );
        assert_eq!(d.lines[0].unit_price, rub("0.12"));
    }

    #[test]
    fn largest_promotion_wins_and_bonus_is_independent() {
        let small = promo(PromotionKind::Discount(pct("5")));
        let big = promo(PromotionKind::Discount(pct("12")));
        let tie = promo(PromotionKind::Discount(pct("12")));
        let middle = promo(PromotionKind::Discount(pct("8")));
        let expired = Promotion::new(
            PromotionId::new(),
            "Зима",
            PromotionKind::Discount(pct("20")),
            day(2026, 1, 1),
            day(2026, 2, 28),
            ProductScope::default(),
            Segment::default(),
        )
        .expect("valid");
        let bonus2 = promo(PromotionKind::Bonus(pct("2")));
        let bonus3 = promo(PromotionKind::Bonus(pct("3")));
        let promotions = [small, big.clone(), tie, middle, expired, bonus3.clone(), bonus2];
        let mut l = line("200.00", R22);
        l.quantity = qty("2");
        let d = doc(VatMode::OnTop, Rounding::PerLine, &[l], &promotions);
        let l = &d.lines[0];
        // 12 % beats 5 % and 8 %; the equal 12 % listed later loses the tie; the 20 % ended.
        assert_eq!(l.promotion, Some((big.id(), pct("12"))));
        assert_eq!(l.bonus_promotion, Some((bonus3.id(), pct("3"))));
        // 200,00 × 0,88 = 176,00; × 2 = 352,00; VAT 22 % = 77,44; with VAT 429,44.
        assert_eq!(
            (l.unit_price, l.amount_without_vat, l.amount_with_vat),
            (rub("176.00"), rub("352.00"), rub("429.44"))
        );
        // Bonus: 42 944 × 3 % = 1 288,32 kop → 12,88.
        assert_eq!(l.bonus, rub("12.88"));
        assert_eq!(d.total_bonus, rub("12.88"));
        assert_eq!(d.total_discount, rub("48.00"));
    }

    #[test]
    fn bonus_without_discount_rounds_on_the_total_with_vat() {
        // Included 10 %: 123,45 × 2,5 % = 308,625 kop → 3,09; the price stays 123,45.
        let bonus = promo(PromotionKind::Bonus(pct("2.5")));
        let lines = [line("123.45", R10), line("100.00", R10)];
        let d = doc(VatMode::Included, Rounding::PerLine, &lines, &[bonus]);
        assert_eq!((d.lines[0].unit_price, d.lines[0].promotion), (rub("123.45"), None));
        assert_eq!(d.lines[0].bonus, rub("3.09"));
        // 100,00 × 2,5 % = 2,50.
        assert_eq!(d.lines[1].bonus, rub("2.50"));
        assert_eq!(d.total_bonus, rub("5.59"));
    }

    #[test]
    fn promotion_period_is_inclusive() {
        let p = promo(PromotionKind::Discount(pct("10")));
        let (client, product) = (regular_client(), ProductId::new());
        assert!(!p.applies(day(2026, 2, 28), client, product, "general"));
        assert!(p.applies(day(2026, 3, 1), client, product, "general"));
        assert!(p.applies(day(2026, 3, 31), client, product, "general"));
        assert!(!p.applies(day(2026, 4, 1), client, product, "general"));
    }

    #[test]
    fn promotion_segment_restricts_tiers_and_statuses() {
        let segment = Segment {
            tiers: vec![Tier::Key, Tier::Vip],
            statuses: vec![LifecycleStatus::Client, LifecycleStatus::KeyClient],
        };
        let p = Promotion::new(
            PromotionId::new(),
            "Ключевым",
            PromotionKind::Discount(pct("7")),
            day(2026, 3, 1),
            day(2026, 3, 1),
            ProductScope::default(),
            segment,
        )
        .expect("one-day promotion is fine");
        let on = day(2026, 3, 1);
        let product = ProductId::new();
        let client = |tier, status| ClientSegment { tier, status };
        assert!(p.applies(on, client(Tier::Key, LifecycleStatus::Client), product, "x"));
        assert!(p.applies(on, client(Tier::Vip, LifecycleStatus::KeyClient), product, "x"));
        assert!(!p.applies(on, client(Tier::Regular, LifecycleStatus::Client), product, "x"));
        assert!(!p.applies(on, client(Tier::Key, LifecycleStatus::Prospect), product, "x"));
        // Only statuses listed: any tier.
        let only_status = Segment {
            tiers: vec![],
            statuses: vec![LifecycleStatus::Dormant],
        };
        assert!(only_status.matches(client(Tier::Regular, LifecycleStatus::Dormant)));
        assert!(!only_status.matches(client(Tier::Regular, LifecycleStatus::Client)));
        assert!(Segment::default().matches(client(Tier::Vip, LifecycleStatus::Lost)));
    }

    #[test]
    fn promotion_scope_matches_listed_products_or_groups() {
        let (listed, other) = (ProductId::new(), ProductId::new());
        let scope = ProductScope {
            products: vec![listed],
            groups: vec!["coffee".to_owned()],
        };
        assert!(scope.matches(listed, "tea"), "listed product, any group");
        assert!(scope.matches(other, "coffee"), "listed group");
        assert!(!scope.matches(other, "tea"));
        assert!(!scope.matches(other, "Coffee"), "groups compare exactly");
        assert!(
            ProductScope::default().matches(other, "tea"),
            "empty scope covers everything"
        );

        // Through `price`: only the coffee line gets the discount.
        let p = Promotion::new(
            PromotionId::new(),
            "Кофе",
            PromotionKind::Discount(pct("10")),
            day(2026, 3, 1),
            day(2026, 3, 31),
            scope,
            Segment::default(),
        )
        .expect("valid");
        let mut coffee = line("100.00", R22);
        coffee.group = "coffee".to_owned();
        let tea = line("100.00", R22);
        let d = doc(VatMode::Included, Rounding::PerLine, &[coffee, tea], &[p]);
        assert_eq!(
            (d.lines[0].unit_price, d.lines[1].unit_price),
            (rub("90.00"), rub("100.00"))
        );
        assert_eq!(d.lines[1].promotion, None);
    }

    #[test]
    fn promotion_constructor_rejects_bad_promotions() {
        let make = |name: &str, kind, from, to| {
            Promotion::new(
                PromotionId::new(),
                name,
                kind,
                from,
                to,
                ProductScope::default(),
                Segment::default(),
            )
        };
        let ten = PromotionKind::Discount(pct("10"));
        let e = make("Весна", ten, day(2026, 3, 2), day(2026, 3, 1)).expect_err("reversed");
        assert_eq!((e.field, e.code), ("valid_to", "period_reversed"));
        let e = make(
            "Весна",
            PromotionKind::Discount(Discount::ZERO),
            day(2026, 3, 1),
            day(2026, 3, 1),
        )
        .expect_err("zero discount");
        assert_eq!(
            (e.field, e.code, e.param("reason")),
            ("discount", "invalid_discount", Some("zero"))
        );
        let e = make(
            "Весна",
            PromotionKind::Bonus(Discount::ZERO),
            day(2026, 3, 1),
            day(2026, 3, 1),
        )
        .expect_err("zero bonus");
        assert_eq!(e.code, "invalid_discount");
        let e = make("  ", ten, day(2026, 3, 1), day(2026, 3, 1)).expect_err("no name");
        assert_eq!((e.field, e.code), ("name", "required"));
        let p = make(" Весна ", ten, day(2026, 3, 1), day(2026, 3, 31)).expect("valid");
        assert_eq!((p.name(), p.kind(), p.valid_to()), ("Весна", ten, day(2026, 3, 31)));
    }

    #[test]
    fn approvals_for_over_limit_and_below_minimum() {
        // Manager limit 5 %.
        let mut over = line("1000.00", R22);
        over.manual_discount = pct("7");

        // A 30 % promotion on the "sale" group takes the price to 700,00 < 750,00 minimum;
        // the promotion itself is not the manager's discount.
        let mut below = line("1000.00", R22);
        below.group = "sale".to_owned();
        below.min_price = Some(rub("750.00"));

        // 5 % manual = 950,00, exactly the minimum: fine.
        let mut at_edge = line("1000.00", R22);
        at_edge.manual_discount = pct("5");
        at_edge.min_price = Some(rub("950.00"));

        // 10 % manual = 900,00: over the limit and below the minimum.
        let mut both = line("1000.00", R22);
        both.manual_discount = pct("10");
        both.min_price = Some(rub("950.00"));

        let sale = Promotion::new(
            PromotionId::new(),
            "Распродажа",
            PromotionKind::Discount(pct("30")),
            day(2026, 3, 1),
            day(2026, 3, 31),
            ProductScope {
                products: vec![],
                groups: vec!["sale".to_owned()],
            },
            Segment::default(),
        )
        .expect("valid");
        let d = doc(
            VatMode::Included,
            Rounding::PerLine,
            &[over, below, at_edge, both],
            &[sale],
        );
        assert!(d.needs_approval());
        assert_eq!(
            d.approvals,
            vec![
                ApprovalReason::OverLimit {
                    line: 0,
                    discount: pct("7"),
                    limit: pct("5"),
                },
                ApprovalReason::BelowMinimum {
                    line: 1,
                    price: rub("700.00"),
                    minimum: rub("750.00"),
                },
                ApprovalReason::OverLimit {
                    line: 3,
                    discount: pct("10"),
                    limit: pct("5"),
                },
                ApprovalReason::BelowMinimum {
                    line: 3,
                    price: rub("900.00"),
                    minimum: rub("950.00"),
                },
            ]
        );
        let json = serde_json::to_value(d.approvals[0]).expect("ser");
        assert_eq!(
            json,
            serde_json::json!({"reason": "over_limit", "line": 0, "discount": "7", "limit": "5"})
        );
    }

    #[test]
    fn minimum_price_is_compared_in_the_documents_mode() {
        // On top: list 100,00 without VAT, minimum 95,00 without VAT; 6 % manual = 94,00.
        let mut l = line("100.00", R22);
        l.manual_discount = pct("6");
        l.min_price = Some(rub("95.00"));
        let d = price(&PricingInput {
            date: day(2026, 3, 2),
            vat_mode: VatMode::OnTop,
            rounding: Rounding::PerLine,
            client: regular_client(),
            manager_limit: pct("10"),
            lines: &[l],
            promotions: &[],
        })
        .expect("priced");
        assert_eq!(
            d.approvals,
            vec![ApprovalReason::BelowMinimum {
                line: 0,
                price: rub("94.00"),
                minimum: rub("95.00"),
            }]
        );
        // The price with VAT (114,68) being above the minimum changes nothing.
        assert_eq!(d.lines[0].amount_with_vat, rub("114.68"));
    }

    #[test]
    fn lines_without_vat_have_no_vat_and_come_last() {
        let lines = [
            line("500.00", VatRate::Without),
            line("100.00", VatRate::Percent(0)),
            line("100.00", R10),
            line("100.00", R22),
            line("100.00", VatRate::Percent(20)),
        ];
        for mode in VatMode::ALL {
            for rounding in Rounding::ALL {
                let d = doc(*mode, *rounding, &lines, &[]);
                let exempt = &d.lines[0];
                assert_eq!(
                    (exempt.vat_amount, exempt.amount_without_vat, exempt.amount_with_vat),
                    (Money::ZERO, rub("500.00"), rub("500.00"))
                );
                let order: Vec<_> = d.vat_breakdown.iter().map(|s| s.rate).collect();
                assert_eq!(
                    order,
                    [R22, VatRate::Percent(20), R10, VatRate::Percent(0), VatRate::Without]
                );
                assert_eq!(d.vat_breakdown[4].vat, Money::ZERO);
                assert_eq!(d.vat_breakdown[3].vat, Money::ZERO, "0 % has a VAT line of 0,00");
            }
        }
        // On top: VAT 22,00 + 10,00 + 20,00 = 52,00; 900,00 + 52,00 = 952,00.
        let d = doc(VatMode::OnTop, Rounding::PerLine, &lines, &[]);
        assert_eq!(
            (d.total_without_vat, d.total_vat, d.total_with_vat),
            (rub("900.00"), rub("52.00"), rub("952.00"))
        );
        // Included: 18,03 (10 000 × 22 / 122 = 1 803,28) + 9,09 (909,09) + 16,67 (1 666,67) = 43,79.
        let d = doc(VatMode::Included, Rounding::PerLine, &lines, &[]);
        assert_eq!(
            (d.total_with_vat, d.total_vat, d.total_without_vat),
            (rub("900.00"), rub("43.79"), rub("856.21"))
        );
    }

    #[test]
    fn fractional_quantities() {
        // 123,45 × 1,5 = 185,175 → 18 517,5 kop → 185,18.
        let mut a = line("123.45", R22);
        a.quantity = qty("1,5");
        // 99,99 × 0,125 = 12,49875 → 1 249,875 kop → 12,50.
        let mut b = line("99.99", R22);
        b.quantity = qty("0.125");
        // 10,00 − 3 % = 9,70; × 0,333 = 3,2301 → 3,23; list 10,00 × 0,333 = 3,33; discount 0,10.
        let mut c = line("10.00", R22);
        c.quantity = qty("0,333");
        c.manual_discount = pct("3");
        let d = doc(VatMode::Included, Rounding::PerLine, &[a, b, c], &[]);
        assert_eq!(d.lines[0].amount_with_vat, rub("185.18"));
        assert_eq!(d.lines[0].discount_amount, Money::ZERO);
        assert_eq!(d.lines[1].amount_with_vat, rub("12.50"));
        assert_eq!(d.lines[2].amount_with_vat, rub("3.23"));
        assert_eq!(d.lines[2].discount_amount, rub("0.10"));
        assert_eq!(d.total_with_vat, rub("200.91"));
        assert_eq!(d.lines[0].quantity.format_ru(), "1,5");
    }

    #[test]
    fn an_empty_document_is_zero() {
        let d = doc(VatMode::Included, Rounding::PerDocument, &[], &[]);
        assert!(d.lines.is_empty() && d.vat_breakdown.is_empty() && !d.needs_approval());
        assert_eq!(
            (d.total_with_vat, d.total_vat, d.total_bonus),
            (Money::ZERO, Money::ZERO, Money::ZERO)
        );
    }

    #[test]
    fn overflow_is_an_error_not_a_wrap() {
        let mut l = line("0", R22);
        l.list_price = Money::from_kopecks(i64::MAX);
        l.quantity = qty("2");
        let e = price(&PricingInput {
            date: day(2026, 3, 2),
            vat_mode: VatMode::OnTop,
            rounding: Rounding::PerLine,
            client: regular_client(),
            manager_limit: Discount::ZERO,
            lines: &[l.clone()],
            promotions: &[],
        })
        .expect_err("overflow");
        assert_eq!(
            (e.field, e.code, e.param("reason"), e.param("line")),
            ("amount", "invalid_money", Some("overflow"), Some("0"))
        );

        // Each line fits, their sum does not: the document total is refused.
        let mut half = l;
        half.list_price = Money::from_kopecks(i64::MAX / 2 + 1);
        half.quantity = qty("1");
        half.vat = VatRate::Without;
        let e = price(&PricingInput {
            date: day(2026, 3, 2),
            vat_mode: VatMode::Included,
            rounding: Rounding::PerLine,
            client: regular_client(),
            manager_limit: Discount::ZERO,
            lines: &[half.clone(), half],
            promotions: &[],
        })
        .expect_err("overflow");
        assert_eq!(
            (e.code, e.param("reason"), e.param("line")),
            ("invalid_money", Some("overflow"), None)
        );
    }

    #[test]
    fn the_document_serializes_with_string_amounts() {
        let mut l = line("1000.00", R22);
        l.quantity = qty("1.5");
        let d = doc(VatMode::OnTop, Rounding::PerLine, &[l], &[]);
        let json = serde_json::to_value(&d).expect("ser");
        assert_eq!(json["lines"][0]["unit_price"], "1000.00");
        assert_eq!(json["lines"][0]["quantity"], "1.5");
        assert_eq!(json["lines"][0]["vat"], "22");
        assert_eq!(json["vat_breakdown"][0]["vat"], "330.00");
        assert_eq!(json["total_with_vat"], "1830.00");
        assert_eq!(json["approvals"], serde_json::json!([]));
    }

    fn arb_line() -> impl Strategy<Value = LineInput> {
        (
            0i64..=10_000_000,
            1i64..=5_000_000,
            prop::sample::select(vec![
                R22,
                VatRate::Percent(20),
                R10,
                VatRate::Percent(0),
                VatRate::Without,
            ]),
            0u32..=3_000,
        )
            .prop_map(|(list, thousandths, vat, manual)| LineInput {
                product: ProductId::new(),
                group: "general".to_owned(),
                quantity: Quantity::from_thousandths(thousandths).expect("positive"),
                list_price: Money::from_kopecks(list),
                min_price: None,
                vat,
                manual_discount: Discount::from_basis_points(manual).expect("≤ 100 %"),
            })
    }

    fn sum(items: impl Iterator<Item = Money>) -> i64 {
        items.map(Money::kopecks).sum()
    }

    proptest! {
        /// Totals always add up: with VAT = without VAT + VAT, in both modes and both roundings;
        /// the breakdown adds up to the totals; with per-line rounding the totals are the sums
        /// of the lines; per-document VAT is within half a kopeck per line of the per-line VAT.
        #[test]
        fn totals_add_up(
            lines in prop::collection::vec(arb_line(), 0..8),
            on_top in any::<bool>(),
            promo_bp in 0u32..=5_000,
        ) {
            let mode = if on_top { VatMode::OnTop } else { VatMode::Included };
            let promotions: Vec<Promotion> = (promo_bp > 0)
                .then(|| promo(PromotionKind::Discount(Discount::from_basis_points(promo_bp).expect("≤ 100 %"))))
                .into_iter()
                .collect();
            let per_line = doc(mode, Rounding::PerLine, &lines, &promotions);
            let per_doc = doc(mode, Rounding::PerDocument, &lines, &promotions);
            for d in [&per_line, &per_doc] {
                prop_assert_eq!(kop(d.total_with_vat), kop(d.total_without_vat) + kop(d.total_vat));
                prop_assert_eq!(kop(d.total_with_vat), sum(d.vat_breakdown.iter().map(|s| s.total_with_vat)));
                prop_assert_eq!(kop(d.total_vat), sum(d.vat_breakdown.iter().map(|s| s.vat)));
                prop_assert_eq!(kop(d.total_without_vat), sum(d.vat_breakdown.iter().map(|s| s.base_without_vat)));
                for s in &d.vat_breakdown {
                    prop_assert_eq!(kop(s.total_with_vat), kop(s.base_without_vat) + kop(s.vat));
                }
                for l in &d.lines {
                    prop_assert_eq!(kop(l.amount_with_vat), kop(l.amount_without_vat) + kop(l.vat_amount));
                    prop_assert!(l.unit_price <= l.list_price);
                    prop_assert!(!l.discount_amount.is_negative());
                }
            }
            prop_assert_eq!(kop(per_line.total_with_vat), sum(per_line.lines.iter().map(|l| l.amount_with_vat)));
            prop_assert_eq!(kop(per_line.total_vat), sum(per_line.lines.iter().map(|l| l.vat_amount)));
            prop_assert_eq!(kop(per_line.total_without_vat), sum(per_line.lines.iter().map(|l| l.amount_without_vat)));
            // The line amounts are the same; only where VAT is rounded differs.
            prop_assert_eq!(&per_line.lines, &per_doc.lines);
            let gap = (kop(per_line.total_vat) - kop(per_doc.total_vat)).abs();
            prop_assert!(2 * gap <= i64::try_from(lines.len()).expect("few lines") + 1, "gap {}", gap);
        }
    }
}
