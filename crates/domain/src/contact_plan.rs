//! How often each client must hear from its manager, and whom to contact now.
//!
//! *Contact-frequency rules* say, per status, tier or the stage of an open deal, how many days
//! may pass between contacts and between visits. The head of department sets them; the company
//! defaults below apply until then.
//!
//! *The scorer* ranks a manager's clients for "whom to contact now". It is a list of
//! independent [`Signal`]s, each looking at the facts gathered about one client and returning
//! a [`Reason`] with points (or nothing). The reasons are shown beside each row, so a manager
//! sees *why* a client is on top. Later parts of the product add signals (claims, promotions…)
//! with [`Scorer::with`] without touching the existing ones.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::FieldError;
use crate::activity::DealStage;
use crate::counterparty::{LifecycleStatus, Tier};
use crate::money::Money;

/// Longest interval a rule may set: a year.
pub const MAX_INTERVAL_DAYS: u16 = 365;

/// One contact-frequency rule. Empty selectors match every client; a rule with more selectors
/// set is more specific and wins over a general one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContactRule {
    #[serde(default)]
    pub status: Option<LifecycleStatus>,
    #[serde(default)]
    pub tier: Option<Tier>,
    /// The furthest open deal of the client is at this stage.
    #[serde(default)]
    pub deal_stage: Option<DealStage>,
    /// Days allowed between two contacts (calls, visits, meetings, letters).
    #[serde(default)]
    pub contact_every_days: Option<u16>,
    /// Days allowed between two face-to-face contacts (visits, meetings).
    #[serde(default)]
    pub visit_every_days: Option<u16>,
}

impl ContactRule {
    fn specificity(&self) -> u8 {
        u8::from(self.status.is_some()) + u8::from(self.tier.is_some()) + u8::from(self.deal_stage.is_some())
    }

    fn matches(&self, c: &Selector) -> bool {
        self.status.is_none_or(|s| s == c.status)
            && self.tier.is_none_or(|t| t == c.tier)
            && self.deal_stage.is_none_or(|s| Some(s) == c.deal_stage)
    }

    fn same_selector(&self, other: &ContactRule) -> bool {
        self.status == other.status && self.tier == other.tier && self.deal_stage == other.deal_stage
    }
}

/// What a rule is chosen by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Selector {
    pub status: LifecycleStatus,
    pub tier: Tier,
    pub deal_stage: Option<DealStage>,
}

/// The intervals that apply to one client.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Intervals {
    pub contact_every_days: Option<u16>,
    pub visit_every_days: Option<u16>,
}

/// A checked set of rules: every interval within a year, no two rules for the same selector,
/// deal stages only open ones.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ContactRules(Vec<ContactRule>);

impl ContactRules {
    pub fn parse(rules: Vec<ContactRule>) -> Result<Self, FieldError> {
        for (i, r) in rules.iter().enumerate() {
            let at = |e: FieldError| e.with("rule", (i + 1).to_string());
            if r.contact_every_days.is_none() && r.visit_every_days.is_none() {
                return Err(at(FieldError::new("rules", "rule_without_interval")));
            }
            for (field, days) in [
                ("contact_every_days", r.contact_every_days),
                ("visit_every_days", r.visit_every_days),
            ] {
                if let Some(d) = days
                    && !(1..=MAX_INTERVAL_DAYS).contains(&d)
                {
                    return Err(at(FieldError::new(field, "out_of_range")
                        .with("min", "1")
                        .with("max", MAX_INTERVAL_DAYS.to_string())));
                }
            }
            if r.deal_stage.is_some_and(|s| !s.is_open()) {
                return Err(at(FieldError::new("deal_stage", "closed_deal_stage")));
            }
            if rules[..i].iter().any(|o| o.same_selector(r)) {
                return Err(at(FieldError::new("rules", "duplicate_rule")));
            }
        }
        Ok(ContactRules(rules))
    }

