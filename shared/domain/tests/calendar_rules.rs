//! The landlord's working-day and bank-holiday rules, checked against published dates.

use std::sync::LazyLock;

use chrono::{Datelike, NaiveDate, Weekday};
use p3_domain::calendar::{
    bank_holidays, easter_sunday, BankHoliday, Calendar, CalendarConfig, Region,
};
use proptest::prelude::*;

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

fn dates(holidays: &[BankHoliday]) -> Vec<NaiveDate> {
    holidays.iter().map(|h| h.date).collect()
}

static ENGLAND_AND_WALES: LazyLock<Calendar> = LazyLock::new(Calendar::england_and_wales);

/// Every published England and Wales bank holiday, 2010 to 2030 (month, day).
#[rustfmt::skip]
const ENGLAND_AND_WALES_2010_2030: &[(i32, &[(u32, u32)])] = &[
    (2010, &[(1, 1), (4, 2), (4, 5), (5, 3), (5, 31), (8, 30), (12, 27), (12, 28)]),
    (2011, &[(1, 3), (4, 22), (4, 25), (4, 29), (5, 2), (5, 30), (8, 29), (12, 26), (12, 27)]),
    (2012, &[(1, 2), (4, 6), (4, 9), (5, 7), (6, 4), (6, 5), (8, 27), (12, 25), (12, 26)]),
    (2013, &[(1, 1), (3, 29), (4, 1), (5, 6), (5, 27), (8, 26), (12, 25), (12, 26)]),
    (2014, &[(1, 1), (4, 18), (4, 21), (5, 5), (5, 26), (8, 25), (12, 25), (12, 26)]),
    (2015, &[(1, 1), (4, 3), (4, 6), (5, 4), (5, 25), (8, 31), (12, 25), (12, 28)]),
    (2016, &[(1, 1), (3, 25), (3, 28), (5, 2), (5, 30), (8, 29), (12, 26), (12, 27)]),
    (2017, &[(1, 2), (4, 14), (4, 17), (5, 1), (5, 29), (8, 28), (12, 25), (12, 26)]),
    (2018, &[(1, 1), (3, 30), (4, 2), (5, 7), (5, 28), (8, 27), (12, 25), (12, 26)]),
    (2019, &[(1, 1), (4, 19), (4, 22), (5, 6), (5, 27), (8, 26), (12, 25), (12, 26)]),
    (2020, &[(1, 1), (4, 10), (4, 13), (5, 8), (5, 25), (8, 31), (12, 25), (12, 28)]),
    (2021, &[(1, 1), (4, 2), (4, 5), (5, 3), (5, 31), (8, 30), (12, 27), (12, 28)]),
    (2022, &[(1, 3), (4, 15), (4, 18), (5, 2), (6, 2), (6, 3), (8, 29), (9, 19), (12, 26), (12, 27)]),
    (2023, &[(1, 2), (4, 7), (4, 10), (5, 1), (5, 8), (5, 29), (8, 28), (12, 25), (12, 26)]),
    (2024, &[(1, 1), (3, 29), (4, 1), (5, 6), (5, 27), (8, 26), (12, 25), (12, 26)]),
    (2025, &[(1, 1), (4, 18), (4, 21), (5, 5), (5, 26), (8, 25), (12, 25), (12, 26)]),
    (2026, &[(1, 1), (4, 3), (4, 6), (5, 4), (5, 25), (8, 31), (12, 25), (12, 28)]),
    (2027, &[(1, 1), (3, 26), (3, 29), (5, 3), (5, 31), (8, 30), (12, 27), (12, 28)]),
    (2028, &[(1, 3), (4, 14), (4, 17), (5, 1), (5, 29), (8, 28), (12, 25), (12, 26)]),
    (2029, &[(1, 1), (3, 30), (4, 2), (5, 7), (5, 28), (8, 27), (12, 25), (12, 26)]),
    (2030, &[(1, 1), (4, 19), (4, 22), (5, 6), (5, 27), (8, 26), (12, 25), (12, 26)]),
];

