//! The self-assessment's table of the Code and the quarters of the financial year.

use chrono::NaiveDate;
use p3_domain::annual_record::{check_commentary, check_governing_body_response, CommentaryEdit};
use p3_domain::quarterly::{quarter_before, quarter_months, starts_a_quarter};
use p3_domain::self_assessment::{requirement, SECTIONS};

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

#[test]
fn the_code_is_listed_section_by_section_each_requirement_once() {
    let numbers: Vec<u8> = SECTIONS.iter().map(|s| s.number).collect();
    assert_eq!(numbers, [1, 2, 3, 4, 5, 6, 6, 7, 8, 9]);
    let mut codes: Vec<&str> = SECTIONS
        .iter()
        .flat_map(|s| s.requirements.iter().map(|r| r.code))
        .collect();
    for s in SECTIONS {
        for r in s.requirements {
            let section: u8 = r.code.split('.').next().unwrap().parse().unwrap();
            assert_eq!(section, s.number, "{} is in section {}", r.code, s.number);
            assert!(r.text.ends_with('.'), "{} is a sentence", r.code);
        }
    }
    let all = codes.len();
    codes.sort();
    codes.dedup();
    assert_eq!(codes.len(), all, "no requirement is listed twice");
    // The requirements the issue and the domain rules name.
    for code in [
        "1.3",
        "3.1",
        "5.6",
        "5.9",
        "5.10",
        "5.14-5.15",
        "6.6",
        "6.7",
        "6.17",
        "6.18",
        "8.1",
        "8.2",
        "9.1",
        "9.6",
        "9.7",
        "9.8",
    ] {
        assert!(requirement(code).is_some(), "{code} is listed");
    }
    assert!(requirement("6.99").is_none());
}

#[test]
fn commentary_names_unknown_repeated_and_overlong_entries() {
    let at = chrono::Utc::now();
    let edit = |code: &str, text: &str| CommentaryEdit {
        requirement: code.into(),
        commentary: Some(text.into()),
        action_plan: None,
    };
    let e = check_commentary(
        vec![
            edit("6.2", "ok"),
            edit("6.2", "again"),
            edit("7.9", "x"),
            edit("9.1", &"x".repeat(20_001)),
        ],
        "head@p3.example",
        at,
    )
    .unwrap_err();
    let fields: Vec<&str> = e.errors.iter().map(|f| f.field.as_str()).collect();
    assert_eq!(
        fields,
        [
            "entries[1].requirement",
            "entries[2].requirement",
            "entries[3].commentary"
        ]
    );
    assert_eq!(
        check_commentary(vec![], "head@p3.example", at)
            .unwrap_err()
            .errors[0]
            .field,
        "entries"
    );
    let ok = check_commentary(vec![edit(" 5.6 ", "  Defined.  ")], "head@p3.example", at).unwrap();
    assert_eq!(ok[0].0, "5.6");
    assert_eq!(ok[0].1.commentary.as_deref(), Some("Defined."));
    assert!(check_governing_body_response(" ".into(), None, "h@p3.example", at).is_err());
}

#[test]
fn quarters_run_april_to_march_and_each_is_summarised_after_it_ends() {
    let q1 = quarter_months(2025, 1).unwrap();
    assert_eq!(
        (q1[0].to_string(), q1[2].to_string()),
        ("2025-04".into(), "2025-06".into())
    );
    let q4 = quarter_months(2025, 4).unwrap();
    assert_eq!(
        (q4[0].to_string(), q4[2].to_string()),
        ("2026-01".into(), "2026-03".into())
    );
    assert!(quarter_months(2025, 5).is_none());
    assert_eq!(quarter_before(d(2025, 7, 1)), (2025, 1));
    assert_eq!(quarter_before(d(2025, 9, 30)), (2025, 1));
    assert_eq!(quarter_before(d(2026, 1, 1)), (2025, 3));
    assert_eq!(quarter_before(d(2026, 4, 2)), (2025, 4));
    assert!(starts_a_quarter(d(2026, 4, 1)));
    assert!(!starts_a_quarter(d(2026, 5, 1)));
}
