//! The rendered reports: what a month's CSV and workbook hold (as at the month's end, no
//! contact details), formula injection made inert while numbers stay numbers, HTML escaped,
//! and the same bytes every time.

use std::io::Read;

use chrono::{DateTime, Utc};
use p3_domain::case::{Actor, Case, Command, NewCase, Rules};
use p3_domain::complaint::{Channel, ComplaintDetails, Resident, Tenure};
use p3_domain::event::{Outcome, PointDecision, StageResponse};
use p3_domain::london::Month;
use p3_domain::ports::{MonthRecords, ReportSource, StoreError};
use p3_domain::report::Homes;
use p3_domain::service_request::ServiceRequest;
use p3_reports::{cases, render, Format, ReportSettings};

fn t(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

fn actor(by: &str, at: &str) -> Actor {
    Actor {
        by: by.into(),
        at: t(at),
        now: t(at),
    }
}

fn open(reference: &str, category: &str, at: &str) -> Case {
    let new = NewCase {
        procedure: "housing".into(),
        complaint: ComplaintDetails {
            resident: Resident {
                name: Some("Ada Resident".into()),
                email: Some("ada@example.org".into()),
                phone: Some("07700 900123".into()),
                ..Default::default()
            },
            representative: None,
            channel: Channel::Web,
            category: Some(category.into()),
            description: "=HYPERLINK(\"http://evil.example\",\"click\")".into(),
            desired_outcome: None,
            tenure: Tenure::LowCostRental,
        },
        service_request: None,
        access_code_hash: None,
        first_contact_resolution: None,
    };
    Case::open(
        reference,
        new,
        &actor("officer@p3.example", at),
        &Rules::default(),
    )
    .unwrap()
}

fn run(case: Case, command: Command, by: &str, at: &str) -> Case {
    case.execute(command, &actor(by, at), &Rules::default())
        .unwrap()
        .0
}

fn ack(case: Case, at: &str) -> Case {
    run(
        case,
        Command::Acknowledge {
            responsible_for: None,
            not_responsible_for: None,
            investigating_manager: Some("im@p3.example".into()),
            reviewer: None,
            complaint_points: vec!["The boiler".into()],
        },
        "officer@p3.example",
        at,
    )
}

fn respond(case: Case, at: &str) -> Case {
    run(
        case,
        Command::Respond {
            stage: 1,
            response: StageResponse {
                outcome: Outcome::PartlyUpheld,
                summary: "Our decision".into(),
                remedy: None,
                point_decisions: vec![PointDecision {
                    point: "The boiler".into(),
                    decision: Outcome::PartlyUpheld,
                    reason: Some("The reasons for it".into()),
                }],
                actions: vec![],
                compensation_pence: None,
                learning: None,
            },
        },
        "im@p3.example",
        at,
    )
}

/// October 2025: A (formula category) acknowledged, extended by 5 days and answered in
/// November; B (`@SUM(1)`) answered in October; C received in September and answered then
/// (not an October case); D received in November (not yet known at the end of October).
fn cases() -> Vec<Case> {
    let a = open(
        "CMP-2025-00001",
        "=HYPERLINK(\"http://x\")",
        "2025-10-06T10:00:00Z",
    );
    let a = ack(a, "2025-10-07T10:00:00Z");
    let a = run(
        a,
        Command::Extend {
            working_days: 5,
            reason: "Waiting for a report".into(),
        },
        "im@p3.example",
        "2025-10-17T10:00:00Z",
    );
    let a = respond(a, "2025-11-03T10:00:00Z");
    let b = open("CMP-2025-00002", "@SUM(1)", "2025-10-08T10:00:00Z");
    let b = ack(b, "2025-10-09T10:00:00Z");
    let b = respond(b, "2025-10-10T10:00:00Z");
    let c = open("CMP-2025-00003", "repairs", "2025-09-01T10:00:00Z");
    let c = ack(c, "2025-09-02T10:00:00Z");
    let c = respond(c, "2025-09-03T10:00:00Z");
    let d = open(
        "CMP-2025-00004",
        "<script>alert(1)</script>",
        "2025-11-05T10:00:00Z",
    );
    vec![a, b, c, d]
}

fn october() -> Month {
    "2025-10".parse().unwrap()
}

/// Every case, whatever the month: a source may return more than a month needs.
struct Everything(Vec<Case>, Vec<ServiceRequest>);

#[async_trait::async_trait]
impl ReportSource for Everything {
    async fn month_records(&self, _month: Month) -> Result<MonthRecords, StoreError> {
        Ok(MonthRecords {
            cases: self.0.clone(),
            service_requests: self.1.clone(),
            rows_read: self.0.len() as u64,
        })
    }
}

fn settings() -> ReportSettings {
    ReportSettings {
        landlord: "P3 <Housing> & Co".into(),
        homes: Homes {
            low_cost_rental: Some(1000),
            low_cost_home_ownership: None,
        },
        lessons_learned: None,
    }
}

#[test]
fn a_months_cases_are_those_it_counts_as_they_stood_at_its_end() {
    let lines = cases::case_lines(&cases(), october(), &Rules::default());
    let refs: Vec<&str> = lines.iter().map(|l| l.reference.as_str()).collect();
    assert_eq!(refs, ["CMP-2025-00001", "CMP-2025-00002"]);
    let a = &lines[0];
    // Answered on 3 November: at the end of October it was acknowledged, extended, pending.
    assert_eq!(a.status, "acknowledged");
    assert_eq!(a.outcome, None);
    assert_eq!(a.extended_working_days, 5);
    let (_, due, status) = a
        .deadlines
        .iter()
        .find(|(k, _, _)| k.to_string() == "stage1_response")
        .unwrap();
    // 6 Oct + 10 + 5 working days = Mon 27 Oct; breached by the end of October.
    assert_eq!(due.to_string(), "2025-10-27");
    assert_eq!(
        serde_json::to_value(status).unwrap(),
        serde_json::json!("breached")
    );
    let b = &lines[1];
    // Answered on 10 October; the window to ask for Stage 2 ended on 24 October.
    assert_eq!(b.status, "closed");
    assert_eq!(b.outcome.as_deref(), Some("partly_upheld"));
}

#[test]
fn the_csv_has_one_row_per_case_with_formulas_inert_and_numbers_as_numbers() {
    let lines = cases::case_lines(&cases(), october(), &Rules::default());
    let bytes = render::csv(&lines).unwrap();
    let text = String::from_utf8(bytes.clone()).unwrap();
    assert!(!text.contains("Ada"), "no resident details: {text}");
    assert!(!text.contains("ada@example.org"));
    assert!(!text.contains("07700"));
    assert!(!text.contains("evil.example"), "no descriptions");
    let mut r = csv::Reader::from_reader(bytes.as_slice());
    let header: Vec<String> = r.headers().unwrap().iter().map(String::from).collect();
    for column in [
        "reference",
        "received_on",
        "stage",
        "status",
        "stage1_acknowledgement_due",
        "stage1_acknowledgement_status",
        "stage1_response_due",
        "stage1_response_code_status",
        "stage2_request_window_due",
        "stage2_response_status",
        "outcome",
        "category",
        "channel",
        "tenure",
        "extended_working_days",
    ] {
        assert!(header.iter().any(|h| h == column), "{column} in {header:?}");
    }
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    let rows: Vec<csv::StringRecord> = r.records().map(|r| r.unwrap()).collect();
    assert_eq!(rows.len(), 2);
    assert_eq!(&rows[0][col("category")], "'=HYPERLINK(\"http://x\")");
    assert_eq!(&rows[1][col("category")], "'@SUM(1)");
    assert_eq!(&rows[0][col("extended_working_days")], "5");
    assert_eq!(&rows[0][col("stage")], "1");
    assert_eq!(&rows[0][col("received_on")], "2025-10-06");
    // The raw text: the number is not quoted, the escaped formula is.
    assert!(
        text.contains(",1,acknowledged,"),
        "stage is a bare number: {text}"
    );
    assert!(text.contains("\"'=HYPERLINK(\"\"http://x\"\")\""), "{text}");
}

fn unzip(bytes: &[u8]) -> std::collections::BTreeMap<String, String> {
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).expect("a valid zip");
    let mut out = std::collections::BTreeMap::new();
    for i in 0..zip.len() {
        let mut f = zip.by_index(i).unwrap();
        let mut s = String::new();
        if f.read_to_string(&mut s).is_ok() {
            out.insert(f.name().to_string(), s);
        }
    }
    out
}

