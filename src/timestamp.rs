//! Time as openpxl stores and shows it.
//!
//! Every instant is kept as whole milliseconds since the Unix epoch (UTC) in a `BIGINT`
//! column on both databases, so one SQL text serves Postgres and SQLite and analytics can
//! bucket by integer ranges. On the wire it is ISO 8601 UTC with milliseconds.

use serde::Serializer;
use time::{OffsetDateTime, format_description::BorrowedFormatItem, macros::format_description};

/// Milliseconds since 1970-01-01T00:00:00Z.
pub type Millis = i64;

pub const MILLIS_PER_DAY: i64 = 86_400_000;

const ISO_MILLIS: &[BorrowedFormatItem<'static>] =
    format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z");

/// The current time in milliseconds.
pub fn now() -> Millis {
    let nanos = OffsetDateTime::now_utc().unix_timestamp_nanos();
    i64::try_from(nanos / 1_000_000).expect("the clock is within the i64 millisecond range")
}

/// `2024-12-27T08:26:49.219Z`.
pub fn iso(at: Millis) -> String {
    let nanos = i128::from(at) * 1_000_000;
    OffsetDateTime::from_unix_timestamp_nanos(nanos)
        .ok()
        .and_then(|t| t.format(ISO_MILLIS).ok())
        .unwrap_or_else(|| format!("@{at}ms"))
}

/// Serde adapter: a `Millis` field rendered as [`iso`].
pub fn serialize_iso<S: Serializer>(at: &Millis, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(&iso(*at))
}

/// Serde adapter for an optional instant.
pub fn serialize_iso_opt<S: Serializer>(
    at: &Option<Millis>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    match at {
        Some(at) => serializer.serialize_str(&iso(*at)),
        None => serializer.serialize_none(),
    }
}

/// Parses an ISO 8601 / RFC 3339 instant with its offset (`2026-12-31T23:00:00Z`,
/// `2026-12-31T23:00:00.5+01:00`), to the millisecond (finer digits are dropped).
pub fn parse_iso(text: &str) -> Result<Millis, String> {
    let parsed = OffsetDateTime::parse(text.trim(), &time::format_description::well_known::Rfc3339)
        .map_err(|_| {
            format!(
                "must be an ISO 8601 instant with its offset, such as 2026-12-31T23:00:00Z \
                 (got {})",
                crate::error::quote(text)
            )
        })?;
    // The year of the instant in UTC: 1970-01-01T00:30:00+01:00 is still 1969 there, and a
    // time before the epoch would fall in the wrong minute and day of the roll-ups.
    if !(1970..=9999).contains(&parsed.to_offset(time::UtcOffset::UTC).year()) {
        return Err(format!(
            "must be between the years 1970 and 9999 in UTC (got {})",
            crate::error::quote(text)
        ));
    }
    i64::try_from(parsed.unix_timestamp_nanos() / 1_000_000).map_err(|_| "is out of range".into())
}

/// The UTC calendar day of an instant, counted in days since the epoch.
pub fn utc_day(at: Millis) -> i64 {
    at.div_euclid(MILLIS_PER_DAY)
}

/// The first millisecond of the UTC day after the one `at` falls in.
pub fn next_utc_midnight(at: Millis) -> Millis {
    (utc_day(at) + 1) * MILLIS_PER_DAY
}

/// `days` whole days after `at`.
pub fn add_days(at: Millis, days: i64) -> Millis {
    at.saturating_add(days.saturating_mul(MILLIS_PER_DAY))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_iso_reads_offsets_and_refuses_the_rest() {
        assert_eq!(parse_iso("1970-01-01T00:00:01Z"), Ok(1000));
        assert_eq!(parse_iso("1970-01-01T01:00:01.5+01:00"), Ok(1500));
        assert_eq!(parse_iso(&iso(1_795_996_800_123)), Ok(1_795_996_800_123));
        for bad in [
            "2026-12-31",
            "2026-12-31T23:00:00",
            "tomorrow",
            "",
            "0001-01-01T00:00:00Z",
            "1970-01-01T00:30:00+01:00",
            "1969-12-31T23:59:59.999Z",
        ] {
            assert!(parse_iso(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn iso_has_milliseconds_and_z() {
        assert_eq!(iso(1_735_288_009_219), "2024-12-27T08:26:49.219Z");
        assert_eq!(iso(0), "1970-01-01T00:00:00.000Z");
    }

    #[test]
    fn utc_day_boundaries() {
        let midnight = 1_735_257_600_000; // 2024-12-27T00:00:00Z
        assert_eq!(utc_day(midnight), utc_day(midnight + MILLIS_PER_DAY - 1));
        assert_eq!(utc_day(midnight - 1) + 1, utc_day(midnight));
        assert_eq!(next_utc_midnight(midnight), midnight + MILLIS_PER_DAY);
        assert_eq!(next_utc_midnight(midnight - 1), midnight);
        assert_eq!(utc_day(-1), -1);
    }
}