#[test]
fn england_and_wales_bank_holidays_2010_to_2030_match_the_published_dates() {
    for &(year, expected) in ENGLAND_AND_WALES_2010_2030 {
        let expected: Vec<NaiveDate> = expected.iter().map(|&(m, day)| d(year, m, day)).collect();
        let computed = dates(&bank_holidays(Region::EnglandAndWales, year));
        let missing: Vec<_> = expected.iter().filter(|x| !computed.contains(x)).collect();
        let extra: Vec<_> = computed.iter().filter(|x| !expected.contains(x)).collect();
        assert!(
            missing.is_empty() && extra.is_empty(),
            "{year}: missing {missing:?}, unexpected {extra:?}"
        );
        assert_eq!(computed, expected, "{year}: sorted by date, no duplicates");
    }
}

#[test]
fn bank_holidays_are_sorted_weekdays_with_names_for_every_region_and_year() {
    for region in [
        Region::EnglandAndWales,
        Region::Scotland,
        Region::NorthernIreland,
    ] {
        for year in 1990..=2110 {
            let holidays = bank_holidays(region, year);
            for pair in holidays.windows(2) {
                assert!(pair[0].date < pair[1].date, "{region:?} {year}: {pair:?}");
            }
            for h in &holidays {
                assert_eq!(h.date.year(), year);
                assert!(
                    !matches!(h.date.weekday(), Weekday::Sat | Weekday::Sun),
                    "{region:?}: {h:?} is on a weekend"
                );
                assert!(!h.name.is_empty());
            }
        }
    }
}

#[test]
fn easter_sunday_follows_the_gregorian_computus() {
    let known = [
        (1995, 4, 16),
        (2000, 4, 23),
        (2008, 3, 23),
        (2011, 4, 24),
        (2019, 4, 21),
        (2024, 3, 31),
        (2038, 4, 25),
        (2100, 3, 28),
        (2285, 3, 22),
    ];
    for (y, m, day) in known {
        assert_eq!(easter_sunday(y), d(y, m, day), "Easter {y}");
    }
    for year in 1583..3000 {
        let easter = easter_sunday(year);
        assert_eq!(easter.weekday(), Weekday::Sun, "{year}");
        assert!(
            easter >= d(year, 3, 22) && easter <= d(year, 4, 25),
            "{year}"
        );
    }
}

#[test]
fn one_off_1995_early_may_holiday_moved_to_ve_day_monday_8_may() {
    let holidays = dates(&bank_holidays(Region::EnglandAndWales, 1995));
    assert!(holidays.contains(&d(1995, 5, 8)));
    assert!(!holidays.contains(&d(1995, 5, 1)));
    assert_eq!(
        holidays,
        vec![
            d(1995, 1, 2),
            d(1995, 4, 14),
            d(1995, 4, 17),
            d(1995, 5, 8),
            d(1995, 5, 29),
            d(1995, 8, 28),
            d(1995, 12, 25),
            d(1995, 12, 26),
        ]
    );
}

#[test]
fn one_off_1999_millennium_holiday_on_31_december() {
    let holidays = dates(&bank_holidays(Region::EnglandAndWales, 1999));
    // Christmas on Saturday: Monday 27 and Tuesday 28 are the substitutes.
    for day in [d(1999, 12, 27), d(1999, 12, 28), d(1999, 12, 31)] {
        assert!(holidays.contains(&day), "{day}");
    }
    let next = dates(&bank_holidays(Region::EnglandAndWales, 2000));
    assert_eq!(next[0], d(2000, 1, 3), "New Year 2000 was a Saturday");
}

#[test]
fn one_off_2002_spring_holiday_moved_to_4_june_plus_golden_jubilee_3_june() {
    let holidays = dates(&bank_holidays(Region::EnglandAndWales, 2002));
    assert!(holidays.contains(&d(2002, 6, 3)));
    assert!(holidays.contains(&d(2002, 6, 4)));
    assert!(!holidays.contains(&d(2002, 5, 27)));
    assert_eq!(holidays.len(), 9);
}

#[test]
fn one_offs_apply_to_every_region() {
    for region in [Region::Scotland, Region::NorthernIreland] {
        for (y, m, day) in [
            (1999, 12, 31),
            (2002, 6, 3),
            (2011, 4, 29),
            (2012, 6, 5),
            (2020, 5, 8),
            (2022, 6, 3),
            (2022, 9, 19),
            (2023, 5, 8),
        ] {
            assert!(
                dates(&bank_holidays(region, y)).contains(&d(y, m, day)),
                "{region:?} {y}-{m}-{day}"
            );
        }
        assert!(!dates(&bank_holidays(region, 2020)).contains(&d(2020, 5, 4)));
    }
}

