//! iCalendar (RFC 5545) feed of a sales manager's contact plan.
//!
//! Managers subscribe to their planned calls, visits and meetings from Outlook, Google Calendar or a
//! phone, so the feed has to satisfy the strictest of those readers. That is why this writer is
//! pedantic about the parts of the RFC that clients actually choke on: CRLF line ends, TEXT escaping,
//! and folding at 75 *octets* (not characters: Cyrillic takes two bytes per letter) without cutting a
//! UTF-8 character in half.
//!
//! The writer is pure: it gets the generation time as `stamp` instead of reading the clock, so the same
//! input always gives the same bytes and the output can be pinned in tests.

use chrono::{DateTime, Utc};

/// Whether the event will happen.
///
/// Cancelled events stay in the feed (rather than disappearing) so that subscribed calendars mark them
/// as cancelled instead of silently keeping a stale copy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventStatus {
    Tentative,
    Confirmed,
    Cancelled,
}

impl EventStatus {
    /// The RFC 5545 `STATUS` value for a VEVENT.
    const fn as_ical(self) -> &'static str {
        match self {
            EventStatus::Tentative => "TENTATIVE",
            EventStatus::Confirmed => "CONFIRMED",
            EventStatus::Cancelled => "CANCELLED",
        }
    }
}

/// One event of a calendar feed (a planned call, visit or meeting of a sales manager).
#[derive(Debug, Clone)]
pub struct CalendarEvent {
    /// Globally unique and stable across feed refreshes (e.g. `"<uuid>@prospekt"`): clients match
    /// updates to the copy they already have by it.
    pub uid: String,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub summary: String,
    /// Free text; may contain newlines, commas, semicolons, backslashes and Cyrillic.
    pub description: String,
    pub location: Option<String>,
    pub status: EventStatus,
    pub last_modified: DateTime<Utc>,
    /// Must grow whenever the event changes (e.g. the activity's version - 1), otherwise clients keep
    /// the old copy.
    pub sequence: u32,
    /// E.g. `["Звонок"]`; the property is omitted when empty.
    pub categories: Vec<String>,
}

/// Writes a whole VCALENDAR document with one VEVENT per event.
///
/// `stamp` becomes every event's `DTSTAMP`; it is a parameter (not `Utc::now()`) to keep this crate
/// free of hidden inputs. Times are written in UTC form so that no VTIMEZONE block is needed;
/// `X-WR-TIMEZONE` only tells clients which zone to show them in.
pub fn write_calendar(name: &str, events: &[CalendarEvent], stamp: DateTime<Utc>) -> String {
    let mut out = String::with_capacity(256 + events.len() * 512);
    push_line(&mut out, "BEGIN", "VCALENDAR");
    push_line(&mut out, "PRODID", "-//Prospekt//Contact plan//RU");
    push_line(&mut out, "VERSION", "2.0");
    push_line(&mut out, "CALSCALE", "GREGORIAN");
    push_line(&mut out, "METHOD", "PUBLISH");
    push_line(&mut out, "X-WR-CALNAME", &escape_text(name));
    push_line(&mut out, "X-WR-TIMEZONE", "Europe/Moscow");
    for event in events {
        write_event(&mut out, event, stamp);
    }
    push_line(&mut out, "END", "VCALENDAR");
    out
}

fn write_event(out: &mut String, event: &CalendarEvent, stamp: DateTime<Utc>) {
    push_line(out, "BEGIN", "VEVENT");
    push_line(out, "UID", &escape_text(&event.uid));
    push_line(out, "DTSTAMP", &utc(stamp));
    push_line(out, "DTSTART", &utc(event.starts_at));
    push_line(out, "DTEND", &utc(event.ends_at));
    push_line(out, "SUMMARY", &escape_text(&event.summary));
    push_line(out, "DESCRIPTION", &escape_text(&event.description));
    if let Some(location) = &event.location {
        push_line(out, "LOCATION", &escape_text(location));
    }
    push_line(out, "STATUS", event.status.as_ical());
    push_line(out, "LAST-MODIFIED", &utc(event.last_modified));
    push_line(out, "SEQUENCE", &event.sequence.to_string());
    // A category that is empty after dropping control characters would be an empty list item,
    // which some clients show as a nameless category.
    let categories: Vec<String> = event
        .categories
        .iter()
        .map(|c| escape_text(c))
        .filter(|c| !c.is_empty())
        .collect();
    if !categories.is_empty() {
        push_line(out, "CATEGORIES", &categories.join(","));
    }
    // Nobody needs a reminder for a call that will not happen.
    if event.status != EventStatus::Cancelled {
        push_line(out, "BEGIN", "VALARM");
        push_line(out, "ACTION", "DISPLAY");
        push_line(out, "TRIGGER", "-PT15M");
        push_line(out, "DESCRIPTION", &escape_text(&event.summary));
        push_line(out, "END", "VALARM");
    }
    push_line(out, "END", "VEVENT");
}