    /// The company defaults, in force until a head of department sets their own.
    pub fn company_defaults() -> Self {
        use LifecycleStatus as S;
        let rule = |status, tier, deal_stage, contact, visit| ContactRule {
            status,
            tier,
            deal_stage,
            contact_every_days: contact,
            visit_every_days: visit,
        };
        ContactRules(vec![
            rule(None, Some(Tier::Vip), None, Some(7), Some(30)),
            rule(None, Some(Tier::Key), None, Some(7), Some(30)),
            rule(Some(S::KeyClient), None, None, Some(7), Some(30)),
            rule(Some(S::Client), None, None, Some(30), Some(90)),
            rule(Some(S::Qualified), None, None, Some(14), None),
            rule(Some(S::Prospect), None, None, Some(14), None),
            rule(Some(S::Dormant), None, None, Some(60), None),
            rule(None, None, Some(DealStage::OfferSent), Some(5), None),
            rule(None, None, Some(DealStage::Negotiation), Some(3), None),
            rule(None, None, Some(DealStage::Contract), Some(3), None),
        ])
    }

    pub fn rules(&self) -> &[ContactRule] {
        &self.0
    }

    /// The intervals for one client: for each interval, the most specific matching rule that
    /// sets it; between equally specific rules, the stricter (shorter) interval.
    pub fn intervals(&self, client: &Selector) -> Intervals {
        let pick = |get: fn(&ContactRule) -> Option<u16>| {
            self.0
                .iter()
                .filter(|r| r.matches(client))
                .filter_map(|r| get(r).map(|d| (r.specificity(), d)))
                // Most specific first, then the shortest interval.
                .max_by(|a, b| a.0.cmp(&b.0).then(b.1.cmp(&a.1)))
                .map(|(_, d)| d)
        };
        Intervals {
            contact_every_days: pick(|r| r.contact_every_days),
            visit_every_days: pick(|r| r.visit_every_days),
        }
    }
}

/// What ends soon and deserves a call before it does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ExpiryKind {
    /// An open deal's expected close date.
    Deal,
    /// A commercial offer's validity.
    Offer,
    /// A supply contract's end.
    Contract,
}

/// A date something ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Expiry {
    pub kind: ExpiryKind,
    pub on: NaiveDate,
}

/// Order history over the look-back window, for "orders less often than usual".
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OrderRhythm {
    pub count: u32,
    pub first: Option<NaiveDate>,
    pub last: Option<NaiveDate>,
}

impl OrderRhythm {
    /// Average days between orders, when there are enough orders to speak of a habit.
    pub fn usual_interval_days(&self) -> Option<i64> {
        match (self.first, self.last) {
            (Some(f), Some(l)) if self.count >= 3 => Some(((l - f).num_days() / i64::from(self.count - 1)).max(1)),
            _ => None,
        }
    }
}

/// Everything the ranking knows about one client (storage gathers it in a few set queries).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientFacts {
    pub selector: Selector,
    /// When the client appeared: "never contacted" counts from here.
    pub known_since: NaiveDate,
    pub last_contact: Option<NaiveDate>,
    pub last_visit: Option<NaiveDate>,
    /// The next contact already in the plan, if any.
    pub next_planned: Option<NaiveDate>,
    /// Orders over the last twelve months.
    pub turnover_12m: Money,
    pub overdue_debt: Money,
    /// Due date of the oldest unpaid overdue invoice.
    pub oldest_overdue: Option<NaiveDate>,
    pub expiring: Vec<Expiry>,
    pub orders: OrderRhythm,
}

/// Why a client is on the list, with its weight. `code` and the parameter keys are part of
/// the API (the UI words them in the reader's language).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Reason {
    pub code: &'static str,
    pub points: i32,
    /// Whether this reason alone puts the client on the list (value or an existing plan only
    /// move a client up or down among those who need contact).
    pub trigger: bool,
    pub params: Vec<(&'static str, String)>,
}

impl Reason {
    fn trigger(code: &'static str, points: i32) -> Self {
        Reason {
            code,
            points,
            trigger: true,
            params: Vec::new(),
        }
    }

    fn modifier(code: &'static str, points: i32) -> Self {
        Reason {
            trigger: false,
            ..Reason::trigger(code, points)
        }
    }

    fn with(mut self, k: &'static str, v: impl ToString) -> Self {
        self.params.push((k, v.to_string()));
        self
    }
}

/// The scorer's verdict on one client.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Assessment {
    pub score: i32,
    /// Strongest first.
    pub reasons: Vec<Reason>,
}

impl Assessment {
    /// Whether the client belongs on "whom to contact now".
    pub fn needs_contact(&self) -> bool {
        self.reasons.iter().any(|r| r.trigger)
    }
}

