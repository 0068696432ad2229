//! Activities of the contact plan: calls, visits, meetings, letters, tasks and notes, with the
//! rules a plan must keep (no plans in the past, an end after the start, a sane duration) and
//! the company calendar the weekly plan is drawn on (weeks start on Monday, Moscow time).

use chrono::{DateTime, Datelike, Duration, FixedOffset, NaiveDate, NaiveTime, SubsecRound, TimeZone, Utc};

use serde::{Deserialize, Serialize};

use crate::FieldError;

string_enum!(
    /// What kind of contact or work an activity is.
    ActivityKind, "kind", "invalid_activity_kind" {
        Call => "call",
        Visit => "visit",
        Meeting => "meeting",
        Email => "email",
        Letter => "letter",
        Task => "task",
        Note => "note",
    }
);

string_enum!(
    /// Where an activity stands: planned, done, or not done (the client was unreachable, the
    /// visit fell through); only a planned activity can still be moved or completed.
    ActivityStatus, "status", "invalid_activity_status" {
        Planned => "planned",
        Done => "done",
        NotDone => "not_done",
    }
);

string_enum!(
    /// Stage of a deal in the pipeline (the deals themselves come with the pipeline screens).
    DealStage, "stage", "invalid_deal_stage" {
        FirstContact => "first_contact",
        NeedsIdentified => "needs_identified",
        OfferSent => "offer_sent",
        Negotiation => "negotiation",
        Contract => "contract",
        Won => "won",
        Lost => "lost",
    }
);

impl DealStage {
    /// Whether the deal is still being worked on.
    pub fn is_open(self) -> bool {
        !matches!(self, DealStage::Won | DealStage::Lost)
    }

    /// Position in the pipeline, for "the furthest open deal" of a client.
    pub fn rank(self) -> u8 {
        self as u8
    }
}

impl ActivityKind {
    /// Whether doing it counts as contact with the client (a task or a note does not).
    pub fn is_contact(self) -> bool {
        !matches!(self, ActivityKind::Task | ActivityKind::Note)
    }

    /// Whether it is a face-to-face contact (counts for the visit frequency).
    pub fn is_visit(self) -> bool {
        matches!(self, ActivityKind::Visit | ActivityKind::Meeting)
    }

    /// Typical length in minutes when none is given.
    pub fn default_minutes(self) -> i32 {
        match self {
            ActivityKind::Call => 15,
            ActivityKind::Visit => 90,
            ActivityKind::Meeting => 60,
            ActivityKind::Email | ActivityKind::Letter | ActivityKind::Note => 10,
            ActivityKind::Task => 30,
        }
    }

    /// The codes of the kinds that count as contact, for queries.
    pub fn contact_codes() -> impl Iterator<Item = &'static str> {
        ActivityKind::ALL.iter().filter(|k| k.is_contact()).map(|k| k.as_str())
    }
}

/// Longest activity the plan accepts: a day.
pub const MAX_MINUTES: i32 = 24 * 60;

/// How far back "now" may be when something is planned: clock skew between a phone and the
/// server, or a form filled in slowly, must not turn a plan for "now" into an error.
pub const PLAN_GRACE: Duration = Duration::minutes(5);

/// When an activity happens: start and length, the end after the start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Schedule {
    starts_at: DateTime<Utc>,
    minutes: i32,
}

impl Schedule {
    /// From a start and either an end or a length (the end wins when both are given and agree;
    /// a length that contradicts the end is refused). Without either, the kind's usual length.
    pub fn new(
        kind: ActivityKind,
        starts_at: DateTime<Utc>,
        ends_at: Option<DateTime<Utc>>,
        minutes: Option<i32>,
    ) -> Result<Self, FieldError> {
        let from_end = match ends_at {
            Some(end) if end <= starts_at => return Err(FieldError::new("ends_at", "ends_before_start")),
            Some(end) => Some((end - starts_at).num_minutes()),
            None => None,
        };
        let minutes = match (from_end, minutes) {
            (Some(a), Some(b)) if a != i64::from(b) => {
                return Err(FieldError::new("duration_min", "duration_contradicts_end"));
            }
            (Some(a), _) => a,
            (None, Some(b)) => i64::from(b),
            (None, None) => i64::from(kind.default_minutes()),
        };
        if !(1..=i64::from(MAX_MINUTES)).contains(&minutes) {
            return Err(FieldError::new("duration_min", "duration_out_of_range").with("max", MAX_MINUTES.to_string()));
        }
        Ok(Schedule {
            // Microseconds, as both databases keep them.
            starts_at: starts_at.trunc_subsecs(6),
            minutes: minutes as i32,
        })
    }