#[test]
fn years_outside_the_precomputed_range_use_the_same_rules() {
    // 2101: New Year Saturday -> Monday 3 January; Christmas Sunday -> Tuesday 27.
    let holidays = dates(&bank_holidays(Region::EnglandAndWales, 2101));
    assert_eq!(holidays.first(), Some(&d(2101, 1, 3)));
    assert!(holidays.contains(&d(2101, 12, 26)) && holidays.contains(&d(2101, 12, 27)));
    let cal = &*ENGLAND_AND_WALES;
    assert!(!cal.is_working_day(d(2101, 1, 3)));
    assert!(cal.is_holiday(d(2101, 1, 3)));
    assert!(cal.is_working_day(d(2101, 1, 4)));
    assert!(!cal.is_working_day(d(1994, 12, 26)));
    // 2100-12-31 is a Friday; the next working day is Tuesday 4 January 2101.
    assert_eq!(cal.add_working_days(d(2100, 12, 30), 2), d(2101, 1, 4));
    assert_eq!(cal.subtract_working_days(d(2101, 1, 4), 2), d(2100, 12, 30));
    assert_eq!(cal.working_days_between(d(2100, 12, 30), d(2101, 1, 4)), 2);
    assert_eq!(cal.working_days_between(d(2101, 1, 4), d(2100, 12, 30)), -2);
    // 1994-12-23 is a Friday; 26 and 27 December 1994 are holidays.
    assert_eq!(cal.add_working_days(d(1994, 12, 23), 1), d(1994, 12, 28));
    assert_eq!(cal.add_working_days(d(1994, 12, 30), 1), d(1995, 1, 3));
    assert_eq!(cal.working_days_between(d(1994, 12, 23), d(1995, 1, 3)), 4);
}

#[test]
fn received_saturday_counts_monday_as_day_one() {
    let cal = &*ENGLAND_AND_WALES;
    let saturday = d(2026, 3, 7);
    assert_eq!(saturday.weekday(), Weekday::Sat);
    assert_eq!(cal.add_working_days(saturday, 1), d(2026, 3, 9));
    assert_eq!(cal.add_working_days(saturday, 5), d(2026, 3, 13));
    assert_eq!(cal.add_working_days(saturday, 10), d(2026, 3, 20));
}

#[test]
fn zero_working_days_returns_the_date_unchanged() {
    let cal = &*ENGLAND_AND_WALES;
    for date in [d(2026, 3, 7), d(2026, 4, 3), d(2026, 4, 7)] {
        assert_eq!(cal.add_working_days(date, 0), date);
        assert_eq!(cal.subtract_working_days(date, 0), date);
    }
}

#[test]
fn received_on_good_friday_plus_one_working_day_is_the_tuesday_after_easter_monday() {
    let cal = &*ENGLAND_AND_WALES;
    assert_eq!(cal.add_working_days(d(2026, 4, 3), 1), d(2026, 4, 7));
}

#[test]
fn christmas_on_saturday_2021_gives_monday_27_and_tuesday_28_december() {
    let holidays = dates(&bank_holidays(Region::EnglandAndWales, 2021));
    assert!(holidays.contains(&d(2021, 12, 27)));
    assert!(holidays.contains(&d(2021, 12, 28)));
    let cal = &*ENGLAND_AND_WALES;
    assert_eq!(cal.next_working_day(d(2021, 12, 24)), d(2021, 12, 29));
}

