//! Working-day calendar for the complaints procedure: UK bank holidays,
//! landlord-configured changes and closure days, and working-day arithmetic.
//!
//! Rules:
//! - A working day is Monday to Friday, except bank holidays of the configured
//!   region and the landlord's configured closure days.
//! - "Within N working days of D" means the N-th working day after D; D itself
//!   is day 0 whether or not it is a working day, and N = 0 returns D.
//! - Bank holidays falling on a weekend are replaced by the next weekday that is
//!   not already a holiday ("substitute day").
//! - The UK-wide one-off changes (1995, 1999, 2002, 2011, 2012, 2020, 2022,
//!   2023) are applied to every region, including the moved early May and
//!   spring holidays. This is a deliberate simplification; a landlord who
//!   needs something different can use `extra_holidays`/`removed_holidays`.
//! - Configuration: `removed_holidays` only removes computed bank holidays;
//!   `extra_holidays` and `closure_days` are applied afterwards, so a date that
//!   is both removed and added (or closed) is not a working day.
//!
//! Dates from 1995-01-01 to 2100-12-31 are precomputed into a bitset with
//! prefix counts, so the common operations are a few instructions. Dates
//! outside that range are computed on the fly with the same rules (no
//! one-offs exist there) and are correspondingly slower.

use chrono::{Datelike, NaiveDate, Weekday};

/// First year covered by the precomputed fast path.
const FAST_FIRST_YEAR: i32 = 1995;
/// Last year covered by the precomputed fast path.
const FAST_LAST_YEAR: i32 = 2100;

/// Name given by [`Calendar::holidays_in`] to a configured extra holiday.
const ADDED_HOLIDAY_NAME: &str = "Added holiday";
/// Name given by [`Calendar::holidays_in`] to a configured closure day.
const CLOSURE_DAY_NAME: &str = "Closure day";

/// The UK bank-holiday region whose holidays apply, because the three regions differ.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Region {
    /// England and Wales holidays, the default because most landlords operate there.
    #[default]
    EnglandAndWales,
    /// Scottish holidays, for landlords operating in Scotland.
    Scotland,
    /// Northern Ireland holidays, for landlords operating in Northern Ireland.
    NorthernIreland,
}

/// One bank holiday with its published name, so holidays can be listed to staff and residents.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct BankHoliday {
    /// The date on which the holiday is observed (after weekend substitution).
    pub date: NaiveDate,
    /// Human-readable name, e.g. "Christmas Day (substitute day)".
    pub name: String,
}

/// Landlord calendar configuration, so holidays and closures can change without a new release.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CalendarConfig {
    /// Which region's bank holidays apply.
    pub region: Region,
    /// Dates that are holidays in addition to the computed bank holidays.
    pub extra_holidays: Vec<NaiveDate>,
    /// Computed bank holidays that no longer apply (a move is a removal plus an extra holiday).
    pub removed_holidays: Vec<NaiveDate>,
    /// Office closure days (e.g. between Christmas and New Year), which are not working days.
    pub closure_days: Vec<NaiveDate>,
}

fn ymd(year: i32, month: u32, day: u32) -> Option<NaiveDate> {
    NaiveDate::from_ymd_opt(year, month, day)
}

fn is_weekend(date: NaiveDate) -> bool {
    matches!(date.weekday(), Weekday::Sat | Weekday::Sun)
}

/// Date of Easter Sunday by the Gregorian computus, because Good Friday and Easter Monday depend on it.
///
/// Uses the anonymous Gregorian (Meeus/Jones/Butcher) algorithm with Euclidean
/// division so it also works for years before 1 AD.
///
/// # Panics
/// Panics if the year is outside the range supported by [`NaiveDate`].
pub fn easter_sunday(year: i32) -> NaiveDate {
    let y = i64::from(year);
    let a = y.rem_euclid(19);
    let b = y.div_euclid(100);
    let c = y.rem_euclid(100);
    let d = b.div_euclid(4);
    let e = b.rem_euclid(4);
    let f = (b + 8).div_euclid(25);
    let g = (b - f + 1).div_euclid(3);
    let h = (19 * a + b - d - g + 15).rem_euclid(30);
    let i = c / 4;
    let k = c % 4;
    let l = (32 + 2 * e + 2 * i - h - k).rem_euclid(7);
    let m = (a + 11 * h + 22 * l).div_euclid(451);
    let n = h + l - 7 * m + 114;
    let month = (n / 31) as u32;
    let day = (n % 31 + 1) as u32;
    ymd(year, month, day).expect("year within the range supported by chrono")
}

