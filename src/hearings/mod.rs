//! Hearings (zittingen) and the expert investigation. Pure: Dutch local time ↔ UTC (the
//! EU summer-time rule) and the invitation as an iCalendar file (RFC 5545, built with the
//! `icalendar` crate: UTC times, a stable UID per hearing and a SEQUENCE that grows with
//! every move, METHOD:CANCEL for a cancellation). Pages in [`handlers`].

pub mod handlers;

use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc, Weekday};
use icalendar::{Calendar, Component, EventLike, EventStatus};

/// The last Sunday of a month.
fn last_sunday(year: i32, month: u32) -> NaiveDate {
    let first_of_next = if month == 12 {
        NaiveDate::from_ymd_opt(year + 1, 1, 1)
    } else {
        NaiveDate::from_ymd_opt(year, month + 1, 1)
    }
    .expect("a valid month");
    let mut day = first_of_next - Duration::days(1);
    while day.weekday() != Weekday::Sun {
        day -= Duration::days(1);
    }
    day
}

/// Whether summer time (CEST, UTC+2) applies at a UTC instant: from 01:00 UTC on the last
/// Sunday of March to 01:00 UTC on the last Sunday of October (EU rule since 1996).
fn is_summer_time_utc(utc: NaiveDateTime) -> bool {
    let year = utc.year();
    let start = last_sunday(year, 3).and_hms_opt(1, 0, 0).expect("valid");
    let end = last_sunday(year, 10).and_hms_opt(1, 0, 0).expect("valid");
    utc >= start && utc < end
}

/// Dutch local time shown for a UTC instant.
pub fn utc_to_local(utc: NaiveDateTime) -> NaiveDateTime {
    utc + Duration::hours(if is_summer_time_utc(utc) { 2 } else { 1 })
}

/// The UTC instant of a Dutch local time. A time in the hour skipped in spring is read as
/// summer time; in the doubled hour of autumn the first (summer) occurrence is taken.
pub fn local_to_utc(local: NaiveDateTime) -> NaiveDateTime {
    let summer = local - Duration::hours(2);
    if is_summer_time_utc(summer) {
        summer
    } else {
        local - Duration::hours(1)
    }
}

/// Reads the date and time fields of the hearing form (`YYYY-MM-DD`, `HH:MM`).
pub fn parse_local(date: &str, time: &str) -> Option<NaiveDateTime> {
    let date = NaiveDate::parse_from_str(date.trim(), "%Y-%m-%d").ok()?;
    let time = NaiveTime::parse_from_str(time.trim(), "%H:%M").ok()?;
    Some(date.and_time(time))
}

/// How long a hearing is planned for in the calendar.
pub const HEARING_LENGTH: Duration = Duration::hours(1);

/// The facts of one calendar invitation.
pub struct Invitation<'a> {
    /// Stable per hearing, e.g. `hearing-12@geschillenportaal.nl`.
    pub uid: &'a str,
    /// Grows with each move.
    pub sequence: u32,
    pub starts_at_utc: NaiveDateTime,
    pub summary: &'a str,
    pub description: &'a str,
    pub location: &'a str,
    pub url: &'a str,
    pub stamp_utc: NaiveDateTime,
    pub cancelled: bool,
}

/// The `.ics` file (text/calendar) for an invitation or a cancellation.
pub fn ics(invitation: &Invitation<'_>) -> String {
    let start = Utc.from_utc_datetime(&invitation.starts_at_utc);
    let mut event = icalendar::Event::new();
    event
        .uid(invitation.uid)
        .sequence(invitation.sequence)
        .timestamp(Utc.from_utc_datetime(&invitation.stamp_utc))
        .starts(start)
        .ends(start + HEARING_LENGTH)
        .summary(invitation.summary)
        .description(invitation.description)
        .status(if invitation.cancelled {
            EventStatus::Cancelled
        } else {
            EventStatus::Confirmed
        });
    if !invitation.location.is_empty() {
        event.location(invitation.location);
    }
    if !invitation.url.is_empty() {
        event.url(invitation.url);
    }
    let mut calendar = Calendar::new();
    calendar
        .append_property(("METHOD", if invitation.cancelled { "CANCEL" } else { "PUBLISH" }))
        .push(event.done());
    calendar.done().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(y: i32, m: u32, d: u32, h: u32, min: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(y, m, d)
            .unwrap()
            .and_hms_opt(h, min, 0)
            .unwrap()
    }

    #[test]
    fn dutch_time_is_one_hour_ahead_in_winter_and_two_in_summer() {
        assert_eq!(local_to_utc(at(2026, 12, 15, 10, 0)), at(2026, 12, 15, 9, 0));
        assert_eq!(local_to_utc(at(2026, 7, 1, 10, 0)), at(2026, 7, 1, 8, 0));
        // 2026: summer time from 29 March, back on 25 October.
        assert_eq!(local_to_utc(at(2026, 3, 29, 1, 30)), at(2026, 3, 29, 0, 30));
        assert_eq!(local_to_utc(at(2026, 3, 29, 3, 30)), at(2026, 3, 29, 1, 30));
        assert_eq!(local_to_utc(at(2026, 10, 25, 4, 0)), at(2026, 10, 25, 3, 0));
        for local in [at(2026, 1, 5, 9, 15), at(2026, 6, 5, 14, 0), at(2027, 11, 1, 16, 45)] {
            assert_eq!(utc_to_local(local_to_utc(local)), local);
        }
    }

    #[test]
    fn form_fields_are_read_strictly() {
        assert_eq!(parse_local("2026-12-15", "10:30"), Some(at(2026, 12, 15, 10, 30)));
        assert_eq!(parse_local("15-12-2026", "10:30"), None);
        assert_eq!(parse_local("2026-12-15", "25:00"), None);
    }

    #[test]
    fn the_invitation_is_valid_icalendar_with_utc_times_and_escaped_text() {
        let text = ics(&Invitation {
            uid: "hearing-7@example.nl",
            sequence: 2,
            starts_at_utc: at(2026, 12, 15, 9, 0),
            summary: "Zitting TEL-2026-000001",
            description: "Panel: A, B; meenemen: facturen",
            location: "Bordewijklaan 46, Den Haag",
            url: "https://portaal.example.nl/zaken/1",
            stamp_utc: at(2026, 11, 22, 8, 0),
            cancelled: false,
        });
        assert!(text.starts_with("BEGIN:VCALENDAR\r\n"));
        assert!(text.contains("DTSTART:20261215T090000Z\r\n"));
        assert!(text.contains("DTEND:20261215T100000Z\r\n"));
        assert!(text.contains("SEQUENCE:2\r\n"));
        assert!(text.contains("METHOD:PUBLISH\r\n"));
        assert!(text.contains("Bordewijklaan 46\\, Den Haag"));
        assert!(text.contains("Panel: A\\, B\\; meenemen: facturen"));
        for line in text.split("\r\n") {
            assert!(line.len() <= 75, "folded: {line}");
        }
    }
}
