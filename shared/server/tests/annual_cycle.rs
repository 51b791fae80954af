//! The annual cycle over real HTTP (issue 16 items 7 and 8): the self-assessment against the
//! Complaint Handling Code with its evidence and the landlord's commentary, the governing body's
//! response, the Ombudsman's orders and the lessons from cases in the annual report, and the
//! quarterly summary. One case is taken through both stages to the Ombudsman's order, today, on
//! the real clock; the financial year and quarter are today's.

mod support;

use chrono::{Datelike, Utc};
use serde_json::{json, Value};
use support::*;

async fn ok(c: &reqwest::Client, url: &str, token: &str, body: Value) -> Value {
    let (status, v, _) = post_json(c, url, Some(token), &body).await;
    assert!(status == 200 || status == 201, "{url}: {v}");
    v
}

async fn put(c: &reqwest::Client, url: &str, token: &str, body: &Value) -> (u16, Value) {
    let res = c
        .put(url)
        .bearer_auth(token)
        .json(body)
        .send()
        .await
        .expect("request sent");
    let status = res.status().as_u16();
    let text = res.text().await.unwrap_or_default();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

async fn get(
    c: &reqwest::Client,
    url: &str,
    token: &str,
) -> (u16, reqwest::header::HeaderMap, Vec<u8>) {
    let res = c
        .get(url)
        .bearer_auth(token)
        .send()
        .await
        .expect("request sent");
    let status = res.status().as_u16();
    let headers = res.headers().clone();
    (status, headers, res.bytes().await.unwrap().to_vec())
}

/// Today's financial year (named by the April it starts in) and quarter of it.
fn this_year_and_quarter() -> (i32, u8) {
    let today = Utc::now().date_naive();
    let year = if today.month() >= 4 {
        today.year()
    } else {
        today.year() - 1
    };
    let quarter = match today.month() {
        4..=6 => 1,
        7..=9 => 2,
        10..=12 => 3,
        _ => 4,
    };
    (year, quarter)
}

/// A complaint through both stages (Stage 1 handled by Ian, Stage 2 by Hannah), each response
/// with what was learned, then the Ombudsman's determination and an order, done today.
async fn lifecycle(s: &Server, t: &Staffs, c: &reqwest::Client) -> String {
    let created = ok(
        c,
        &s.url("/staff/complaints"),
        &t.officer,
        json!({"name": "Ada Resident", "email": "ada@example.org", "description": "The boiler has failed again.",
               "channel": "phone", "category": "repairs"}),
    )
    .await;
    let r = created["reference"].as_str().unwrap().to_string();
    let url = |p: &str| s.url(&format!("/staff/complaints/{r}/{p}"));
    ok(
        c,
        &url("acknowledgement"),
        &t.officer,
        json!({"investigating_manager": "ian@p3.example",
        "complaint_points": ["The boiler"], "responsible_for": "The boiler and its servicing"}),
    )
    .await;
    ok(c, &url("stage1-response"), &t.im, json!({"outcome": "not_upheld", "summary": "The boiler was serviced on time.",
        "point_decisions": [{"point": "The boiler", "decision": "not_upheld", "reason": "Serviced in March."}],
        "learning": "Tell residents the service dates in advance."})).await;
    ok(
        c,
        &url("stage2"),
        &t.officer,
        json!({"reason": "It failed again"}),
    )
    .await;
    ok(
        c,
        &url("acknowledgement"),
        &t.officer,
        json!({"reviewer": "hannah@p3.example",
        "complaint_points": ["The boiler still fails"]}),
    )
    .await;
    ok(c, &url("stage2-response"), &t.senior, json!({"outcome": "upheld", "summary": "On review we uphold it.",
        "remedy": "An apology and a new boiler.",
        "point_decisions": [{"point": "The boiler still fails", "decision": "upheld", "reason": "It is beyond repair."}],
        "learning": "Replace boilers older than 15 years before winter <now>."})).await;
    ok(
        c,
        &url("ombudsman"),
        &t.senior,
        json!({"event": "referred", "detail": "Referred by the resident"}),
    )
    .await;
    ok(
        c,
        &url("ombudsman"),
        &t.senior,
        json!({"event": "determination", "detail": "Service failure"}),
    )
    .await;
    let due = p3_domain::london::london_date(Utc::now());
    ok(
        c,
        &url("ombudsman/orders"),
        &t.senior,
        json!({"description": "Pay £150 for the time and trouble",
        "due": due, "owner": "hannah@p3.example"}),
    )
    .await;
    r
}

fn requirement<'a>(sa: &'a Value, code: &str) -> &'a Value {
    sa["sections"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|s| s["requirements"].as_array().unwrap())
        .find(|r| r["code"] == code)
        .unwrap_or_else(|| panic!("requirement {code} is listed"))
}