#[test]
fn boxing_day_on_sunday_with_christmas_on_monday_moves_to_tuesday_27() {
    // 2033: Christmas Sunday 25 -> Boxing Day Monday 26 stays, Christmas substitute Tuesday 27.
    // 2022: same shape. 2027: Christmas Saturday.
    let holidays = dates(&bank_holidays(Region::EnglandAndWales, 2022));
    assert!(holidays.contains(&d(2022, 12, 26)) && holidays.contains(&d(2022, 12, 27)));
    // 2032: Christmas Saturday, Boxing Day Sunday -> 27 and 28.
    let h2032 = dates(&bank_holidays(Region::EnglandAndWales, 2032));
    assert!(h2032.contains(&d(2032, 12, 27)) && h2032.contains(&d(2032, 12, 28)));
    // 2026: Christmas Friday, Boxing Day Saturday -> Monday 28.
    let h2026 = dates(&bank_holidays(Region::EnglandAndWales, 2026));
    assert!(h2026.contains(&d(2026, 12, 28)));
}

#[test]
fn new_year_on_sunday_is_observed_on_monday_2_january() {
    let holidays = dates(&bank_holidays(Region::EnglandAndWales, 2023));
    assert_eq!(holidays[0], d(2023, 1, 2));
}

#[test]
fn five_working_days_from_wednesday_23_december_2026_is_monday_4_january_2027() {
    let cal = &*ENGLAND_AND_WALES;
    let received = d(2026, 12, 23);
    // Thu 24 = 1, Fri 25 holiday, Mon 28 Boxing Day substitute, Tue 29 = 2,
    // Wed 30 = 3, Thu 31 = 4, Fri 1 January holiday, Mon 4 January = 5.
    assert_eq!(cal.add_working_days(received, 1), d(2026, 12, 24));
    assert_eq!(cal.add_working_days(received, 2), d(2026, 12, 29));
    assert_eq!(cal.add_working_days(received, 4), d(2026, 12, 31));
    assert_eq!(cal.add_working_days(received, 5), d(2027, 1, 4));
}

#[test]
fn closure_days_between_christmas_and_new_year_are_skipped() {
    let config = CalendarConfig {
        closure_days: vec![d(2026, 12, 29), d(2026, 12, 30), d(2026, 12, 31)],
        ..CalendarConfig::default()
    };
    let cal = Calendar::new(&config);
    assert!(!cal.is_working_day(d(2026, 12, 30)));
    assert!(cal.is_holiday(d(2026, 12, 30)));
    // Thu 24 = 1, then nothing until Mon 4 January = 2.
    assert_eq!(cal.add_working_days(d(2026, 12, 23), 2), d(2027, 1, 4));
    assert_eq!(cal.add_working_days(d(2026, 12, 23), 5), d(2027, 1, 7));
    let named: Vec<_> = cal
        .holidays_in(2026)
        .into_iter()
        .filter(|h| h.name == "Closure day")
        .map(|h| h.date)
        .collect();
    assert_eq!(named, config.closure_days);
}

#[test]
fn a_removed_holiday_becomes_a_working_day() {
    let config = CalendarConfig {
        removed_holidays: vec![d(2026, 8, 31)],
        ..CalendarConfig::default()
    };
    let cal = Calendar::new(&config);
    assert!(cal.is_working_day(d(2026, 8, 31)));
    assert!(!cal.is_holiday(d(2026, 8, 31)));
    assert_eq!(cal.next_working_day(d(2026, 8, 28)), d(2026, 8, 31));
    assert!(!dates(&cal.holidays_in(2026)).contains(&d(2026, 8, 31)));
    // The default calendar still has it.
    assert!(!ENGLAND_AND_WALES.is_working_day(d(2026, 8, 31)));
}

#[test]
fn an_extra_holiday_is_skipped() {
    let config = CalendarConfig {
        extra_holidays: vec![d(2026, 6, 15)],
        ..CalendarConfig::default()
    };
    let cal = Calendar::new(&config);
    assert!(!cal.is_working_day(d(2026, 6, 15)));
    assert!(cal.is_holiday(d(2026, 6, 15)));
    assert_eq!(cal.next_working_day(d(2026, 6, 12)), d(2026, 6, 16));
    assert!(cal.holidays_in(2026).contains(&BankHoliday {
        date: d(2026, 6, 15),
        name: "Added holiday".into()
    }));
}