    pub fn starts_at(&self) -> DateTime<Utc> {
        self.starts_at
    }

    pub fn minutes(&self) -> i32 {
        self.minutes
    }

    pub fn ends_at(&self) -> DateTime<Utc> {
        self.starts_at + Duration::minutes(i64::from(self.minutes))
    }

    /// A plan must lie ahead: a planned activity may not start in the past.
    pub fn check_plannable(&self, now: DateTime<Utc>) -> Result<(), FieldError> {
        if self.starts_at < now - PLAN_GRACE {
            return Err(FieldError::new("planned_at", "planned_in_past"));
        }
        Ok(())
    }

    /// A record of something done must not start in the future.
    pub fn check_happened(&self, now: DateTime<Utc>) -> Result<(), FieldError> {
        if self.starts_at > now + PLAN_GRACE {
            return Err(FieldError::new("planned_at", "done_in_future"));
        }
        Ok(())
    }
}

/// A moment as typed: RFC 3339 with an offset, or a local `YYYY-MM-DDTHH:MM[:SS]` (what a
/// browser's date-time field sends) read as company time.
pub fn parse_moment(field: &'static str, raw: &str) -> Result<DateTime<Utc>, FieldError> {
    let raw = raw.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(raw) {
        return Ok(t.with_timezone(&Utc));
    }
    [
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%d %H:%M",
        "%Y-%m-%d %H:%M:%S",
    ]
    .iter()
    .find_map(|f| chrono::NaiveDateTime::parse_from_str(raw, f).ok())
    .and_then(|local| company_offset().from_local_datetime(&local).single())
    .map(|t| t.with_timezone(&Utc))
    .ok_or_else(|| FieldError::new(field, "invalid_datetime").with("value", raw))
}

/// Subject line: trimmed, not empty, at most 200 characters.
pub fn parse_subject(input: &str) -> Result<String, FieldError> {
    let s = input.trim();
    if s.is_empty() {
        return Err(FieldError::new("subject", "required"));
    }
    if s.chars().count() > 200 {
        return Err(FieldError::new("subject", "too_long").with("max", "200"));
    }
    Ok(s.to_owned())
}

/// Dates of a weekly repeat: `count` more occurrences every `every_weeks` weeks after `first`
/// (the first one itself is not repeated).
pub fn weekly_repeats(first: DateTime<Utc>, every_weeks: u32, count: u32) -> Result<Vec<DateTime<Utc>>, FieldError> {
    if !(1..=4).contains(&every_weeks) {
        return Err(FieldError::new("every_weeks", "out_of_range")
            .with("min", "1")
            .with("max", "4"));
    }
    if !(1..=52).contains(&count) {
        return Err(FieldError::new("count", "out_of_range")
            .with("min", "1")
            .with("max", "52"));
    }
    Ok((1..=count)
        .map(|i| first + Duration::weeks(i64::from(i * every_weeks)))
        .collect())
}

/// The company's calendar: Moscow time, UTC+3 all year (no daylight saving since 2014).
pub fn company_offset() -> FixedOffset {
    FixedOffset::east_opt(3 * 3600).expect("3 hours is within FixedOffset's ±24 h range")
}

/// The company's calendar day of an instant.
pub fn company_date(at: DateTime<Utc>) -> NaiveDate {
    at.with_timezone(&company_offset()).date_naive()
}

/// The instant a company calendar day starts.
pub fn day_start(date: NaiveDate) -> DateTime<Utc> {
    let local = date.and_time(NaiveTime::MIN);
    company_offset()
        .from_local_datetime(&local)
        .single()
        .map(|d| d.with_timezone(&Utc))
        .unwrap_or_else(|| Utc.from_utc_datetime(&local))
}

/// The Monday of the week `date` falls in.
pub fn week_start(date: NaiveDate) -> NaiveDate {
    date - Duration::days(i64::from(date.weekday().num_days_from_monday()))
}

/// The first day of the month `date` falls in.
pub fn month_start(date: NaiveDate) -> NaiveDate {
    date.with_day(1).unwrap_or(date)
}

/// The first day of the next month.
pub fn next_month_start(date: NaiveDate) -> NaiveDate {
    let first = month_start(date);
    let (y, m) = if first.month() == 12 {
        (first.year() + 1, 1)
    } else {
        (first.year(), first.month() + 1)
    };
    NaiveDate::from_ymd_opt(y, m, 1).unwrap_or(first + Duration::days(31))
}

