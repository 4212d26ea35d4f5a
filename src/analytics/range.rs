//! The time side of an insight: which instants a `datefrom`..`dateto` range covers in an
//! IANA time zone, and its buckets — one per local day, or one per hour when the range is
//! a single day — as UTC millisecond bounds. Computed here, in Rust, so that SQL only
//! compares integers: the same query then works on both databases and in every zone,
//! including half-hour ones and days that DST makes 23 or 25 hours long.

use jiff::{
    ToSpan, Zoned,
    civil::Date,
    tz::{TimeZone, TimeZoneDatabase},
};

use crate::timestamp::Millis;

/// Longest range an insight covers, in days (both ends included).
pub const MAX_DAYS: i64 = 366;

/// Which local days to look at, and where.
#[derive(Debug, Clone)]
pub struct DateRange {
    pub from: Date,
    pub to: Date,
    pub zone: TimeZone,
}

/// One bucket of the `grouped` series.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bucket {
    /// `2024-12-01` for a day, `2024-12-01T05:00:00+05:30` for an hour.
    pub label: String,
    pub start: Millis,
    pub end: Millis,
}

/// Looks up an IANA zone name in the bundled time-zone database.
pub fn zone(name: &str) -> Result<TimeZone, String> {
    TimeZoneDatabase::bundled().get(name).map_err(|_| {
        format!(
            "timezone {} is not an IANA time zone name; use one such as UTC, Europe/Berlin or \
             Asia/Kolkata",
            crate::error::quote(name)
        )
    })
}

/// Parses `YYYY-MM-DD`.
pub fn date(field: &str, text: &str) -> Result<Date, String> {
    let well_formed = text.len() == 10 && text.as_bytes()[4] == b'-' && text.as_bytes()[7] == b'-';
    well_formed
        .then(|| text.parse::<Date>().ok())
        .flatten()
        .ok_or_else(|| {
            format!(
                "{field} must be a calendar date written YYYY-MM-DD, such as 2024-12-01 (got {})",
                crate::error::quote(text)
            )
        })
}

impl DateRange {
    /// A range, checked: `from` not after `to`, at most [`MAX_DAYS`] days.
    pub fn new(from: Date, to: Date, zone: TimeZone) -> Result<Self, String> {
        if from > to {
            return Err(format!(
                "datefrom ({from}) is after dateto ({to}); swap them"
            ));
        }
        let days = Self::days_between(from, to);
        if days > MAX_DAYS {
            return Err(format!(
                "the range from {from} to {to} covers {days} days; at most {MAX_DAYS} are allowed"
            ));
        }
        Ok(Self { from, to, zone })
    }

    /// The default range: the 7 days before today, and today, in `zone`.
    pub fn default_ending_today(zone: TimeZone, now: Millis) -> Self {
        let today = Self::today(&zone, now);
        let from = today.checked_sub(7.days()).unwrap_or(today);
        Self {
            from,
            to: today,
            zone,
        }
    }

    /// Today's date in `zone` at `now`.
    pub fn today(zone: &TimeZone, now: Millis) -> Date {
        jiff::Timestamp::from_millisecond(now).map_or(Date::constant(1970, 1, 1), |t| {
            t.to_zoned(zone.clone()).date()
        })
    }

    fn days_between(from: Date, to: Date) -> i64 {
        let mut days = 1;
        let mut day = from;
        while day < to && days <= MAX_DAYS {
            day = day.tomorrow().unwrap_or(to);
            days += 1;
        }
        days
    }

    /// The first instant of `date` in the range's zone (midnight, or the first instant that
    /// exists when a DST change skips midnight).
    fn start_of(&self, date: Date) -> Millis {
        date.to_zoned(self.zone.clone())
            .map_or(0, |z| z.timestamp().as_millisecond())
    }

    /// The UTC bounds of the whole range: from the start of `from` to the start of the day
    /// after `to`.
    pub fn bounds(&self) -> (Millis, Millis) {
        let after = self.to.tomorrow().unwrap_or(self.to);
        (self.start_of(self.from), self.start_of(after))
    }

    /// One bucket per local day, or per hour when the range is one day.
    pub fn buckets(&self) -> Vec<Bucket> {
        if self.from == self.to {
            self.hours()
        } else {
            self.days()
        }
    }

    fn days(&self) -> Vec<Bucket> {
        let mut buckets = Vec::new();
        let mut day = self.from;
        loop {
            let next = day.tomorrow().unwrap_or(day);
            buckets.push(Bucket {
                label: day.to_string(),
                start: self.start_of(day),
                end: self.start_of(next),
            });
            if day >= self.to || next == day {
                break;
            }
            day = next;
        }
        buckets
    }