#[test]
fn a_moved_holiday_is_a_removal_plus_an_extra_holiday() {
    let config = CalendarConfig {
        removed_holidays: vec![d(2026, 5, 4)],
        extra_holidays: vec![d(2026, 5, 8)],
        ..CalendarConfig::default()
    };
    let cal = Calendar::new(&config);
    assert!(cal.is_working_day(d(2026, 5, 4)));
    assert!(!cal.is_working_day(d(2026, 5, 8)));
    let may: Vec<_> = dates(&cal.holidays_in(2026))
        .into_iter()
        .filter(|x| x.month() == 5)
        .collect();
    assert_eq!(may, vec![d(2026, 5, 8), d(2026, 5, 25)]);
}

#[test]
fn configuration_outside_the_precomputed_range_is_honoured() {
    let config = CalendarConfig {
        extra_holidays: vec![d(2105, 3, 2)],
        removed_holidays: vec![d(1990, 12, 25)],
        closure_days: vec![d(1990, 12, 27)],
        ..CalendarConfig::default()
    };
    let cal = Calendar::new(&config);
    assert!(!cal.is_working_day(d(2105, 3, 2)));
    assert!(cal.is_working_day(d(1990, 12, 25)));
    assert!(!cal.is_working_day(d(1990, 12, 27)));
    assert!(!cal.is_working_day(d(1990, 12, 26)));
    assert_eq!(cal.add_working_days(d(1990, 12, 24), 2), d(1990, 12, 28));
}

#[test]
fn weekends_are_not_holidays_but_are_not_working_days() {
    let cal = &*ENGLAND_AND_WALES;
    assert!(!cal.is_holiday(d(2026, 3, 7)));
    assert!(!cal.is_working_day(d(2026, 3, 7)));
    assert!(cal.is_working_day(d(2026, 3, 9)));
    assert!(cal.is_holiday(d(2026, 12, 25)));
}

#[test]
fn subtract_working_days_counts_back_from_a_date() {
    let cal = &*ENGLAND_AND_WALES;
    assert_eq!(cal.subtract_working_days(d(2027, 1, 4), 5), d(2026, 12, 23));
    assert_eq!(cal.subtract_working_days(d(2026, 4, 7), 1), d(2026, 4, 2));
    // From a Sunday: Friday is one working day before.
    assert_eq!(cal.subtract_working_days(d(2026, 3, 8), 1), d(2026, 3, 6));
}

#[test]
fn working_days_between_is_negative_backwards_and_zero_when_equal() {
    let cal = &*ENGLAND_AND_WALES;
    let (from, to) = (d(2026, 12, 23), d(2027, 1, 4));
    assert_eq!(cal.working_days_between(from, to), 5);
    assert_eq!(cal.working_days_between(to, from), -5);
    assert_eq!(cal.working_days_between(from, from), 0);
    // Friday to Saturday: no working day in (Fri, Sat].
    assert_eq!(cal.working_days_between(d(2026, 3, 6), d(2026, 3, 7)), 0);
    assert_eq!(cal.working_days_between(d(2026, 3, 7), d(2026, 3, 9)), 1);
}

#[test]
fn next_working_day_and_working_day_on_or_after() {
    let cal = &*ENGLAND_AND_WALES;
    assert_eq!(cal.next_working_day(d(2026, 3, 9)), d(2026, 3, 10));
    assert_eq!(cal.next_working_day(d(2026, 4, 2)), d(2026, 4, 7));
    assert_eq!(cal.working_day_on_or_after(d(2026, 3, 9)), d(2026, 3, 9));
    assert_eq!(cal.working_day_on_or_after(d(2026, 4, 3)), d(2026, 4, 7));
    assert_eq!(cal.working_day_on_or_after(d(2026, 3, 7)), d(2026, 3, 9));
}

#[test]
fn holidays_in_lists_bank_holidays_after_configuration() {
    let cal = Calendar::default();
    assert_eq!(
        cal.holidays_in(2026),
        bank_holidays(Region::EnglandAndWales, 2026)
    );
    let config = CalendarConfig {
        extra_holidays: vec![d(2026, 12, 29), d(2026, 12, 25)],
        closure_days: vec![d(2026, 12, 29), d(2026, 12, 30)],
        ..CalendarConfig::default()
    };
    let december: Vec<_> = Calendar::new(&config)
        .holidays_in(2026)
        .into_iter()
        .filter(|h| h.date.month() == 12)
        .map(|h| (h.date.day(), h.name))
        .collect();
    assert_eq!(
        december,
        vec![
            (25, "Christmas Day".to_string()),
            (28, "Boxing Day (substitute day)".to_string()),
            (29, "Added holiday".to_string()),
            (30, "Closure day".to_string()),
        ]
    );
}