/// UTC DATE-TIME form (§3.3.5, form #2); sub-second precision does not exist in iCalendar.
fn utc(at: DateTime<Utc>) -> String {
    at.format("%Y%m%dT%H%M%SZ").to_string()
}

/// Escapes a TEXT value (§3.3.11) so that user input cannot end the property or split a list.
///
/// `\r\n` and a lone `\r` count as one line break, so text pasted from Windows or old Mac sources
/// does not get doubled or glued lines. Other control characters (except tab) are dropped: TEXT
/// does not allow them and strict clients reject the whole feed because of one.
fn escape_text(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    let mut chars = value.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\n' => out.push_str("\\n"),
            '\r' => {
                if chars.peek() == Some(&'\n') {
                    chars.next();
                }
                out.push_str("\\n");
            }
            '\t' => out.push('\t'),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// Longest physical line in octets, without its CRLF (§3.1).
const MAX_LINE_OCTETS: usize = 75;

/// Appends `NAME:value` as a content line, folded and terminated by CRLF.
///
/// `value` must already be escaped (or be a fixed protocol value).
fn push_line(out: &mut String, name: &str, value: &str) {
    out.reserve(name.len() + value.len() + 8);
    let mut line_len = name.len() + 1;
    out.push_str(name);
    out.push(':');
    for c in value.chars() {
        let width = c.len_utf8();
        // Folding before the character keeps each physical line valid UTF-8, which readers that
        // decode line by line rely on; the limit is in octets because that is what the RFC counts.
        if line_len + width > MAX_LINE_OCTETS {
            out.push_str("\r\n ");
            line_len = 1;
        }
        out.push(c);
        line_len += width;
    }
    out.push_str("\r\n");
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use proptest::prelude::*;

    fn at(y: i32, mo: u32, d: u32, h: u32, mi: u32, s: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, mo, d, h, mi, s).unwrap()
    }

    fn call() -> CalendarEvent {
        CalendarEvent {
            uid: "0190f3a2-0000-7000-8000-000000000001@prospekt".to_owned(),
            starts_at: at(2026, 3, 2, 7, 0, 0),
            ends_at: at(2026, 3, 2, 7, 30, 0),
            summary: "Звонок: ООО Ромашка".to_owned(),
            description: "КП; цены, сроки\nПерезвонить".to_owned(),
            location: Some("Москва, ул. Ленина, 1".to_owned()),
            status: EventStatus::Confirmed,
            last_modified: at(2026, 3, 1, 12, 34, 56),
            sequence: 2,
            categories: vec!["Звонок".to_owned()],
        }
    }

    fn stamp() -> DateTime<Utc> {
        at(2026, 3, 1, 15, 0, 0)
    }

    /// The one logical line of the document (after unfolding) that starts with `prefix`.
    fn logical_line(doc: &str, prefix: &str) -> String {
        let unfolded = doc.replace("\r\n ", "");
        let found: Vec<&str> = unfolded.split("\r\n").filter(|l| l.starts_with(prefix)).collect();
        assert_eq!(
            found.len(),
            1,
            "expected one line starting with {prefix:?} in {unfolded:?}"
        );
        found[0].to_owned()
    }

    #[test]
    fn a_small_event_is_written_exactly() {
        let doc = write_calendar("План контактов", &[call()], stamp());
        let expected = "BEGIN:VCALENDAR\r\n\
            PRODID:-//Prospekt//Contact plan//RU\r\n\
            VERSION:2.0\r\n\
            CALSCALE:GREGORIAN\r\n\
            METHOD:PUBLISH\r\n\
            X-WR-CALNAME:План контактов\r\n\
            X-WR-TIMEZONE:Europe/Moscow\r\n\
            BEGIN:VEVENT\r\n\
            UID:0190f3a2-0000-7000-8000-000000000001@prospekt\r\n\
            DTSTAMP:20260301T150000Z\r\n\
            DTSTART:20260302T070000Z\r\n\
            DTEND:20260302T073000Z\r\n\
            SUMMARY:Звонок: ООО Ромашка\r\n\
            DESCRIPTION:КП\\; цены\\, сроки\\nПерезвонить\r\n\
            LOCATION:Москва\\, ул. Ленина\\, 1\r\n\
            STATUS:CONFIRMED\r\n\
            LAST-MODIFIED:20260301T123456Z\r\n\
            SEQUENCE:2\r\n\
            CATEGORIES:Звонок\r\n\
            BEGIN:VALARM\r\n\
            ACTION:DISPLAY\r\n\
            TRIGGER:-PT15M\r\n\
            DESCRIPTION:Звонок: ООО Ромашка\r\n\
            END:VALARM\r\n\
            END:VEVENT\r\n\
            END:VCALENDAR\r\n";
        assert_eq!(doc, expected);
    }

    #[test]
    fn a_cancelled_event_has_no_alarm_and_omits_empty_optional_properties() {
        let event = CalendarEvent {
            uid: "x@prospekt".to_owned(),
            summary: "Визит".to_owned(),
            description: String::new(),
            location: None,
            status: EventStatus::Cancelled,
            sequence: 0,
            categories: Vec::new(),
            ..call()
        };
        let doc = write_calendar("План", &[event], stamp());
        let expected = "BEGIN:VCALENDAR\r\n\
            PRODID:-//Prospekt//Contact plan//RU\r\n\
            VERSION:2.0\r\n\
            CALSCALE:GREGORIAN\r\n\
            METHOD:PUBLISH\r\n\
            X-WR-CALNAME:План\r\n\
            X-WR-TIMEZONE:Europe/Moscow\r\n\
            BEGIN:VEVENT\r\n\
            UID:x@prospekt\r\n\
            DTSTAMP:20260301T150000Z\r\n\
            DTSTART:20260302T070000Z\r\n\
            DTEND:20260302T073000Z\r\n\
            SUMMARY:Визит\r\n\
            DESCRIPTION:\r\n\
            STATUS:CANCELLED\r\n\
            LAST-MODIFIED:20260301T123456Z\r\n\
            SEQUENCE:0\r\n\
            END:VEVENT\r\n\
            END:VCALENDAR\r\n";
        assert_eq!(doc, expected);
    }

    #[test]
    fn tentative_events_keep_their_alarm_and_status() {
        let event = CalendarEvent {
            status: EventStatus::Tentative,
            ..call()
        };
        let doc = write_calendar("План", &[event], stamp());
        assert_eq!(logical_line(&doc, "STATUS:"), "STATUS:TENTATIVE");
        assert!(doc.contains("BEGIN:VALARM\r\nACTION:DISPLAY\r\nTRIGGER:-PT15M\r\n"));
    }

    #[test]
    fn an_empty_calendar_is_still_a_valid_document() {
        let doc = write_calendar("План контактов", &[], stamp());
        let expected = "BEGIN:VCALENDAR\r\n\
            PRODID:-//Prospekt//Contact plan//RU\r\n\
            VERSION:2.0\r\n\
            CALSCALE:GREGORIAN\r\n\
            METHOD:PUBLISH\r\n\
            X-WR-CALNAME:План контактов\r\n\
            X-WR-TIMEZONE:Europe/Moscow\r\n\
            END:VCALENDAR\r\n";
        assert_eq!(doc, expected);
    }

    #[test]
    fn every_line_ends_with_crlf_and_the_document_with_end_vcalendar() {
        let event = CalendarEvent {
            description: "строка 1\nстрока 2\r\nстрока 3\r".repeat(10),
            ..call()
        };
        let doc = write_calendar("План", &[event.clone(), event], stamp());
        assert!(doc.ends_with("END:VCALENDAR\r\n"));
        let bytes = doc.as_bytes();
        for (i, &b) in bytes.iter().enumerate() {
            match b {
                b'\r' => assert_eq!(bytes.get(i + 1), Some(&b'\n'), "bare CR at byte {i}"),
                b'\n' => assert_eq!(i.checked_sub(1).map(|p| bytes[p]), Some(b'\r'), "bare LF at byte {i}"),
                _ => {}
            }
        }
    }

    #[test]
    fn text_is_escaped_per_rfc_5545() {
        assert_eq!(escape_text(r"a\b;c,d"), r"a\\b\;c\,d");
        assert_eq!(escape_text("один\nдва"), r"один\nдва");
        assert_eq!(
            escape_text(r"C:\new"),
            r"C:\\new",
            "a backslash before n is not a newline"
        );
        assert_eq!(
            escape_text("колон: \"кавычки\""),
            "колон: \"кавычки\"",
            "colon and quotes stay"
        );

        let event = CalendarEvent {
            summary: "A;B,C\\D".to_owned(),
            location: Some("Офис; 2 этаж, каб. 5".to_owned()),
            ..call()
        };
        let doc = write_calendar("Мой; план, v2", &[event], stamp());
        assert_eq!(logical_line(&doc, "X-WR-CALNAME:"), r"X-WR-CALNAME:Мой\; план\, v2");
        assert_eq!(logical_line(&doc, "SUMMARY:"), r"SUMMARY:A\;B\,C\\D");
        assert_eq!(logical_line(&doc, "LOCATION:"), r"LOCATION:Офис\; 2 этаж\, каб. 5");
    }

    #[test]
    fn crlf_is_one_newline_and_a_lone_cr_is_a_newline_too() {
        assert_eq!(escape_text("a\r\nb"), r"a\nb");
        assert_eq!(escape_text("a\r\n\r\nb"), r"a\n\nb");
        assert_eq!(escape_text("a\rb"), r"a\nb");
        assert_eq!(escape_text("a\n\rb"), r"a\n\nb", "LF then CR is two breaks");
        assert_eq!(escape_text("a\r"), r"a\n");
    }

    #[test]
    fn control_characters_are_dropped_but_tab_is_kept() {
        assert_eq!(escape_text("a\u{0}b\u{7}c\u{1b}[0md\u{7f}e\u{85}f"), "abc[0mdef");
        assert_eq!(escape_text("a\tb"), "a\tb");
        let event = CalendarEvent {
            description: "до\u{8}\u{c}\tпосле".to_owned(),
            ..call()
        };
        let doc = write_calendar("План", &[event], stamp());
        assert_eq!(logical_line(&doc, "DESCRIPTION:до"), "DESCRIPTION:до\tпосле");
    }

    #[test]
    fn categories_are_comma_separated_and_each_escaped() {
        let event = CalendarEvent {
            categories: vec![
                "Звонок".to_owned(),
                "Встреча, офис".to_owned(),
                "\u{7}".to_owned(),
                "A;B\\C".to_owned(),
            ],
            ..call()
        };
        let doc = write_calendar("План", &[event], stamp());
        assert_eq!(
            logical_line(&doc, "CATEGORIES:"),
            r"CATEGORIES:Звонок,Встреча\, офис,A\;B\\C"
        );
        let only_control = CalendarEvent {
            categories: vec!["\u{0}".to_owned()],
            ..call()
        };
        assert!(!write_calendar("План", &[only_control], stamp()).contains("CATEGORIES"));
    }

    #[test]
    fn a_75_octet_line_is_not_folded_but_a_76_octet_line_is() {
        let mut out = String::new();
        push_line(&mut out, "SUMMARY", &"a".repeat(67));
        assert_eq!(out, format!("SUMMARY:{}\r\n", "a".repeat(67)));

        let mut out = String::new();
        push_line(&mut out, "SUMMARY", &"a".repeat(68));
        assert_eq!(out, format!("SUMMARY:{}\r\n a\r\n", "a".repeat(67)));

        let mut out = String::new();
        push_line(&mut out, "SUMMARY", &"a".repeat(67 + 74 + 1));
        assert_eq!(
            out,
            format!("SUMMARY:{}\r\n {}\r\n a\r\n", "a".repeat(67), "a".repeat(74)),
            "a continuation line holds 74 octets after its leading space"
        );
    }

    #[test]
    fn cyrillic_is_folded_before_a_character_that_would_cross_75_octets() {
        // "SUMMARY:" is 8 octets and "я" is 2, so 33 letters fill 74 octets and the 34th would need 76.
        let mut out = String::new();
        push_line(&mut out, "SUMMARY", &"я".repeat(40));
        assert_eq!(out, format!("SUMMARY:{}\r\n {}\r\n", "я".repeat(33), "я".repeat(7)));
    }

    #[test]
    fn long_cyrillic_text_folds_to_75_octets_and_unfolds_to_the_original() {
        let description = "Обсудить условия поставки, скидку за объём; \\ уточнить сроки.\n".repeat(8);
        let event = CalendarEvent {
            description: description.clone(),
            ..call()
        };
        let doc = write_calendar("План", &[event], stamp());

        let mut continuation_lines = 0;
        for line in doc.as_bytes().split(|&b| b == b'\n') {
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            assert!(line.len() <= MAX_LINE_OCTETS, "{} octets: {line:?}", line.len());
            assert!(std::str::from_utf8(line).is_ok(), "a character was split: {line:?}");
            if line.first() == Some(&b' ') {
                continuation_lines += 1;
            }
        }
        assert!(continuation_lines > 10, "the description was not folded");
        assert_eq!(
            logical_line(&doc, "DESCRIPTION:Обсудить"),
            format!("DESCRIPTION:{}", escape_text(&description))
        );
    }

    proptest! {
        #[test]
        fn any_text_folds_into_valid_lines_and_unfolds_exactly(text in any::<String>()) {
            let escaped = escape_text(&text);
            prop_assert!(!escaped.chars().any(|c| c.is_control() && c != '\t'));

            let mut out = String::new();
            push_line(&mut out, "DESCRIPTION", &escaped);
            prop_assert!(out.ends_with("\r\n"));
            let body = &out[..out.len() - 2];
            for (i, line) in body.split("\r\n").enumerate() {
                prop_assert!(line.len() <= MAX_LINE_OCTETS);
                prop_assert_eq!(i > 0, line.starts_with(' '));
            }
            prop_assert_eq!(body.replace("\r\n ", ""), format!("DESCRIPTION:{escaped}"));
        }
    }
}
