//! Times in the JSON API as RFC 3339 in UTC (`2026-12-01T17:02:41Z`), as the OpenAPI document's
//! `date-time` promises: the database keeps them as UTC without an offset, and serde would write
//! `NaiveDateTime` without one (schemathesis found the mismatch; docs/SECURITY.md).

use chrono::{NaiveDateTime, SecondsFormat};
use serde::Serializer;

pub fn rfc3339(t: &NaiveDateTime) -> String {
    t.and_utc().to_rfc3339_opts(SecondsFormat::Secs, true)
}

pub fn serialize<S: Serializer>(t: &NaiveDateTime, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(&rfc3339(t))
}

pub mod option {
    use super::*;

    pub fn serialize<S: Serializer>(t: &Option<NaiveDateTime>, serializer: S) -> Result<S::Ok, S::Error> {
        match t {
            Some(t) => serializer.serialize_str(&rfc3339(t)),
            None => serializer.serialize_none(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    #[test]
    fn api_times_carry_the_utc_offset_and_whole_seconds() {
        let t = NaiveDate::from_ymd_opt(2026, 10, 17)
            .unwrap()
            .and_hms_nano_opt(17, 2, 41, 695_789_397)
            .unwrap();
        assert_eq!(rfc3339(&t), "2026-10-17T17:02:41Z");
        assert!(chrono::DateTime::parse_from_rfc3339(&rfc3339(&t)).is_ok());
    }
}