fn evidence<'a>(r: &'a Value, label_starts: &str) -> &'a Value {
    r["evidence"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["label"].as_str().unwrap().starts_with(label_starts))
        .unwrap_or_else(|| panic!("{} has evidence {label_starts}: {r}", r["code"]))
}

#[tokio::test]
async fn the_self_assessment_shows_the_code_with_evidence_and_keeps_the_commentary_per_year() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(dir.path());
    let t = staffs(&s);
    let c = client();
    let r = lifecycle(&s, &t, &c).await;
    let (year, _) = this_year_and_quarter();
    let sa_url = s.url(&format!("/staff/reports/self-assessment?year={year}"));

    // The auditor reads it: every section, each requirement with its number and text.
    let (status, sa) = get_json(&c, &sa_url, Some(&t.auditor)).await;
    assert_eq!(status, 200, "{sa}");
    assert_eq!(sa["year"], year);
    assert_eq!(
        sa["code"],
        "Housing Ombudsman Complaint Handling Code (2024)"
    );
    let titles: Vec<&str> = sa["sections"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["title"].as_str().unwrap())
        .collect();
    assert_eq!(titles.len(), 10, "{titles:?}");
    assert_eq!(titles[0], "Definitions");
    assert_eq!(titles[5], "Complaint stages: Stage 1");
    assert_eq!(
        titles[9],
        "Scrutiny and oversight: continuous learning and improvement"
    );
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
        let req = requirement(&sa, code);
        assert!(
            req["text"].as_str().unwrap().len() > 30,
            "{code} has its text"
        );
        assert_eq!(
            req["commentary"],
            Value::Null,
            "{code} has no commentary yet"
        );
    }

    // The evidence held for the year: every point decided at both stages, the Stage 2 review by
    // someone else, the lessons recorded, the Ombudsman's order not yet complied with.
    let decided = evidence(
        requirement(&sa, "6.7"),
        "Stage 1 responses that decided every point",
    );
    assert_eq!(
        (decided["met"].as_u64(), decided["of"].as_u64()),
        (Some(1), Some(1))
    );
    assert_eq!(decided["examples"], json!([r]));
    let decided = evidence(
        requirement(&sa, "6.18"),
        "Stage 2 responses that decided every point",
    );
    assert_eq!(decided["value"], "1 of 1");
    let review = evidence(requirement(&sa, "6.13"), "Stage 2 reviews by someone other");
    assert_eq!(review["value"], "1 of 1");
    let defined = evidence(
        requirement(&sa, "5.6"),
        "Stage 1 acknowledgements that recorded what the landlord",
    );
    assert_eq!(defined["value"], "1 of 1");
    assert_eq!(
        evidence(
            requirement(&sa, "9.1"),
            "Responses that recorded what was learned"
        )["value"],
        "2 of 2"
    );
    let orders = evidence(requirement(&sa, "9.8"), "Ombudsman orders complied with");
    assert_eq!(orders["value"], "0 of 1");
    let ack = evidence(
        requirement(&sa, "6.2"),
        "Stage 1 acknowledged within 5 working days",
    );
    assert_eq!(ack["value"], "1 of 1");
    let categories = evidence(requirement(&sa, "9.5"), "Categories (the setting)");
    assert!(categories["value"]
        .as_str()
        .unwrap()
        .contains("damp_and_mould"));

    // Only a senior manager writes the commentary; an unknown requirement is a 422 naming it
    // and writes nothing.
    let body = json!({"entries": [{"requirement": "6.2", "commentary": "All acknowledged in time.", "action_plan": "Keep the weekly check."}]});
    let (status, _) = put(&c, &sa_url, &t.auditor, &body).await;
    assert_eq!(status, 403);
    let (status, _) = put(&c, &sa_url, &t.im, &body).await;
    assert_eq!(status, 403);
    let bad = json!({"entries": [{"requirement": "6.2", "commentary": "x"}, {"requirement": "6.99", "commentary": "y"}]});
    let (status, problem) = put(&c, &sa_url, &t.senior, &bad).await;
    assert_eq!(status, 422, "{problem}");
    assert_eq!(problem["errors"][0]["field"], "entries[1].requirement");
    let (status, record) = put(&c, &sa_url, &t.senior, &body).await;
    assert_eq!(status, 200, "{record}");
    assert_eq!(
        record["self_assessment"]["6.2"]["updated_by"],
        "hannah@p3.example"
    );
    let (_, sa) = get_json(&c, &sa_url, Some(&t.auditor)).await;
    assert_eq!(
        requirement(&sa, "6.2")["commentary"],
        "All acknowledged in time."
    );
    assert_eq!(
        requirement(&sa, "6.2")["action_plan"],
        "Keep the weekly check."
    );
    // Kept per year: the year before has none.
    let (_, before) = get_json(
        &c,
        &s.url(&format!("/staff/reports/self-assessment?year={}", year - 1)),
        Some(&t.auditor),
    )
    .await;
    assert_eq!(requirement(&before, "6.2")["commentary"], Value::Null);

    // CSV and Excel download one row per requirement; the HTML page shows the commentary
    // escaped and links the example cases.
    let (status, headers, csv) = get(&c, &format!("{sa_url}&format=csv"), &t.auditor).await;
    assert_eq!(status, 200);
    assert!(headers["content-disposition"]
        .to_str()
        .unwrap()
        .starts_with("attachment; filename=\"self-assessment-"));
    let csv = String::from_utf8(csv).unwrap();
    assert!(csv.starts_with(
        "section,section_title,requirement,text,evidence,examples,commentary,action_plan\n"
    ));
    assert!(csv.contains("All acknowledged in time."));
    let rows = csv::Reader::from_reader(csv.as_bytes()).records().count();
    let listed: usize = sa["sections"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["requirements"].as_array().unwrap().len())
        .sum();
    assert_eq!(rows, listed);
    let (status, headers, xlsx) = get(&c, &format!("{sa_url}&format=xlsx"), &t.auditor).await;
    assert_eq!(status, 200);
    assert_eq!(
        headers["content-type"],
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    );
    assert!(xlsx.starts_with(b"PK"));
    let (status, _, html) = get(&c, &format!("{sa_url}&format=html"), &t.auditor).await;
    assert_eq!(status, 200);
    let html = String::from_utf8(html).unwrap();
    assert!(html.contains("Section 5: The complaint handling process"));
    assert!(html.contains(&format!("<a href=\"/staff/cases/{r}\">{r}</a>")));
    assert!(html.contains("All acknowledged in time."));

    // Bad parameters name themselves.
    for (q, field) in [
        ("year=20x5", "year"),
        ("year=2025&format=pdf", "format"),
        ("", "year"),
    ] {
        let (status, p) = get_json(
            &c,
            &s.url(&format!("/staff/reports/self-assessment?{q}")),
            Some(&t.auditor),
        )
        .await;
        assert_eq!(status, 422, "{q}: {p}");
        assert_eq!(p["errors"][0]["field"], field);
    }
}