/// The `nth` (1-based) occurrence of `weekday` in a month.
fn nth_weekday(year: i32, month: u32, weekday: Weekday, nth: u8) -> Option<NaiveDate> {
    NaiveDate::from_weekday_of_month_opt(year, month, weekday, nth)
}

/// The last occurrence of `weekday` in a month.
fn last_weekday(year: i32, month: u32, weekday: Weekday) -> Option<NaiveDate> {
    let first_of_next = if month == 12 {
        ymd(year + 1, 1, 1)
    } else {
        ymd(year, month + 1, 1)
    };
    let last = match first_of_next {
        Some(d) => d.pred_opt()?,
        // December of the last representable year.
        None => ymd(year, month, 31)?,
    };
    let back = (7 + last.weekday().num_days_from_monday() - weekday.num_days_from_monday()) % 7;
    last.checked_sub_days(chrono::Days::new(u64::from(back)))
}

/// A one-off change to the computed holidays (applied to every region).
enum OneOff {
    /// A computed holiday moved to another date (with a new name).
    Move {
        from: (i32, u32, u32),
        to: (i32, u32, u32),
        name: &'static str,
    },
    /// An additional holiday.
    Add {
        date: (i32, u32, u32),
        name: &'static str,
    },
}

const ONE_OFFS: &[OneOff] = &[
    OneOff::Move {
        from: (1995, 5, 1),
        to: (1995, 5, 8),
        name: "Early May bank holiday (VE day)",
    },
    OneOff::Add {
        date: (1999, 12, 31),
        name: "Millennium celebrations",
    },
    OneOff::Move {
        from: (2002, 5, 27),
        to: (2002, 6, 4),
        name: "Spring bank holiday",
    },
    OneOff::Add {
        date: (2002, 6, 3),
        name: "Golden Jubilee of Queen Elizabeth II",
    },
    OneOff::Add {
        date: (2011, 4, 29),
        name: "Wedding of Prince William and Catherine Middleton",
    },
    OneOff::Move {
        from: (2012, 5, 28),
        to: (2012, 6, 4),
        name: "Spring bank holiday",
    },
    OneOff::Add {
        date: (2012, 6, 5),
        name: "Diamond Jubilee of Queen Elizabeth II",
    },
    OneOff::Move {
        from: (2020, 5, 4),
        to: (2020, 5, 8),
        name: "Early May bank holiday (VE day)",
    },
    OneOff::Move {
        from: (2022, 5, 30),
        to: (2022, 6, 2),
        name: "Spring bank holiday",
    },
    OneOff::Add {
        date: (2022, 6, 3),
        name: "Platinum Jubilee of Queen Elizabeth II",
    },
    OneOff::Add {
        date: (2022, 9, 19),
        name: "State Funeral of Queen Elizabeth II",
    },
    OneOff::Add {
        date: (2023, 5, 8),
        name: "Coronation of King Charles III",
    },
];