/// One consideration of the ranking.
pub trait Signal: Send + Sync {
    fn assess(&self, facts: &ClientFacts, intervals: &Intervals, today: NaiveDate) -> Option<Reason>;
}

/// The ranking: the sum of what every signal says.
pub struct Scorer {
    signals: Vec<Box<dyn Signal>>,
}

impl Scorer {
    /// The signals the contact plan knows: contact and visit overdue against the rule, value
    /// (tier and turnover), overdue debt, something expiring soon, orders rarer than usual,
    /// and a contact already planned.
    pub fn standard() -> Self {
        Scorer {
            signals: vec![
                Box::new(ContactOverdue),
                Box::new(VisitOverdue),
                Box::new(ClientValue),
                Box::new(OverdueDebt),
                Box::new(ExpiringSoon),
                Box::new(OrderDrop),
                Box::new(AlreadyPlanned),
            ],
        }
    }

    /// Adds a signal (for later parts of the product).
    pub fn with(mut self, signal: Box<dyn Signal>) -> Self {
        self.signals.push(signal);
        self
    }

    pub fn assess(&self, facts: &ClientFacts, intervals: &Intervals, today: NaiveDate) -> Assessment {
        let mut reasons: Vec<Reason> = self
            .signals
            .iter()
            .filter_map(|s| s.assess(facts, intervals, today))
            .collect();
        reasons.sort_by_key(|r| std::cmp::Reverse(r.points));
        Assessment {
            score: reasons.iter().map(|r| r.points).sum(),
            reasons,
        }
    }
}

/// Days since `last` (or since the client appeared, if never).
fn days_since(last: Option<NaiveDate>, known_since: NaiveDate, today: NaiveDate) -> i64 {
    (today - last.unwrap_or(known_since)).num_days().max(0)
}

/// Points for being `over` days past an interval of `every` days: `base`, growing to twice
/// `base` when a whole interval has been missed.
fn overdue_points(base: i32, over: i64, every: i64) -> i32 {
    let extra = (i64::from(base) * over / every.max(1)).min(i64::from(base));
    base + extra as i32
}

struct ContactOverdue;

impl Signal for ContactOverdue {
    fn assess(&self, f: &ClientFacts, i: &Intervals, today: NaiveDate) -> Option<Reason> {
        let every = i64::from(i.contact_every_days?);
        let days = days_since(f.last_contact, f.known_since, today);
        let code = if f.last_contact.is_some() {
            "contact_overdue"
        } else {
            "never_contacted"
        };
        if days >= every {
            Some(
                Reason::trigger(code, overdue_points(40, days - every, every))
                    .with("days", days)
                    .with("every", every),
            )
        } else if every >= 5 && days >= every - 2 {
            Some(
                Reason::trigger("contact_due_soon", 10)
                    .with("days", days)
                    .with("every", every),
            )
        } else {
            None
        }
    }
}

struct VisitOverdue;

impl Signal for VisitOverdue {
    fn assess(&self, f: &ClientFacts, i: &Intervals, today: NaiveDate) -> Option<Reason> {
        let every = i64::from(i.visit_every_days?);
        let days = days_since(f.last_visit, f.known_since, today);
        (days >= every).then(|| {
            Reason::trigger("visit_overdue", overdue_points(30, days - every, every))
                .with("days", days)
                .with("every", every)
        })
    }
}

struct ClientValue;

impl Signal for ClientValue {
    fn assess(&self, f: &ClientFacts, _: &Intervals, _: NaiveDate) -> Option<Reason> {
        let tier = match f.selector.tier {
            Tier::Vip => 15,
            Tier::Key => 10,
            Tier::Regular => 0,
        };
        // 5 points per tenfold turnover above 100 thousand roubles a year, at most 20.
        let rub = f.turnover_12m.kopecks() / 100;
        let mut turnover = 0;
        let mut step = 1_000_000_i64;
        while rub >= step && turnover < 20 {
            turnover += 5;
            step = step.saturating_mul(10);
        }
        let points = tier + turnover;
        (points > 0).then(|| {
            Reason::modifier("valuable", points)
                .with("tier", f.selector.tier)
                .with("turnover", f.turnover_12m)
        })
    }
}

struct OverdueDebt;