    /// Hours of elapsed time from the start of the day to the start of the next: 23, 24 or
    /// 25 of them across DST changes, each labelled with its local time and offset.
    fn hours(&self) -> Vec<Bucket> {
        let (start, end) = self.bounds();
        let mut buckets = Vec::new();
        let Ok(first) = jiff::Timestamp::from_millisecond(start) else {
            return buckets;
        };
        let mut hour: Zoned = first.to_zoned(self.zone.clone());
        loop {
            let begin = hour.timestamp().as_millisecond();
            if begin >= end {
                break;
            }
            let Ok(next) = hour.checked_add(1.hour()) else {
                break;
            };
            let label = hour.strftime("%Y-%m-%dT%H:%M:%S%:z").to_string();
            buckets.push(Bucket {
                label,
                start: begin,
                end: next.timestamp().as_millisecond().min(end),
            });
            hour = next;
        }
        buckets
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn range(from: &str, to: &str, zone_name: &str) -> DateRange {
        DateRange::new(
            date("datefrom", from).unwrap(),
            date("dateto", to).unwrap(),
            zone(zone_name).unwrap(),
        )
        .unwrap()
    }

    fn iso(ms: Millis) -> String {
        crate::timestamp::iso(ms)
    }

    #[test]
    fn days_in_utc_are_midnight_to_midnight() {
        let buckets = range("2024-12-01", "2024-12-03", "UTC").buckets();
        let labels: Vec<_> = buckets.iter().map(|b| b.label.as_str()).collect();
        assert_eq!(labels, ["2024-12-01", "2024-12-02", "2024-12-03"]);
        assert_eq!(iso(buckets[0].start), "2024-12-01T00:00:00.000Z");
        assert_eq!(iso(buckets[2].end), "2024-12-04T00:00:00.000Z");
        assert_eq!(buckets[0].end, buckets[1].start);
    }

    #[test]
    fn half_hour_zones_shift_the_bounds() {
        let buckets = range("2024-12-01", "2024-12-02", "Asia/Kolkata").buckets();
        assert_eq!(iso(buckets[0].start), "2024-11-30T18:30:00.000Z");
        assert_eq!(iso(buckets[1].end), "2024-12-02T18:30:00.000Z");
    }

    #[test]
    fn a_single_day_has_hourly_buckets_with_the_offset() {
        let buckets = range("2024-12-01", "2024-12-01", "Asia/Kolkata").buckets();
        assert_eq!(buckets.len(), 24);
        assert_eq!(buckets[0].label, "2024-12-01T00:00:00+05:30");
        assert_eq!(iso(buckets[0].start), "2024-11-30T18:30:00.000Z");
        assert_eq!(buckets[23].label, "2024-12-01T23:00:00+05:30");
    }

    #[test]
    fn dst_days_have_23_or_25_hours() {
        let spring = range("2024-03-31", "2024-03-31", "Europe/Berlin").buckets();
        assert_eq!(spring.len(), 23);
        assert_eq!(spring[1].label, "2024-03-31T01:00:00+01:00");
        assert_eq!(spring[2].label, "2024-03-31T03:00:00+02:00");
        let autumn = range("2024-10-27", "2024-10-27", "Europe/Berlin").buckets();
        assert_eq!(autumn.len(), 25);
        assert_eq!(autumn[2].label, "2024-10-27T02:00:00+02:00");
        assert_eq!(autumn[3].label, "2024-10-27T02:00:00+01:00");
        // The day buckets around the change are 23 and 25 hours long.
        let days = range("2024-03-30", "2024-04-01", "Europe/Berlin").buckets();
        assert_eq!(days[1].end - days[1].start, 23 * 3_600_000);
    }

    #[test]
    fn ranges_are_checked() {
        let utc = zone("UTC").unwrap();
        let d = |s| date("d", s).unwrap();
        assert!(DateRange::new(d("2024-12-02"), d("2024-12-01"), utc.clone()).is_err());
        assert!(DateRange::new(d("2024-01-01"), d("2024-12-31"), utc.clone()).is_ok()); // 366 days
        assert!(DateRange::new(d("2023-01-01"), d("2024-01-01"), utc.clone()).is_ok()); // 366 days
        assert!(DateRange::new(d("2023-01-01"), d("2024-01-02"), utc).is_err()); // 367 days
    }

    #[test]
    fn dates_and_zones_are_validated() {
        for bad in [
            "2024-1-01",
            "2024/01/01",
            "2024-02-30",
            "yesterday",
            "",
            "2024-01-01T00:00",
        ] {
            assert!(date("datefrom", bad).is_err(), "{bad:?}");
        }
        assert!(zone("Mars/Olympus_Mons").is_err());
        assert!(zone("America/New_York").is_ok());
    }
}