#[test]
fn scotland_has_st_andrews_day_and_2_january() {
    let holidays = dates(&bank_holidays(Region::Scotland, 2026));
    assert_eq!(
        holidays,
        vec![
            d(2026, 1, 1),
            d(2026, 1, 2),
            d(2026, 4, 3),
            d(2026, 5, 4),
            d(2026, 5, 25),
            d(2026, 8, 3),
            d(2026, 11, 30),
            d(2026, 12, 25),
            d(2026, 12, 28),
        ]
    );
    let cal = Calendar::new(&CalendarConfig {
        region: Region::Scotland,
        ..CalendarConfig::default()
    });
    assert!(!cal.is_working_day(d(2026, 11, 30)));
    assert!(
        cal.is_working_day(d(2026, 4, 6)),
        "no Easter Monday in Scotland"
    );
    assert!(
        cal.is_working_day(d(2026, 8, 31)),
        "summer holiday is in early August"
    );
}

#[test]
fn scotland_new_year_substitutes_do_not_collide() {
    // 2022: 1 Jan Saturday, 2 Jan Sunday -> Monday 3 and Tuesday 4.
    let h2022 = dates(&bank_holidays(Region::Scotland, 2022));
    assert_eq!(&h2022[..2], &[d(2022, 1, 3), d(2022, 1, 4)]);
    // 2023: 1 Jan Sunday, 2 Jan Monday -> Monday 2 and Tuesday 3.
    let h2023 = dates(&bank_holidays(Region::Scotland, 2023));
    assert_eq!(&h2023[..2], &[d(2023, 1, 2), d(2023, 1, 3)]);
    // 2024: St Andrew's Day Saturday -> Monday 2 December.
    assert!(dates(&bank_holidays(Region::Scotland, 2024)).contains(&d(2024, 12, 2)));
}

#[test]
fn northern_ireland_st_patricks_day_2024_on_sunday_moves_to_monday_18_march() {
    let holidays = dates(&bank_holidays(Region::NorthernIreland, 2024));
    assert_eq!(
        holidays,
        vec![
            d(2024, 1, 1),
            d(2024, 3, 18),
            d(2024, 3, 29),
            d(2024, 4, 1),
            d(2024, 5, 6),
            d(2024, 5, 27),
            d(2024, 7, 12),
            d(2024, 8, 26),
            d(2024, 12, 25),
            d(2024, 12, 26),
        ]
    );
}

#[test]
fn calendar_config_deserializes_from_toml_with_defaults_and_rejects_unknown_fields() {
    let config: CalendarConfig = toml::from_str(
        r#"
        region = "scotland"
        extra_holidays = ["2026-06-15"]
        closure_days = ["2026-12-29", "2026-12-30"]
        "#,
    )
    .unwrap();
    assert_eq!(config.region, Region::Scotland);
    assert_eq!(config.extra_holidays, vec![d(2026, 6, 15)]);
    assert!(config.removed_holidays.is_empty());
    assert_eq!(config.closure_days.len(), 2);

    let empty: CalendarConfig = toml::from_str("").unwrap();
    assert_eq!(empty, CalendarConfig::default());
    assert_eq!(empty.region, Region::EnglandAndWales);

    assert!(toml::from_str::<CalendarConfig>("closures = []").is_err());
    assert!(toml::from_str::<CalendarConfig>("region = \"wales\"").is_err());
}

// ----- properties -----

fn naive_is_holiday(config: &CalendarConfig, date: NaiveDate) -> bool {
    let bank = bank_holidays(config.region, date.year())
        .iter()
        .any(|h| h.date == date)
        && !config.removed_holidays.contains(&date);
    bank || config.extra_holidays.contains(&date) || config.closure_days.contains(&date)
}

fn naive_is_working_day(config: &CalendarConfig, date: NaiveDate) -> bool {
    !matches!(date.weekday(), Weekday::Sat | Weekday::Sun) && !naive_is_holiday(config, date)
}