impl Signal for OverdueDebt {
    fn assess(&self, f: &ClientFacts, _: &Intervals, today: NaiveDate) -> Option<Reason> {
        if f.overdue_debt.kopecks() <= 0 {
            return None;
        }
        let days = f.oldest_overdue.map_or(0, |d| (today - d).num_days().max(0));
        Some(
            Reason::trigger("overdue_debt", 25 + (days / 3).min(25) as i32)
                .with("amount", f.overdue_debt)
                .with("days", days),
        )
    }
}

/// How many days ahead an expiry starts to matter.
pub const EXPIRY_HORIZON_DAYS: i64 = 14;

struct ExpiringSoon;

impl Signal for ExpiringSoon {
    fn assess(&self, f: &ClientFacts, _: &Intervals, today: NaiveDate) -> Option<Reason> {
        let soonest = f
            .expiring
            .iter()
            .map(|e| (e, (e.on - today).num_days()))
            .filter(|(_, d)| (0..=EXPIRY_HORIZON_DAYS).contains(d))
            .min_by_key(|(_, d)| *d)?;
        let (e, days) = soonest;
        let code = match e.kind {
            ExpiryKind::Deal => "deal_closing",
            ExpiryKind::Offer => "offer_expiring",
            ExpiryKind::Contract => "contract_expiring",
        };
        Some(
            Reason::trigger(code, 30 - days as i32)
                .with("date", e.on)
                .with("days", days),
        )
    }
}

struct OrderDrop;

impl Signal for OrderDrop {
    fn assess(&self, f: &ClientFacts, _: &Intervals, today: NaiveDate) -> Option<Reason> {
        let usual = f.orders.usual_interval_days()?;
        let since = (today - f.orders.last?).num_days();
        // Late by more than a usual interval, and by at least two weeks.
        if since <= (2 * usual).max(usual + 14) {
            return None;
        }
        let late = (10 * (since - 2 * usual) / usual).min(20) as i32;
        Some(
            Reason::trigger("order_drop", 20 + late)
                .with("usual_days", usual)
                .with("days", since),
        )
    }
}

/// A contact already planned within a week pushes the client down: the work is in hand.
struct AlreadyPlanned;

impl Signal for AlreadyPlanned {
    fn assess(&self, f: &ClientFacts, _: &Intervals, today: NaiveDate) -> Option<Reason> {
        let next = f.next_planned?;
        let days = (next - today).num_days();
        (0..=7)
            .contains(&days)
            .then(|| Reason::modifier("already_planned", -25).with("date", next))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    const TODAY: &str = "2026-11-27";

    /// A regular client contacted yesterday, nothing owed, nothing expiring.
    fn quiet() -> ClientFacts {
        ClientFacts {
            selector: Selector {
                status: LifecycleStatus::Client,
                tier: Tier::Regular,
                deal_stage: None,
            },
            known_since: d("2024-01-10"),
            last_contact: Some(d("2026-11-26")),
            last_visit: Some(d("2026-11-01")),
            next_planned: None,
            turnover_12m: Money::ZERO,
            overdue_debt: Money::ZERO,
            oldest_overdue: None,
            expiring: Vec::new(),
            orders: OrderRhythm::default(),
        }
    }

    fn score(f: &ClientFacts) -> Assessment {
        let i = ContactRules::company_defaults().intervals(&f.selector);
        Scorer::standard().assess(f, &i, d(TODAY))
    }

    fn codes(a: &Assessment) -> Vec<&'static str> {
        a.reasons.iter().map(|r| r.code).collect()
    }

    #[test]
    fn the_most_specific_rule_wins_and_ties_take_the_stricter() {
        let rules = ContactRules::company_defaults();
        let key_client = Selector {
            status: LifecycleStatus::KeyClient,
            tier: Tier::Key,
            deal_stage: None,
        };
        assert_eq!(
            rules.intervals(&key_client),
            Intervals {
                contact_every_days: Some(7),
                visit_every_days: Some(30)
            }
        );
        // A prospect in negotiation: the deal's 3 days beat the prospect's 14 (equally specific).
        let negotiating = Selector {
            status: LifecycleStatus::Prospect,
            tier: Tier::Regular,
            deal_stage: Some(DealStage::Negotiation),
        };
        assert_eq!(rules.intervals(&negotiating).contact_every_days, Some(3));
        // A rule for both selectors beats a rule for one, even when it is laxer.
        let mut own = rules.rules().to_vec();
        own.push(ContactRule {
            status: Some(LifecycleStatus::Prospect),
            tier: None,
            deal_stage: Some(DealStage::Negotiation),
            contact_every_days: Some(10),
            visit_every_days: None,
        });
        let own = ContactRules::parse(own).unwrap();
        assert_eq!(own.intervals(&negotiating).contact_every_days, Some(10));
        // A lost client has no rule at all.
        let lost = Selector {
            status: LifecycleStatus::Lost,
            tier: Tier::Regular,
            deal_stage: None,
        };
        assert_eq!(rules.intervals(&lost), Intervals::default());
    }