#[test]
fn the_workbook_has_a_summary_and_a_cases_sheet_with_inert_text_and_real_numbers() {
    let cs = cases();
    let data =
        p3_domain::report::monthly(&cs, &[], october(), &Rules::default(), &settings().homes);
    let lines = cases::case_lines(&cs, october(), &Rules::default());
    let bytes = render::xlsx("P3 Housing", &data, &lines).unwrap();
    assert_eq!(
        bytes,
        render::xlsx("P3 Housing", &data, &lines).unwrap(),
        "the same report gives the same bytes"
    );
    let files = unzip(&bytes);
    let workbook = &files["xl/workbook.xml"];
    assert!(workbook.contains("name=\"Summary\""), "{workbook}");
    assert!(workbook.contains("name=\"Cases\""), "{workbook}");
    let summary = &files["xl/worksheets/sheet1.xml"];
    let cases_sheet = &files["xl/worksheets/sheet2.xml"];
    let strings = &files["xl/sharedStrings.xml"];
    // The escaped text is there, never the bare formula.
    assert!(
        strings.contains("<t>'=HYPERLINK(\"http://x\")</t>"),
        "{strings}"
    );
    assert!(strings.contains("<t>'@SUM(1)</t>"));
    assert!(!strings.contains("<t>=HYPERLINK"));
    assert!(
        !summary.contains("<f>") && !cases_sheet.contains("<f>"),
        "no formulas"
    );
    assert!(!strings.contains("Ada") && !strings.contains("evil.example"));
    // Numbers are numeric cells (no t="s"): Stage 1 received in October = 2 (A and B).
    assert!(
        summary.contains("<c r=\"B4\" s=\"3\"><v>2</v></c>")
            || regex_like_number(summary, "B4", "2"),
        "{summary}"
    );
    // A's extension on the cases sheet: a number, as is its stage.
    assert!(regex_like_number(cases_sheet, "G2", "1"), "{cases_sheet}");
}