/// The bank holidays of a region in a year (rules plus one-offs, before landlord configuration), sorted by date.
///
/// Returns an empty list for years outside the range supported by [`NaiveDate`].
pub fn bank_holidays(region: Region, year: i32) -> Vec<BankHoliday> {
    // Every holiday (including substitutes) stays within its own year, so a
    // year whose whole span is representable is safe to compute.
    if ymd(year, 1, 1).is_none() || ymd(year, 12, 31).is_none() {
        return Vec::new();
    }
    let date = |m, d| ymd(year, m, d).expect("valid date in a representable year");

    // Fixed-date holidays may fall on a weekend and then get a substitute day.
    let mut fixed: Vec<(NaiveDate, &'static str)> = vec![(date(1, 1), "New Year's Day")];
    // Holidays defined by weekday rules always fall on a weekday.
    let easter = easter_sunday(year);
    let mut weekday_rules: Vec<(Option<NaiveDate>, &'static str)> = vec![
        (easter.pred_opt().and_then(|d| d.pred_opt()), "Good Friday"),
        (
            nth_weekday(year, 5, Weekday::Mon, 1),
            "Early May bank holiday",
        ),
        (last_weekday(year, 5, Weekday::Mon), "Spring bank holiday"),
    ];
    match region {
        Region::EnglandAndWales | Region::NorthernIreland => {
            weekday_rules.push((easter.succ_opt(), "Easter Monday"));
            weekday_rules.push((last_weekday(year, 8, Weekday::Mon), "Summer bank holiday"));
        }
        Region::Scotland => {
            fixed.push((date(1, 2), "2nd January"));
            weekday_rules.push((nth_weekday(year, 8, Weekday::Mon, 1), "Summer bank holiday"));
            fixed.push((date(11, 30), "St Andrew's Day"));
        }
    }
    if region == Region::NorthernIreland {
        fixed.push((date(3, 17), "St Patrick's Day"));
        fixed.push((date(7, 12), "Battle of the Boyne (Orangemen's Day)"));
    }
    fixed.push((date(12, 25), "Christmas Day"));
    fixed.push((date(12, 26), "Boxing Day"));
    fixed.sort_by_key(|&(d, _)| d);

    let mut result: Vec<BankHoliday> = weekday_rules
        .into_iter()
        .filter_map(|(d, name)| {
            d.map(|date| BankHoliday {
                date,
                name: name.to_string(),
            })
        })
        .collect();
    for &(d, name) in fixed.iter().filter(|(d, _)| !is_weekend(*d)) {
        result.push(BankHoliday {
            date: d,
            name: name.to_string(),
        });
    }
    // Substitute days, in date order, so Christmas is placed before Boxing Day.
    for &(d, name) in fixed.iter().filter(|(d, _)| is_weekend(*d)) {
        let mut sub = d;
        loop {
            sub = sub.succ_opt().expect("substitute stays within the year");
            if !is_weekend(sub) && !result.iter().any(|h| h.date == sub) {
                break;
            }
        }
        result.push(BankHoliday {
            date: sub,
            name: format!("{name} (substitute day)"),
        });
    }

    for one_off in ONE_OFFS {
        match *one_off {
            OneOff::Move { from, to, name } if from.0 == year => {
                let from = date(from.1, from.2);
                result.retain(|h| h.date != from);
                result.push(BankHoliday {
                    date: date(to.1, to.2),
                    name: name.to_string(),
                });
            }
            OneOff::Add { date: d, name } if d.0 == year => {
                result.push(BankHoliday {
                    date: date(d.1, d.2),
                    name: name.to_string(),
                });
            }
            _ => {}
        }
    }

    result.sort_by_key(|h| h.date);
    result
}

/// The working-day calendar used for every deadline, precomputed for fast lookups.
#[derive(Debug, Clone)]
pub struct Calendar {
    region: Region,
    /// Sorted, deduplicated configuration dates.
    extra: Vec<NaiveDate>,
    removed: Vec<NaiveDate>,
    closure: Vec<NaiveDate>,
    /// `num_days_from_ce` of the first precomputed date (1995-01-01).
    first_ce: i32,
    /// Number of precomputed dates.
    len: usize,
    /// Bit `i` set when day `first + i` is a working day.
    working: Vec<u64>,
    /// Bit `i` set when day `first + i` is a holiday (bank holiday or closure, after configuration).
    holiday: Vec<u64>,
    /// `cum[w]` = number of working days at indices `< 64 * w`; one longer than `working`.
    cum: Vec<u32>,
}

impl Default for Calendar {
    /// The England and Wales calendar without landlord changes, the common case.
    fn default() -> Self {
        Calendar::england_and_wales()
    }
}

/// Caches one year's holiday dates while stepping day by day outside the fast range.
struct YearCache<'a> {
    calendar: &'a Calendar,
    year: Option<i32>,
    dates: Vec<NaiveDate>,
}