fn naive_add(config: &CalendarConfig, date: NaiveDate, n: u32) -> NaiveDate {
    let mut day = date;
    let mut counted = 0;
    while counted < n {
        day = day.succ_opt().unwrap();
        if naive_is_working_day(config, day) {
            counted += 1;
        }
    }
    day
}

fn naive_subtract(config: &CalendarConfig, date: NaiveDate, n: u32) -> NaiveDate {
    let mut day = date;
    let mut counted = 0;
    while counted < n {
        day = day.pred_opt().unwrap();
        if naive_is_working_day(config, day) {
            counted += 1;
        }
    }
    day
}

fn naive_between(config: &CalendarConfig, from: NaiveDate, to: NaiveDate) -> i64 {
    let (lo, hi, sign) = if from <= to {
        (from, to, 1)
    } else {
        (to, from, -1)
    };
    let mut count = 0;
    let mut day = lo;
    while day < hi {
        day = day.succ_opt().unwrap();
        if naive_is_working_day(config, day) {
            count += 1;
        }
    }
    sign * count
}

/// Any date from 1995-01-01 to 2100-12-31.
fn in_range_date() -> impl Strategy<Value = NaiveDate> {
    let first = d(1995, 1, 1);
    let days = (d(2100, 12, 31) - first).num_days();
    (0..=days).prop_map(move |k| first + chrono::Duration::days(k))
}

/// Dates within a year or so of the edges of the precomputed range.
fn edge_date() -> impl Strategy<Value = NaiveDate> {
    prop_oneof![
        (-400i64..400).prop_map(|k| d(1995, 1, 1) + chrono::Duration::days(k)),
        (-400i64..400).prop_map(|k| d(2100, 12, 31) + chrono::Duration::days(k)),
    ]
}

fn region() -> impl Strategy<Value = Region> {
    prop_oneof![
        Just(Region::EnglandAndWales),
        Just(Region::Scotland),
        Just(Region::NorthernIreland),
    ]
}

/// A configuration with changes around 2026-2027 and around the range edges.
fn config() -> impl Strategy<Value = CalendarConfig> {
    let near = || {
        prop_oneof![
            (0i64..730).prop_map(|k| d(2026, 1, 1) + chrono::Duration::days(k)),
            (-30i64..30).prop_map(|k| d(1995, 1, 1) + chrono::Duration::days(k)),
            (-30i64..30).prop_map(|k| d(2100, 12, 31) + chrono::Duration::days(k)),
        ]
    };
    let removed = (region(), 2026i32..=2027, 0usize..10).prop_map(|(r, y, i)| {
        let list = bank_holidays(r, y);
        list[i % list.len()].date
    });
    (
        region(),
        prop::collection::vec(near(), 0..6),
        prop::collection::vec(prop_oneof![removed, near()], 0..6),
        prop::collection::vec(near(), 0..6),
    )
        .prop_map(
            |(region, extra_holidays, removed_holidays, closure_days)| CalendarConfig {
                region,
                extra_holidays,
                removed_holidays,
                closure_days,
            },
        )
}

static CALENDARS: LazyLock<[(CalendarConfig, Calendar); 3]> = LazyLock::new(|| {
    [
        Region::EnglandAndWales,
        Region::Scotland,
        Region::NorthernIreland,
    ]
    .map(|region| {
        let config = CalendarConfig {
            region,
            ..CalendarConfig::default()
        };
        let cal = Calendar::new(&config);
        (config, cal)
    })
});

fn calendar_for(region: Region) -> &'static (CalendarConfig, Calendar) {
    CALENDARS.iter().find(|(c, _)| c.region == region).unwrap()
}