    #[test]
    fn a_rule_set_is_checked() {
        let base = ContactRule {
            status: Some(LifecycleStatus::Client),
            tier: None,
            deal_stage: None,
            contact_every_days: Some(30),
            visit_every_days: None,
        };
        assert!(ContactRules::parse(vec![base.clone()]).is_ok());
        let e = ContactRules::parse(vec![base.clone(), base.clone()]).unwrap_err();
        assert_eq!((e.code, e.param("rule")), ("duplicate_rule", Some("2")));
        let e = ContactRules::parse(vec![ContactRule {
            contact_every_days: Some(0),
            ..base.clone()
        }])
        .unwrap_err();
        assert_eq!((e.field, e.code), ("contact_every_days", "out_of_range"));
        let e = ContactRules::parse(vec![ContactRule {
            visit_every_days: Some(366),
            ..base.clone()
        }])
        .unwrap_err();
        assert_eq!(e.field, "visit_every_days");
        let e = ContactRules::parse(vec![ContactRule {
            contact_every_days: None,
            ..base.clone()
        }])
        .unwrap_err();
        assert_eq!(e.code, "rule_without_interval");
        let e = ContactRules::parse(vec![ContactRule {
            deal_stage: Some(DealStage::Won),
            ..base
        }])
        .unwrap_err();
        assert_eq!(e.code, "closed_deal_stage");
        assert!(ContactRules::parse(ContactRules::company_defaults().rules().to_vec()).is_ok());
    }

    #[test]
    fn a_client_in_rhythm_is_not_on_the_list() {
        let a = score(&quiet());
        assert!(!a.needs_contact(), "{a:?}");
    }

    #[test]
    fn a_missed_contact_puts_the_client_on_the_list_and_longer_silence_ranks_higher() {
        let mut f = quiet();
        f.last_contact = Some(d("2026-10-20")); // 38 days, rule 30
        let late = score(&f);
        assert!(late.needs_contact());
        assert_eq!(late.reasons[0].code, "contact_overdue");
        assert_eq!(
            late.reasons[0].params,
            vec![("days", "38".into()), ("every", "30".into())]
        );
        f.last_contact = Some(d("2026-08-01"));
        let later = score(&f);
        assert!(later.score > late.score);
        // Never contacted: counted from when the client appeared.
        f.last_contact = None;
        let never = score(&f);
        assert!(codes(&never).contains(&"never_contacted"));
    }

    #[test]
    fn a_contact_due_in_two_days_is_flagged_lightly() {
        let mut f = quiet();
        f.last_contact = Some(d("2026-10-30")); // 28 days of 30
        let a = score(&f);
        assert_eq!(codes(&a), vec!["contact_due_soon"]);
        f.last_contact = Some(d("2026-10-20"));
        assert!(score(&f).score > a.score);
    }

    #[test]
    fn a_missed_visit_counts_separately() {
        let mut f = quiet();
        f.last_visit = Some(d("2026-07-01")); // 149 days, rule 90
        let a = score(&f);
        assert_eq!(codes(&a), vec!["visit_overdue"]);
        f.last_visit = None;
        f.known_since = d("2026-11-20"); // new client, never visited, within the interval
        assert!(!score(&f).needs_contact());
    }

