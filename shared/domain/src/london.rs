//! Europe/London time: receipt dates, month boundaries and the 09:00 alert instants are all
//! taken in the landlord's own time zone, not in UTC.

use chrono::{DateTime, Datelike, LocalResult, NaiveDate, NaiveTime, TimeZone, Utc};
use chrono_tz::Europe::London;

/// The calendar date in Europe/London of an instant: a form sent at 00:30 BST on a Tuesday
/// was received on Tuesday even though it is still Monday in UTC.
pub fn london_date(instant: DateTime<Utc>) -> NaiveDate {
    instant.with_timezone(&London).date_naive()
}

/// The instant of a wall-clock time on a London date; a time skipped by the spring change
/// moves forward an hour, and a repeated autumn time takes its first occurrence.
pub fn london_instant(date: NaiveDate, time: NaiveTime) -> DateTime<Utc> {
    let naive = date.and_time(time);
    match London.from_local_datetime(&naive) {
        LocalResult::Single(t) => t.with_timezone(&Utc),
        LocalResult::Ambiguous(first, _) => first.with_timezone(&Utc),
        LocalResult::None => London
            .from_local_datetime(&(naive + chrono::Duration::hours(1)))
            .earliest()
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or_else(|| Utc.from_utc_datetime(&naive)),
    }
}

/// 09:00 Europe/London on a date: the one moment of the day alerts are planned for.
pub fn nine_am(date: NaiveDate) -> DateTime<Utc> {
    london_instant(date, NaiveTime::from_hms_opt(9, 0, 0).expect("valid time"))
}

/// The first instant of a London date (midnight), used for month and year boundaries.
pub fn start_of_day(date: NaiveDate) -> DateTime<Utc> {
    london_instant(date, NaiveTime::MIN)
}

/// A reporting month in Europe/London (`YYYY-MM`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Month {
    /// Calendar year.
    pub year: i32,
    /// Month number 1 to 12.
    pub month: u32,
}

impl Month {
    /// The month a London date falls in.
    pub fn of(date: NaiveDate) -> Month {
        Month {
            year: date.year(),
            month: date.month(),
        }
    }

    /// The first day of the month.
    pub fn first_day(self) -> NaiveDate {
        NaiveDate::from_ymd_opt(self.year, self.month, 1).expect("valid month")
    }

    /// The last day of the month.
    pub fn last_day(self) -> NaiveDate {
        self.next().first_day().pred_opt().expect("valid date")
    }

    /// The following month.
    pub fn next(self) -> Month {
        if self.month == 12 {
            Month {
                year: self.year + 1,
                month: 1,
            }
        } else {
            Month {
                year: self.year,
                month: self.month + 1,
            }
        }
    }

    /// The month before.
    pub fn previous(self) -> Month {
        if self.month == 1 {
            Month {
                year: self.year - 1,
                month: 12,
            }
        } else {
            Month {
                year: self.year,
                month: self.month - 1,
            }
        }
    }
}

impl std::fmt::Display for Month {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

impl std::str::FromStr for Month {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || format!("`{s}` is not a month in the form YYYY-MM");
        let (y, m) = s.split_once('-').ok_or_else(bad)?;
        let digits = |t: &str, n: usize| t.len() == n && t.bytes().all(|b| b.is_ascii_digit());
        if !digits(y, 4) || !digits(m, 2) {
            return Err(bad());
        }
        let year: i32 = y.parse().map_err(|_| bad())?;
        let month: u32 = m.parse().map_err(|_| bad())?;
        if !(1..=12).contains(&month) {
            return Err(bad());
        }
        // Which months a report may cover is `report_period`'s rule, not the syntax's.
        Ok(Month { year, month })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn received_at_0030_bst_counts_on_the_london_date() {
        // 00:30 BST on Tuesday 2026-06-02 is 23:30 UTC on Monday 2026-06-01.
        assert_eq!(
            london_date(utc("2026-06-01T23:30:00Z")),
            NaiveDate::from_ymd_opt(2026, 6, 2).unwrap()
        );
    }

    #[test]
    fn received_at_0030_gmt_is_the_same_date_as_utc() {
        assert_eq!(
            london_date(utc("2026-01-13T00:30:00Z")),
            NaiveDate::from_ymd_opt(2026, 1, 13).unwrap()
        );
    }

    #[test]
    fn nine_am_is_0800_utc_in_summer_and_0900_utc_in_winter() {
        assert_eq!(
            nine_am(NaiveDate::from_ymd_opt(2026, 7, 1).unwrap()),
            utc("2026-07-01T08:00:00Z")
        );
        assert_eq!(
            nine_am(NaiveDate::from_ymd_opt(2026, 12, 1).unwrap()),
            utc("2026-12-01T09:00:00Z")
        );
    }

    #[test]
    fn nine_am_on_the_nights_the_clocks_change() {
        // Clocks go forward Sunday 2026-03-29 and back Sunday 2026-10-25.
        assert_eq!(
            nine_am(NaiveDate::from_ymd_opt(2026, 3, 29).unwrap()),
            utc("2026-03-29T08:00:00Z")
        );
        assert_eq!(
            nine_am(NaiveDate::from_ymd_opt(2026, 3, 28).unwrap()),
            utc("2026-03-28T09:00:00Z")
        );
        assert_eq!(
            nine_am(NaiveDate::from_ymd_opt(2026, 10, 25).unwrap()),
            utc("2026-10-25T09:00:00Z")
        );
        assert_eq!(
            nine_am(NaiveDate::from_ymd_opt(2026, 10, 24).unwrap()),
            utc("2026-10-24T08:00:00Z")
        );
    }

    #[test]
    fn the_repeated_hour_in_october_takes_the_first_occurrence() {
        let t = london_instant(
            NaiveDate::from_ymd_opt(2026, 10, 25).unwrap(),
            NaiveTime::from_hms_opt(1, 30, 0).unwrap(),
        );
        assert_eq!(t, utc("2026-10-25T00:30:00Z"));
    }

    #[test]
    fn month_start_is_london_midnight() {
        let m: Month = "2026-10".parse().unwrap();
        assert_eq!(start_of_day(m.first_day()), utc("2026-09-30T23:00:00Z"));
        assert_eq!(m.last_day(), NaiveDate::from_ymd_opt(2026, 10, 31).unwrap());
        assert_eq!(m.previous().to_string(), "2026-09");
        assert!("2026-13".parse::<Month>().is_err());
        assert!("26-01".parse::<Month>().is_err());
    }

    #[test]
    fn only_london_is_compiled_into_the_time_zone_database() {
        // `CHRONO_TZ_TIMEZONE_FILTER` in `.cargo/config.toml`. Without it every binary carries
        // all ~600 zones: ~28,000 pointers the loader patches at each Lambda cold start.
        assert_eq!("Europe/London".parse::<chrono_tz::Tz>(), Ok(London));
        assert!("America/New_York".parse::<chrono_tz::Tz>().is_err());
        assert!(
            chrono_tz::TZ_VARIANTS.len() < 100,
            "{}",
            chrono_tz::TZ_VARIANTS.len()
        );
    }
}