#[tokio::test]
async fn the_annual_report_and_the_quarterly_summary_carry_the_ombudsman_the_lessons_and_the_board()
{
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(dir.path());
    let t = staffs(&s);
    let c = client();
    let r = lifecycle(&s, &t, &c).await;
    let (year, quarter) = this_year_and_quarter();
    let annual = s.url(&format!("/staff/reports/annual?year={year}"));

    let (status, report) = get_json(&c, &annual, Some(&t.auditor)).await;
    // As at the year's end (31 March), an order due today and not yet done is overdue.
    assert_eq!(status, 200);
    assert_eq!(report["ombudsman"]["determinations"][0]["reference"], r);
    let order = &report["ombudsman"]["orders"][0];
    assert_eq!(
        (order["reference"].as_str(), order["status"].as_str()),
        (Some(r.as_str()), Some("overdue"))
    );
    assert_eq!(report["ombudsman"]["orders_complied"], 0);
    let lessons = report["lessons"].as_array().unwrap();
    assert_eq!(lessons.len(), 2);
    assert_eq!(
        lessons[0]["learning"],
        "Tell residents the service dates in advance."
    );
    assert_eq!(lessons[1]["stage"], 2);
    assert_eq!(report["governing_body_response"], Value::Null);

    // The order is done: complied with, by its date.
    let (_, case) = get_json(
        &c,
        &s.url(&format!("/staff/complaints/{r}")),
        Some(&t.auditor),
    )
    .await;
    let number = case["actions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["source"] == "ombudsman_order")
        .map(|a| a["number"].clone())
        .expect("the order is tracked");
    ok(
        &c,
        &s.url(&format!(
            "/staff/complaints/{r}/actions/{number}/completion"
        )),
        &t.senior,
        json!({"note": "Paid £150"}),
    )
    .await;

    // The governing body's response: only a senior manager records it; blank is a 422.
    let gb = s.url(&format!(
        "/staff/reports/annual/governing-body-response?year={year}"
    ));
    let (status, _) = put(&c, &gb, &t.officer, &json!({"text": "Noted."})).await;
    assert_eq!(status, 403);
    let (status, p) = put(&c, &gb, &t.senior, &json!({"text": "   "})).await;
    assert_eq!(status, 422);
    assert_eq!(p["errors"][0]["field"], "text");
    let (status, _) = put(
        &c,
        &gb,
        &t.senior,
        &json!({"text": "The board accepts the report <and> its plan.", "given_on": "2027-06-20"}),
    )
    .await;
    assert_eq!(status, 200);

    let (_, report) = get_json(&c, &annual, Some(&t.auditor)).await;
    assert_eq!(report["ombudsman"]["orders"][0]["status"], "complied");
    assert_eq!(report["ombudsman"]["orders_complied"], 1);
    assert_eq!(
        report["governing_body_response"]["text"],
        "The board accepts the report <and> its plan."
    );
    let (_, _, html) = get(&c, &format!("{annual}&format=html"), &t.auditor).await;
    let html = String::from_utf8(html).unwrap();
    assert!(html.contains("The board accepts the report &lt;and&gt; its plan."));
    assert!(html.contains("Replace boilers older than 15 years before winter &lt;now&gt;."));
    assert!(html.contains("Pay £150 for the time and trouble"));

    // The quarter's summary, as JSON and as a page.
    let q = s.url(&format!(
        "/staff/reports/quarterly?year={year}&quarter={quarter}"
    ));
    let (status, summary) = get_json(&c, &q, Some(&t.auditor)).await;
    assert_eq!(status, 200, "{summary}");
    assert_eq!(summary["quarter"], quarter);
    assert_eq!(summary["months"].as_array().unwrap().len(), 3);
    assert_eq!(summary["totals"]["stage1"]["received"], 1);
    assert_eq!(summary["ombudsman"]["orders_complied"], 1);
    assert_eq!(summary["lessons"].as_array().unwrap().len(), 2);
    let (status, headers, page) = get(&c, &format!("{q}&format=html"), &t.auditor).await;
    assert_eq!(status, 200);
    assert_eq!(headers["content-type"], "text/html; charset=utf-8");
    let page = String::from_utf8(page).unwrap();
    assert!(page.contains(&format!("Complaints summary: quarter {quarter} of")));
    for bad in ["quarter=5", "quarter=", "quarter=x"] {
        let (status, p) = get_json(
            &c,
            &s.url(&format!("/staff/reports/quarterly?year={year}&{bad}")),
            Some(&t.auditor),
        )
        .await;
        assert_eq!(status, 422, "{bad}");
        assert_eq!(p["errors"][0]["field"], "quarter");
    }
}