    #[test]
    fn tier_and_turnover_raise_a_client_but_never_list_it_alone() {
        let mut f = quiet();
        f.last_contact = Some(d("2026-10-20"));
        let plain = score(&f);
        f.turnover_12m = Money::from_kopecks(50_000_000 * 100); // 50 million roubles
        let big = score(&f);
        assert!(big.score > plain.score);
        f.selector.tier = Tier::Vip;
        let vip = score(&f);
        assert!(vip.score > big.score);
        // Valuable but in rhythm: not listed.
        let mut calm = quiet();
        calm.selector.tier = Tier::Vip;
        calm.last_visit = Some(d("2026-11-20"));
        calm.turnover_12m = Money::from_kopecks(50_000_000 * 100);
        let a = score(&calm);
        assert_eq!(codes(&a), vec!["valuable"]);
        assert!(!a.needs_contact());
    }

    #[test]
    fn overdue_debt_lists_the_client_and_older_debt_ranks_higher() {
        let mut f = quiet();
        f.overdue_debt = Money::from_kopecks(12_345_600);
        f.oldest_overdue = Some(d("2026-11-20"));
        let fresh = score(&f);
        assert_eq!(codes(&fresh), vec!["overdue_debt"]);
        assert_eq!(fresh.reasons[0].params[0], ("amount", "123456.00".into()));
        f.oldest_overdue = Some(d("2026-09-01"));
        assert!(score(&f).score > fresh.score);
    }

    #[test]
    fn something_expiring_soon_ranks_higher_the_sooner_it_is() {
        let mut f = quiet();
        f.expiring = vec![Expiry {
            kind: ExpiryKind::Offer,
            on: d("2026-12-08"),
        }];
        let later = score(&f);
        assert_eq!(codes(&later), vec!["offer_expiring"]);
        f.expiring.push(Expiry {
            kind: ExpiryKind::Contract,
            on: d("2026-11-29"),
        });
        let sooner = score(&f);
        assert_eq!(sooner.reasons[0].code, "contract_expiring");
        assert!(sooner.score > later.score);
        // Beyond the horizon or already past: nothing.
        f.expiring = vec![
            Expiry {
                kind: ExpiryKind::Deal,
                on: d("2027-02-01"),
            },
            Expiry {
                kind: ExpiryKind::Deal,
                on: d("2026-11-01"),
            },
        ];
        assert!(!score(&f).needs_contact());
    }

    #[test]
    fn orders_rarer_than_usual_list_the_client() {
        let mut f = quiet();
        // Ordered 12 times over 11 months: every 30 days or so; last order 75 days ago.
        f.orders = OrderRhythm {
            count: 12,
            first: d("2025-09-13").into(),
            last: d("2026-09-13").into(),
        };
        let a = score(&f);
        assert_eq!(codes(&a), vec!["order_drop"]);
        assert_eq!(
            a.reasons[0].params,
            vec![("usual_days", "33".into()), ("days", "75".into())]
        );
        f.orders.last = Some(d("2026-06-01"));
        f.orders.first = Some(d("2025-05-01"));
        assert!(score(&f).score > a.score);
        // On time: nothing. Too few orders to know a habit: nothing.
        f.orders.last = Some(d("2026-11-10"));
        assert!(!score(&f).needs_contact());
        f.orders = OrderRhythm {
            count: 2,
            first: d("2025-01-01").into(),
            last: d("2025-02-01").into(),
        };
        assert!(!score(&f).needs_contact());
    }

    #[test]
    fn a_contact_already_planned_moves_the_client_down() {
        let mut f = quiet();
        f.last_contact = Some(d("2026-10-01"));
        let unplanned = score(&f);
        f.next_planned = Some(d("2026-11-30"));
        let planned = score(&f);
        assert!(planned.score < unplanned.score);
        assert!(codes(&planned).contains(&"already_planned"));
        f.next_planned = Some(d("2027-01-30"));
        assert_eq!(score(&f).score, unplanned.score);
    }

    #[test]
    fn later_signals_plug_into_the_same_ranking() {
        struct OpenClaim;
        impl Signal for OpenClaim {
            fn assess(&self, _: &ClientFacts, _: &Intervals, _: NaiveDate) -> Option<Reason> {
                Some(Reason::trigger("open_claim", 50))
            }
        }
        let f = quiet();
        let i = ContactRules::company_defaults().intervals(&f.selector);
        let a = Scorer::standard().with(Box::new(OpenClaim)).assess(&f, &i, d(TODAY));
        assert_eq!(codes(&a), vec!["open_claim"]);
        assert_eq!(a.score, 50);
    }
}