impl<'a> YearCache<'a> {
    fn new(calendar: &'a Calendar) -> Self {
        YearCache {
            calendar,
            year: None,
            dates: Vec::new(),
        }
    }

    fn is_working_day(&mut self, date: NaiveDate) -> bool {
        if let Some(i) = self.calendar.index(date) {
            return self.calendar.working_bit(i);
        }
        if is_weekend(date) {
            return false;
        }
        if self.year != Some(date.year()) {
            self.year = Some(date.year());
            self.dates = self.calendar.effective_holiday_dates(date.year());
        }
        self.dates.binary_search(&date).is_err()
    }
}

/// Number of weekdays in the days `[0001-01-01 + 0, 0001-01-01 + k)` (negative for `k < 0`).
/// 0001-01-01 is a Monday in the proleptic Gregorian calendar.
fn weekdays_before(k: i64) -> i64 {
    5 * k.div_euclid(7) + k.rem_euclid(7).min(5)
}

/// Position (0-based) of the `k`-th (1-based) set bit of `word`.
fn select_in_word(mut word: u64, k: u32) -> u32 {
    for _ in 1..k {
        word &= word - 1;
    }
    word.trailing_zeros()
}

fn sorted_dedup(dates: &[NaiveDate]) -> Vec<NaiveDate> {
    let mut v = dates.to_vec();
    v.sort_unstable();
    v.dedup();
    v
}

/// Dates of `sorted` falling in `year`.
fn in_year(sorted: &[NaiveDate], year: i32) -> &[NaiveDate] {
    let start = sorted.partition_point(|d| d.year() < year);
    let end = sorted.partition_point(|d| d.year() <= year);
    &sorted[start..end]
}

impl Calendar {
    /// Builds a calendar from landlord configuration, precomputing 1995..=2100 for speed.
    pub fn new(config: &CalendarConfig) -> Calendar {
        let first = ymd(FAST_FIRST_YEAR, 1, 1).expect("valid date");
        let last = ymd(FAST_LAST_YEAR, 12, 31).expect("valid date");
        let len = usize::try_from((last - first).num_days() + 1).expect("positive span");
        let words = len.div_ceil(64);
        let mut calendar = Calendar {
            region: config.region,
            extra: sorted_dedup(&config.extra_holidays),
            removed: sorted_dedup(&config.removed_holidays),
            closure: sorted_dedup(&config.closure_days),
            first_ce: first.num_days_from_ce(),
            len,
            working: vec![0; words],
            holiday: vec![0; words],
            cum: vec![0; words + 1],
        };

        let first_weekday = first.weekday().num_days_from_monday() as usize;
        for i in 0..len {
            if (first_weekday + i) % 7 < 5 {
                calendar.working[i >> 6] |= 1 << (i & 63);
            }
        }
        for year in FAST_FIRST_YEAR..=FAST_LAST_YEAR {
            for date in calendar.effective_holiday_dates(year) {
                if let Some(i) = calendar.index(date) {
                    calendar.holiday[i >> 6] |= 1 << (i & 63);
                    calendar.working[i >> 6] &= !(1 << (i & 63));
                }
            }
        }
        let mut running = 0u32;
        for w in 0..words {
            calendar.cum[w] = running;
            running += calendar.working[w].count_ones();
        }
        calendar.cum[words] = running;
        calendar
    }

    /// The England and Wales calendar with no landlord changes, the usual default.
    pub fn england_and_wales() -> Calendar {
        Calendar::new(&CalendarConfig::default())
    }

    /// Whether a date counts towards working-day deadlines.
    pub fn is_working_day(&self, date: NaiveDate) -> bool {
        match self.index(date) {
            Some(i) => self.working_bit(i),
            None => !is_weekend(date) && !self.slow_is_holiday(date),
        }
    }

    /// Whether a date is a bank holiday or closure day after configuration (weekends alone are not holidays).
    pub fn is_holiday(&self, date: NaiveDate) -> bool {
        match self.index(date) {
            Some(i) => (self.holiday[i >> 6] >> (i & 63)) & 1 == 1,
            None => self.slow_is_holiday(date),
        }
    }