/// True when cell `r` holds the number `v` (any style, not a shared string).
fn regex_like_number(sheet: &str, r: &str, v: &str) -> bool {
    sheet.split("<c ").any(|c| {
        c.starts_with(&format!("r=\"{r}\""))
            && !c.contains("t=\"s\"")
            && c.contains(&format!("<v>{v}</v>"))
    })
}

#[tokio::test]
async fn the_html_report_escapes_everything_and_draws_its_charts() {
    let source = Everything(cases(), vec![]);
    let html = p3_reports::monthly(
        &source,
        october(),
        Format::Html,
        &Rules::default(),
        &settings(),
    )
    .await
    .unwrap();
    assert_eq!(html.file_name, "complaints-2025-10.html");
    let text = String::from_utf8(html.bytes).unwrap();
    assert!(text.starts_with("<!DOCTYPE html>"));
    assert!(
        text.contains("P3 &lt;Housing&gt; &amp; Co"),
        "landlord escaped"
    );
    assert!(!text.contains("<Housing>"));
    assert!(!text.contains("<script"), "no markup from data");
    assert!(text.contains("Complaints performance: October 2025"));
    assert_eq!(text.matches("<svg").count(), 3, "trend, share, categories");
    // The trend runs November 2024 to October 2025.
    assert!(text.contains(">Nov 24<") && text.contains(">Oct 25<"));
    assert!(text.contains("@media print"));
    // November's case with a script for a category shows in November's report, escaped.
    let nov = p3_reports::monthly(
        &source,
        "2025-11".parse().unwrap(),
        Format::Html,
        &Rules::default(),
        &settings(),
    )
    .await
    .unwrap();
    let nov = String::from_utf8(nov.bytes).unwrap();
    assert!(nov.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(!nov.contains("<script"));
}

#[tokio::test]
async fn the_annual_report_shows_the_lessons_escaped_or_a_placeholder() {
    let source = Everything(cases(), vec![]);
    let rules = Rules::default();
    let without = p3_reports::annual(&source, 2025, Format::Html, &rules, &settings(), None)
        .await
        .unwrap();
    assert_eq!(without.file_name, "complaints-annual-2025-26.html");
    let without = String::from_utf8(without.bytes).unwrap();
    assert!(
        without.contains("Annual Complaints Performance and Service Improvement Report 2025/26")
    );
    assert!(without.contains("lessons_learned_file"), "the placeholder");
    assert!(without.contains("April 2025") && without.contains("March 2026"));
    let with = ReportSettings {
        lessons_learned: Some("We learned <b>a lot</b> & changed our repairs process.".into()),
        ..settings()
    };
    let html = p3_reports::annual(&source, 2025, Format::Html, &rules, &with, None)
        .await
        .unwrap();
    let html = String::from_utf8(html.bytes).unwrap();
    assert!(html.contains("We learned &lt;b&gt;a lot&lt;/b&gt; &amp; changed our repairs process."));
    assert!(!html.contains("lessons_learned_file"));
    let json = p3_reports::annual(&source, 2025, Format::Json, &rules, &with, None)
        .await
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&json.bytes).unwrap();
    assert_eq!(v["from"], "2025-04");
    assert_eq!(v["to"], "2026-03");
    assert_eq!(v["months"].as_array().unwrap().len(), 12);
    // October 2025: A and B received; the year: A, B and D (C was in September, also in the year).
    assert_eq!(v["months"][6]["stage1"]["received"], 2);
    assert_eq!(v["totals"]["stage1"]["received"], 4);
    assert!(
        p3_reports::annual(&source, 2025, Format::Csv, &rules, &with, None)
            .await
            .is_err()
    );
}

#[tokio::test]
async fn the_monthly_export_is_every_format_and_its_json_is_the_domains_report() {
    let cs = cases();
    let source = Everything(cs.clone(), vec![]);
    let files = p3_reports::export_month(&source, october(), &Rules::default(), &settings())
        .await
        .unwrap();
    let names: Vec<&str> = files.iter().map(|f| f.file_name.as_str()).collect();
    assert_eq!(
        names,
        [
            "complaints-2025-10.json",
            "complaints-2025-10.csv",
            "complaints-2025-10.xlsx",
            "complaints-2025-10.html"
        ]
    );
    let expected =
        p3_domain::report::monthly(&cs, &[], october(), &Rules::default(), &settings().homes);
    let got: serde_json::Value = serde_json::from_slice(&files[0].bytes).unwrap();
    assert_eq!(got, serde_json::to_value(&expected).unwrap());
    assert!(files[0].bytes.ends_with(b"}\n"));
    for (f, format) in files.iter().zip(Format::ALL) {
        assert_eq!(f.content_type, format.content_type());
        let again = p3_reports::monthly(&source, october(), format, &Rules::default(), &settings())
            .await
            .unwrap();
        assert_eq!(again.bytes, f.bytes, "{}", f.file_name);
    }
}