proptest! {
    #[test]
    fn added_working_days_land_on_a_working_day(r in region(), date in in_range_date(), n in 1u32..60) {
        let (_, cal) = calendar_for(r);
        prop_assert!(cal.is_working_day(cal.add_working_days(date, n)));
    }

    #[test]
    fn adding_more_working_days_never_gives_an_earlier_date(r in region(), date in in_range_date(), n in 0u32..60) {
        let (_, cal) = calendar_for(r);
        let a = cal.add_working_days(date, n);
        let b = cal.add_working_days(date, n + 1);
        prop_assert!(a >= date);
        prop_assert!(b > a);
    }

    #[test]
    fn working_days_between_inverts_add(r in region(), date in in_range_date(), n in 0u32..60) {
        let (_, cal) = calendar_for(r);
        let due = cal.add_working_days(date, n);
        prop_assert_eq!(cal.working_days_between(date, due), i64::from(n));
        prop_assert_eq!(cal.working_days_between(due, date), -i64::from(n));
    }

    #[test]
    fn subtract_inverts_add_from_a_working_day(r in region(), date in in_range_date(), n in 0u32..60) {
        let (_, cal) = calendar_for(r);
        let start = cal.working_day_on_or_after(date);
        prop_assert_eq!(cal.subtract_working_days(cal.add_working_days(start, n), n), start);
        // From any day, subtracting never goes past the start.
        prop_assert!(cal.subtract_working_days(cal.add_working_days(date, n), n) <= start);
    }

    #[test]
    fn fast_path_agrees_with_naive_day_by_day_rules(
        r in region(),
        date in in_range_date(),
        other in in_range_date(),
        n in 0u32..60,
    ) {
        let (config, cal) = calendar_for(r);
        prop_assert_eq!(cal.is_working_day(date), naive_is_working_day(config, date));
        prop_assert_eq!(cal.is_holiday(date), naive_is_holiday(config, date));
        prop_assert_eq!(cal.add_working_days(date, n), naive_add(config, date, n));
        prop_assert_eq!(cal.subtract_working_days(date, n), naive_subtract(config, date, n));
        // Keep the naive count short: compare within a couple of years.
        let near = date + chrono::Duration::days((other - date).num_days() % 800);
        prop_assert_eq!(cal.working_days_between(date, near), naive_between(config, date, near));
    }

    #[test]
    fn configured_calendar_agrees_with_naive_rules(
        config in config(),
        offset in 0i64..800,
        other in -60i64..60,
        n in 0u32..60,
    ) {
        let cal = Calendar::new(&config);
        for date in [
            d(2025, 12, 1) + chrono::Duration::days(offset),
            d(1994, 11, 1) + chrono::Duration::days(offset / 8),
            d(2100, 11, 1) + chrono::Duration::days(offset / 8),
        ] {
            prop_assert_eq!(cal.is_working_day(date), naive_is_working_day(&config, date));
            prop_assert_eq!(cal.is_holiday(date), naive_is_holiday(&config, date));
            prop_assert_eq!(cal.add_working_days(date, n), naive_add(&config, date, n));
            prop_assert_eq!(cal.subtract_working_days(date, n), naive_subtract(&config, date, n));
            let to = date + chrono::Duration::days(other);
            prop_assert_eq!(cal.working_days_between(date, to), naive_between(&config, date, to));
        }
    }

    #[test]
    fn slow_path_outside_the_range_agrees_with_naive_rules(
        r in region(),
        date in edge_date(),
        offset in -500i64..500,
        n in 0u32..60,
    ) {
        let (config, cal) = calendar_for(r);
        prop_assert_eq!(cal.is_working_day(date), naive_is_working_day(config, date));
        prop_assert_eq!(cal.is_holiday(date), naive_is_holiday(config, date));
        prop_assert_eq!(cal.add_working_days(date, n), naive_add(config, date, n));
        prop_assert_eq!(cal.subtract_working_days(date, n), naive_subtract(config, date, n));
        let other = date + chrono::Duration::days(offset);
        prop_assert_eq!(cal.working_days_between(date, other), naive_between(config, date, other));
    }
}

#[test]
fn far_away_years_still_work() {
    let cal = &*ENGLAND_AND_WALES;
    // 2500-12-25 is a Saturday: substitutes Monday 27 and Tuesday 28.
    assert!(!cal.is_working_day(d(2500, 12, 27)));
    assert_eq!(cal.next_working_day(d(2500, 12, 24)), d(2500, 12, 29));
    let (from, to) = (d(1900, 1, 1), d(2300, 1, 1));
    assert_eq!(
        cal.working_days_between(from, to),
        naive_between(&CalendarConfig::default(), from, to)
    );
    assert_eq!(
        cal.add_working_days(d(1850, 3, 1), 40),
        naive_add(&CalendarConfig::default(), d(1850, 3, 1), 40)
    );
}