    /// The `n`-th working day after `date` (date itself is day 0), i.e. "within n working days of date".
    ///
    /// Saturates at the last date representable by [`NaiveDate`].
    pub fn add_working_days(&self, date: NaiveDate, n: u32) -> NaiveDate {
        let mut d = date;
        let mut remaining = n;
        let mut cache = YearCache::new(self);
        while remaining > 0 {
            if let Some(i) = self.index(d) {
                let through = self.prefix(i + 1);
                let target = u64::from(through) + u64::from(remaining);
                let total = self.total();
                if target <= u64::from(total) {
                    return self.date_at(self.select(target as u32, i >> 6));
                }
                // Runs past the precomputed range: continue day by day after it.
                remaining -= total - through;
                d = self.date_at(self.len - 1);
            }
            match d.succ_opt() {
                Some(next) => d = next,
                None => return d,
            }
            if cache.is_working_day(d) {
                remaining -= 1;
            }
        }
        d
    }

    /// The `n`-th working day before `date` (date itself is day 0), for counting back from a deadline.
    ///
    /// Saturates at the first date representable by [`NaiveDate`].
    pub fn subtract_working_days(&self, date: NaiveDate, n: u32) -> NaiveDate {
        let mut d = date;
        let mut remaining = n;
        let mut cache = YearCache::new(self);
        while remaining > 0 {
            if let Some(i) = self.index(d) {
                let before = self.prefix(i);
                if before >= remaining {
                    return self.date_at(self.select(before - remaining + 1, i >> 6));
                }
                // Runs before the precomputed range: continue day by day before it.
                remaining -= before;
                d = self.date_at(0);
            }
            match d.pred_opt() {
                Some(prev) => d = prev,
                None => return d,
            }
            if cache.is_working_day(d) {
                remaining -= 1;
            }
        }
        d
    }

    /// The first working day strictly after `date`, e.g. when a period starts "the next working day".
    pub fn next_working_day(&self, date: NaiveDate) -> NaiveDate {
        self.add_working_days(date, 1)
    }

    /// `date` if it is a working day, otherwise the next working day, e.g. to normalise a received date.
    pub fn working_day_on_or_after(&self, date: NaiveDate) -> NaiveDate {
        if self.is_working_day(date) {
            date
        } else {
            self.next_working_day(date)
        }
    }

    /// Working days in the half-open interval (from, to]; negative when to < from (minus the working days in (to, from]); 0 when equal.
    /// Inverse of add: working_days_between(d, add_working_days(d, n)) == n.
    pub fn working_days_between(&self, from: NaiveDate, to: NaiveDate) -> i64 {
        if let (Some(a), Some(b)) = (self.index(from), self.index(to)) {
            return i64::from(self.prefix(b + 1)) - i64::from(self.prefix(a + 1));
        }
        match from.cmp(&to) {
            std::cmp::Ordering::Equal => 0,
            std::cmp::Ordering::Less => {
                self.count_inclusive(from.succ_opt().expect("from < to"), to)
            }
            std::cmp::Ordering::Greater => {
                -self.count_inclusive(to.succ_opt().expect("to < from"), from)
            }
        }
    }

    /// The holidays of a year after configuration, so staff can see which days do not count.
    ///
    /// Removed holidays are dropped; extra holidays ("Added holiday") and closure
    /// days ("Closure day") are added. One entry per date, sorted by date.
    pub fn holidays_in(&self, year: i32) -> Vec<BankHoliday> {
        let mut result: Vec<BankHoliday> = bank_holidays(self.region, year)
            .into_iter()
            .filter(|h| self.removed.binary_search(&h.date).is_err())
            .collect();
        for (dates, name) in [
            (&self.extra, ADDED_HOLIDAY_NAME),
            (&self.closure, CLOSURE_DAY_NAME),
        ] {
            for &date in in_year(dates, year) {
                if !result.iter().any(|h| h.date == date) {
                    result.push(BankHoliday {
                        date,
                        name: name.to_string(),
                    });
                }
            }
        }
        result.sort_by_key(|h| h.date);
        result
    }

    // ----- private helpers -----

