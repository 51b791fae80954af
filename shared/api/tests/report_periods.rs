//! The reports accept one range of periods, whatever the route or format: a month from
//! 1900-01 to 9998-12 and a financial year from 1900 to 9997 (`p3_domain::report_period`).
//! Months and years from the edges of that range and beyond, through every format of the
//! monthly and annual routes and the staff pages' printable report: none answers 5xx, a
//! well-formed period is answered 200 exactly when it is inside the range, and every refusal
//! is problem+json naming the parameter.

mod support;

use axum::body::Body;
use axum::Router;
use http::{header, Request};
use p3_api::auth::{Role, TokenKey};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use serde_json::{json, Value};
use tower::ServiceExt;

struct World {
    app: Router,
    token: String,
    rt: tokio::runtime::Runtime,
    _dir: tempfile::TempDir,
}

struct Answer {
    status: u16,
    content_type: String,
    body: Vec<u8>,
}

impl World {
    fn new() -> World {
        let (st, dir) = support::state();
        let reporting = p3_api::reports::Reporting {
            source: std::sync::Arc::new(
                p3_sqlite::SqliteStore::open(&dir.path().join("p3.db")).expect("the store"),
            ),
            homes: Default::default(),
            lessons_learned_file: None,
            records: None,
        };
        let token = TokenKey::new(support::KEY.to_vec()).issue(
            "Ada Auditor",
            "ada@p3.example",
            Role::Auditor,
            chrono::Utc::now(),
            chrono::Duration::hours(2),
        );
        let w = World {
            app: p3_api::router(st).layer(axum::Extension(reporting)),
            token,
            rt: tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("a runtime"),
            _dir: dir,
        };
        // One case in the store, so a report has a row to write.
        let req = Request::post("/complaints")
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(
                json!({"name": "Ada Resident", "email": "ada@example.org",
                       "description": "The boiler has failed."})
                .to_string(),
            ))
            .expect("a request");
        assert_eq!(w.send(req).status, 201);
        w
    }

    fn get(&self, uri: &str, page: bool) -> Answer {
        let mut req = Request::get(uri);
        req = if page {
            req.header(
                header::COOKIE,
                format!("{}={}", p3_api::sign_in::SESSION_COOKIE, self.token),
            )
        } else {
            req.header(header::AUTHORIZATION, format!("Bearer {}", self.token))
        };
        self.send(req.body(Body::empty()).expect("a request"))
    }

    fn send(&self, req: Request<Body>) -> Answer {
        self.rt.block_on(async {
            let res = self.app.clone().oneshot(req).await.expect("infallible");
            let status = res.status().as_u16();
            let content_type = res
                .headers()
                .get(header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .to_string();
            let body = axum::body::to_bytes(res.into_body(), usize::MAX)
                .await
                .expect("the body")
                .to_vec();
            Answer {
                status,
                content_type,
                body,
            }
        })
    }
}

/// Years at and around both ends of the range (and of four digits), and any year between.
fn year() -> impl Strategy<Value = i64> {
    prop_oneof![
        prop::sample::select(vec![
            0, 1, 999, 1000, 1898, 1899, 1900, 1901, 2025, 9997, 9998, 9999, 10000, -1, -1900,
        ]),
        0i64..=10_001,
        any::<i32>().prop_map(i64::from),
    ]
}

/// How a year may be written: zero-padded to four digits, bare, or with a sign.
fn written(year: i64, style: u8) -> String {
    match style % 4 {
        0 if year >= 0 => format!("{year:04}"),
        1 if year >= 0 => format!("+{year}"),
        2 => format!(" {year} "),
        _ => year.to_string(),
    }
}

fn in_range_month(year: i64, month: u32) -> bool {
    (1..=12).contains(&month) && (1900..=9998).contains(&year)
}

/// The promise every report answer keeps: no 5xx; a refusal is problem+json with its own
/// status and, for a 422, the parameter named.
fn holds(a: &Answer, what: &str, parameter: &str) -> Result<(), TestCaseError> {
    prop_assert!(
        a.status < 500,
        "{what}: {} {}",
        a.status,
        String::from_utf8_lossy(&a.body)
    );
    if a.status >= 400 {
        prop_assert_eq!(&a.content_type, "application/problem+json", "{}", what);
        let p: Value = serde_json::from_slice(&a.body)
            .map_err(|e| TestCaseError::fail(format!("{what}: problem is not JSON: {e}")))?;
        prop_assert_eq!(p["status"].as_u64(), Some(a.status as u64), "{}", what);
        if a.status == 422 {
            prop_assert_eq!(
                &p["errors"][0]["field"],
                &json!(parameter),
                "{}: {}",
                what,
                p
            );
        }
    }
    Ok(())
}