/// Planned against done over a period: what the weekly review looks at.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct PlanVsDone {
    /// Everything scheduled in the period (done, not done or still planned).
    pub planned: u32,
    pub done: u32,
    pub not_done: u32,
    /// Planned, not yet marked, and already past.
    pub overdue: u32,
}

impl PlanVsDone {
    /// Counts one scheduled activity.
    pub fn add(&mut self, status: ActivityStatus, starts_at: DateTime<Utc>, now: DateTime<Utc>) {
        self.add_many(status, starts_at < now, 1);
    }

    /// Counts `n` activities of one status that start before now (`past`) or not, as a
    /// grouped count from the database gives them.
    pub fn add_many(&mut self, status: ActivityStatus, past: bool, n: u32) {
        self.planned += n;
        match status {
            ActivityStatus::Done => self.done += n,
            ActivityStatus::NotDone => self.not_done += n,
            ActivityStatus::Planned if past => self.overdue += n,
            ActivityStatus::Planned => {}
        }
    }

    /// Share done, in whole percent (0 when nothing was planned).
    pub fn percent_done(&self) -> u32 {
        (self.done * 100).checked_div(self.planned).unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn an_end_before_the_start_is_refused() {
        let e = Schedule::new(
            ActivityKind::Visit,
            at("2026-12-01T10:00:00Z"),
            Some(at("2026-12-01T09:00:00Z")),
            None,
        )
        .unwrap_err();
        assert_eq!((e.field, e.code), ("ends_at", "ends_before_start"));
        let same = Schedule::new(
            ActivityKind::Visit,
            at("2026-12-01T10:00:00Z"),
            Some(at("2026-12-01T10:00:00Z")),
            None,
        );
        assert!(same.is_err(), "a zero-length visit is an error, not a plan");
    }

    #[test]
    fn the_length_comes_from_the_end_or_the_kind() {
        let s = Schedule::new(
            ActivityKind::Call,
            at("2026-12-01T10:00:00Z"),
            Some(at("2026-12-01T10:45:00Z")),
            None,
        )
        .unwrap();
        assert_eq!(s.minutes(), 45);
        assert_eq!(s.ends_at(), at("2026-12-01T10:45:00Z"));
        let s = Schedule::new(ActivityKind::Visit, at("2026-12-01T10:00:00Z"), None, None).unwrap();
        assert_eq!(s.minutes(), 90);
        let e = Schedule::new(
            ActivityKind::Call,
            at("2026-12-01T10:00:00Z"),
            Some(at("2026-12-01T10:45:00Z")),
            Some(30),
        )
        .unwrap_err();
        assert_eq!(e.code, "duration_contradicts_end");
        for bad in [0, -5, MAX_MINUTES + 1] {
            let e = Schedule::new(ActivityKind::Call, at("2026-12-01T10:00:00Z"), None, Some(bad)).unwrap_err();
            assert_eq!((e.field, e.code), ("duration_min", "duration_out_of_range"), "{bad}");
        }
    }

    #[test]
    fn a_plan_in_the_past_is_refused_but_now_is_fine() {
        let now = at("2026-11-27T12:00:00Z");
        let past = Schedule::new(ActivityKind::Call, at("2026-11-27T11:00:00Z"), None, None).unwrap();
        assert_eq!(past.check_plannable(now).unwrap_err().code, "planned_in_past");
        assert!(past.check_happened(now).is_ok());
        let just_now = Schedule::new(ActivityKind::Call, at("2026-11-27T11:58:00Z"), None, None).unwrap();
        assert!(just_now.check_plannable(now).is_ok());
        let tomorrow = Schedule::new(ActivityKind::Call, at("2026-11-28T09:00:00Z"), None, None).unwrap();
        assert!(tomorrow.check_plannable(now).is_ok());
        assert_eq!(tomorrow.check_happened(now).unwrap_err().code, "done_in_future");
    }

    #[test]
    fn moments_are_read_with_an_offset_or_as_moscow_time() {
        assert_eq!(
            parse_moment("planned_at", "2026-12-01T10:00:00+03:00").unwrap(),
            at("2026-12-01T07:00:00Z")
        );
        assert_eq!(
            parse_moment("planned_at", "2026-12-01T10:00").unwrap(),
            at("2026-12-01T07:00:00Z")
        );
        assert_eq!(
            parse_moment("planned_at", "2026-12-01 10:00:30").unwrap(),
            at("2026-12-01T07:00:30Z")
        );
        let e = parse_moment("planned_at", "завтра").unwrap_err();
        assert_eq!((e.field, e.code), ("planned_at", "invalid_datetime"));
    }

    #[test]
    fn subjects_are_trimmed_and_bounded() {
        assert_eq!(parse_subject("  Визит  ").unwrap(), "Визит");
        assert_eq!(parse_subject("   ").unwrap_err().code, "required");
        assert_eq!(parse_subject(&"я".repeat(201)).unwrap_err().code, "too_long");
        assert!(parse_subject(&"я".repeat(200)).is_ok());
    }

    #[test]
    fn weekly_repeats_step_by_whole_weeks() {
        let first = at("2026-12-01T07:00:00Z"); // a Tuesday, 10:00 in Moscow
        let dates = weekly_repeats(first, 1, 3).unwrap();
        assert_eq!(
            dates,
            vec![
                at("2026-12-08T07:00:00Z"),
                at("2026-12-15T07:00:00Z"),
                at("2026-12-22T07:00:00Z")
            ]
        );
        assert_eq!(weekly_repeats(first, 2, 1).unwrap(), vec![at("2026-12-15T07:00:00Z")]);
        assert_eq!(weekly_repeats(first, 0, 3).unwrap_err().field, "every_weeks");
        assert_eq!(weekly_repeats(first, 1, 53).unwrap_err().field, "count");
    }

    #[test]
    fn the_company_week_runs_monday_to_sunday_in_moscow() {
        let d = NaiveDate::from_ymd_opt(2026, 11, 29).unwrap(); // Sunday
        assert_eq!(week_start(d), NaiveDate::from_ymd_opt(2026, 11, 23).unwrap());
        let monday = NaiveDate::from_ymd_opt(2026, 11, 30).unwrap();
        assert_eq!(week_start(monday), monday);
        // Midnight in Moscow is 21:00 UTC the day before.
        assert_eq!(day_start(monday), at("2026-11-29T21:00:00Z"));
        assert_eq!(company_date(at("2026-11-29T21:30:00Z")), monday);
        assert_eq!(company_date(at("2026-11-29T20:30:00Z")), d);
        assert_eq!(
            next_month_start(NaiveDate::from_ymd_opt(2026, 12, 15).unwrap()),
            NaiveDate::from_ymd_opt(2027, 1, 1).unwrap()
        );
        assert_eq!(
            month_start(NaiveDate::from_ymd_opt(2026, 12, 15).unwrap()),
            NaiveDate::from_ymd_opt(2026, 12, 1).unwrap()
        );
    }

    #[test]
    fn plan_vs_done_counts_each_outcome() {
        let now = at("2026-11-27T12:00:00Z");
        let mut p = PlanVsDone::default();
        p.add(ActivityStatus::Done, at("2026-11-26T08:00:00Z"), now);
        p.add(ActivityStatus::Done, at("2026-11-26T09:00:00Z"), now);
        p.add(ActivityStatus::NotDone, at("2026-11-26T10:00:00Z"), now);
        p.add(ActivityStatus::Planned, at("2026-11-27T08:00:00Z"), now);
        p.add(ActivityStatus::Planned, at("2026-11-28T08:00:00Z"), now);
        assert_eq!(
            p,
            PlanVsDone {
                planned: 5,
                done: 2,
                not_done: 1,
                overdue: 1
            }
        );
        assert_eq!(p.percent_done(), 40);
        let mut grouped = PlanVsDone::default();
        grouped.add_many(ActivityStatus::Done, true, 2);
        grouped.add_many(ActivityStatus::NotDone, true, 1);
        grouped.add_many(ActivityStatus::Planned, true, 1);
        grouped.add_many(ActivityStatus::Planned, false, 1);
        assert_eq!(grouped, p, "grouped counts agree with one by one");
        assert_eq!(PlanVsDone::default().percent_done(), 0);
    }

    #[test]
    fn kinds_know_whether_they_count_as_contact_or_visit() {
        assert!(ActivityKind::Call.is_contact() && !ActivityKind::Call.is_visit());
        assert!(ActivityKind::Visit.is_visit() && ActivityKind::Meeting.is_visit());
        assert!(!ActivityKind::Task.is_contact() && !ActivityKind::Note.is_contact());
        assert_eq!(ActivityKind::contact_codes().count(), 5);
        assert!(DealStage::Negotiation.is_open() && !DealStage::Won.is_open());
        assert!(DealStage::Contract.rank() > DealStage::OfferSent.rank());
    }
}