    /// Index of `date` in the precomputed range, if it is inside it.
    #[inline]
    fn index(&self, date: NaiveDate) -> Option<usize> {
        let k = i64::from(date.num_days_from_ce()) - i64::from(self.first_ce);
        if k >= 0 && (k as u64) < self.len as u64 {
            Some(k as usize)
        } else {
            None
        }
    }

    #[inline]
    fn date_at(&self, i: usize) -> NaiveDate {
        NaiveDate::from_num_days_from_ce_opt(self.first_ce + i as i32)
            .expect("index inside the precomputed range")
    }

    #[inline]
    fn working_bit(&self, i: usize) -> bool {
        (self.working[i >> 6] >> (i & 63)) & 1 == 1
    }

    /// Total working days in the precomputed range.
    #[inline]
    fn total(&self) -> u32 {
        self.cum[self.working.len()]
    }

    /// Working days at indices `< i` (`i <= len`).
    #[inline]
    fn prefix(&self, i: usize) -> u32 {
        let w = i >> 6;
        let b = i & 63;
        let mut count = self.cum[w];
        if b != 0 {
            count += (self.working[w] & ((1u64 << b) - 1)).count_ones();
        }
        count
    }

    /// Index of the `rank`-th (1-based) working day of the range; `1 <= rank <= total`.
    /// `hint` is a word index near the answer (the search walks from it).
    #[inline]
    fn select(&self, rank: u32, hint: usize) -> usize {
        let mut w = hint.min(self.working.len() - 1);
        while self.cum[w] >= rank {
            w -= 1;
        }
        while self.cum[w + 1] < rank {
            w += 1;
        }
        (w << 6) + select_in_word(self.working[w], rank - self.cum[w]) as usize
    }

    /// Sorted, deduplicated dates of a year that are not working days apart from weekends.
    fn effective_holiday_dates(&self, year: i32) -> Vec<NaiveDate> {
        let mut dates: Vec<NaiveDate> = bank_holidays(self.region, year)
            .into_iter()
            .map(|h| h.date)
            .filter(|d| self.removed.binary_search(d).is_err())
            .collect();
        dates.extend_from_slice(in_year(&self.extra, year));
        dates.extend_from_slice(in_year(&self.closure, year));
        dates.sort_unstable();
        dates.dedup();
        dates
    }

    fn slow_is_holiday(&self, date: NaiveDate) -> bool {
        self.effective_holiday_dates(date.year())
            .binary_search(&date)
            .is_ok()
    }

    /// Working days in the inclusive interval `[lo, hi]` (0 when `lo > hi`).
    fn count_inclusive(&self, lo: NaiveDate, hi: NaiveDate) -> i64 {
        if lo > hi {
            return 0;
        }
        let first = self.date_at(0);
        let last = self.date_at(self.len - 1);
        let mut count = 0;
        if lo < first {
            let end = hi.min(first.pred_opt().expect("1994-12-31 exists"));
            count += self.slow_count_inclusive(lo, end);
        }
        if hi > last {
            let start = lo.max(last.succ_opt().expect("2101-01-01 exists"));
            count += self.slow_count_inclusive(start, hi);
        }
        let (a, b) = (lo.max(first), hi.min(last));
        if a <= b {
            let (ia, ib) = (
                self.index(a).expect("in range"),
                self.index(b).expect("in range"),
            );
            count += i64::from(self.prefix(ib + 1)) - i64::from(self.prefix(ia));
        }
        count
    }

    /// Working days in `[lo, hi]` computed from the rules (weekdays minus weekday holidays).
    fn slow_count_inclusive(&self, lo: NaiveDate, hi: NaiveDate) -> i64 {
        if lo > hi {
            return 0;
        }
        let k = |d: NaiveDate| i64::from(d.num_days_from_ce()) - 1;
        let mut count = weekdays_before(k(hi) + 1) - weekdays_before(k(lo));
        for year in lo.year()..=hi.year() {
            count -= self
                .effective_holiday_dates(year)
                .into_iter()
                .filter(|&d| d >= lo && d <= hi && !is_weekend(d))
                .count() as i64;
        }
        count
    }
}