const MONTHLY: &[(&str, bool)] = &[
    ("/staff/reports/monthly?month={m}", false),
    ("/staff/reports/monthly?month={m}&format=json", false),
    ("/staff/reports/monthly?month={m}&format=csv", false),
    ("/staff/reports/monthly?month={m}&format=xlsx", false),
    ("/staff/reports/monthly?month={m}&format=html", false),
    ("/staff/monthly-report?month={m}", true),
];

#[test]
fn a_month_is_answered_in_every_format_exactly_when_it_is_in_the_reportable_range() {
    let w = World::new();
    let mut runner = TestRunner::new(Config {
        cases: 160,
        failure_persistence: None,
        ..Config::default()
    });
    let tried = std::cell::Cell::new(0);
    runner
        .run(&(year(), 0u32..=13, any::<u8>()), |(y, m, style)| {
            let text = format!("{}-{m:02}", written(y, style));
            let well_formed = (0..=9999).contains(&y) && text == format!("{y:04}-{m:02}");
            for (template, page) in MONTHLY {
                let uri = template.replace("{m}", &urlencode(&text));
                let a = w.get(&uri, *page);
                tried.set(tried.get() + 1);
                holds(&a, &uri, "month")?;
                if well_formed && in_range_month(y, m) {
                    prop_assert_eq!(a.status, 200, "{}", uri);
                } else {
                    prop_assert!(matches!(a.status, 400 | 422), "{uri}: {}", a.status);
                }
            }
            Ok(())
        })
        .unwrap();
    println!("monthly report periods: {} requests, none 5xx", tried.get());
}

#[test]
fn the_edges_of_the_range_are_answered_in_every_format() {
    let w = World::new();
    for (month, ok) in [
        ("1899-12", false),
        ("1900-01", true),
        ("9998-12", true),
        ("9999-01", false),
        ("9999-12", false),
        ("10000-01", false),
        ("0000-00", false),
    ] {
        for (template, page) in MONTHLY {
            let uri = template.replace("{m}", month);
            let a = w.get(&uri, *page);
            assert!(a.status < 500, "{uri}: {}", a.status);
            if ok {
                assert_eq!(a.status, 200, "{uri}: {}", String::from_utf8_lossy(&a.body));
            } else {
                assert_eq!(a.status, 422, "{uri}");
                let p: Value = serde_json::from_slice(&a.body).expect("a problem");
                assert_eq!(p["errors"][0]["field"], "month", "{uri}: {p}");
            }
        }
    }
    // The workbook of the last month is a real workbook (a zip), not an error page.
    let a = w.get("/staff/reports/monthly?month=9998-12&format=xlsx", false);
    assert!(a.body.starts_with(b"PK"), "an xlsx is a zip");
}

#[test]
fn a_financial_year_is_answered_exactly_when_all_its_months_are_reportable() {
    let w = World::new();
    let mut runner = TestRunner::new(Config {
        cases: 160,
        failure_persistence: None,
        ..Config::default()
    });
    let tried = std::cell::Cell::new(0);
    runner
        .run(&(year(), any::<u8>()), |(y, style)| {
            let text = written(y, style);
            for format in ["", "&format=json", "&format=html"] {
                let uri = format!("/staff/reports/annual?year={}{format}", urlencode(&text));
                let a = w.get(&uri, false);
                tried.set(tried.get() + 1);
                holds(&a, &uri, "year")?;
                if (1900..=9997).contains(&y) {
                    prop_assert_eq!(a.status, 200, "{}", uri);
                } else {
                    prop_assert!(matches!(a.status, 400 | 422), "{uri}: {}", a.status);
                }
            }
            Ok(())
        })
        .unwrap();
    println!("annual report periods: {} requests, none 5xx", tried.get());
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'0'..=b'9' | b'a'..=b'z' | b'A'..=b'Z' | b'-' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[test]
fn a_format_given_but_empty_or_unknown_is_refused_naming_format() {
    let w = World::new();
    for uri in [
        "/staff/reports/annual?year=2025&format=",
        "/staff/reports/annual?year=2025&format=%20",
        "/staff/reports/annual?year=2025&format=csv",
        "/staff/reports/monthly?month=2025-04&format=",
        "/staff/reports/monthly?month=2025-04&format=pdf",
    ] {
        let a = w.get(uri, false);
        assert_eq!(a.status, 422, "{uri}: {}", String::from_utf8_lossy(&a.body));
        let p: Value = serde_json::from_slice(&a.body).expect("a problem");
        assert_eq!(p["errors"][0]["field"], "format", "{uri}: {p}");
    }
    // Leaving the format out altogether still means JSON.
    let a = w.get("/staff/reports/annual?year=2025", false);
    assert_eq!(a.status, 200);
    assert!(serde_json::from_slice::<Value>(&a.body).is_ok());
}
