//! The JSON API answers byte for byte as recorded: a complaint's whole lifecycle (intake,
//! acknowledgement, extension, Stage 1 response, Stage 2 request, acknowledgement and response,
//! the case list and the resident's view, and a few refusals) against the real `p3 serve`,
//! compared with `tests/golden/lifecycle.txt`.
//!
//! What changes from run to run is replaced before the comparison, and nothing else: instants
//! (`<instant>`), dates within two years of today (`<date>`), the year in references
//! (`<year>`), dates as letters write them within two years (`<long date>`), the residents'
//! access codes (`<access-code>`) and whether a letter's email has gone yet (`<bool>`, a race with
//! the outbox). To record the file again (only
//! when an answer is meant to change): `P3_RECORD_GOLDEN=1 cargo nextest run -p p3 --test golden`.

mod support;

use serde_json::{json, Value};
use support::*;

/// One request and its answer, as the golden file holds it.
struct Exchange {
    method: &'static str,
    path: String,
    who: &'static str,
    body: Option<Value>,
}

struct Recorder {
    client: reqwest::Client,
    out: String,
    year: String,
    codes: Vec<String>,
}

impl Recorder {
    async fn send(&mut self, s: &Server, token: Option<&str>, x: Exchange) -> Value {
        let url = s.url(&x.path);
        let mut r = match x.method {
            "GET" => self.client.get(&url).header("accept", "application/json"),
            _ => self.client.post(&url),
        };
        if let Some(b) = &x.body {
            r = r.json(b);
        }
        if let Some(t) = token {
            r = r.bearer_auth(t);
        }
        let res = r.send().await.expect("request sent");
        let status = res.status().as_u16();
        let content_type = header(&res, "content-type");
        let etag = header(&res, "etag");
        let text = res.text().await.expect("a body");
        let value: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
        if let Some(code) = value["access_code"].as_str() {
            self.codes.push(code.to_string());
        }
        let shown_path = self.normalise(&x.path);
        self.out
            .push_str(&format!("### {} {} ({})\n", x.method, shown_path, x.who));
        if let Some(b) = &x.body {
            self.out.push_str(&format!("> {b}\n"));
        }
        self.out.push_str(&format!(
            "< {status} content-type: {content_type} etag: {etag}\n"
        ));
        let body = self.normalise(&text);
        self.out.push_str(&body);
        self.out.push_str("\n\n");
        value
    }

    /// Replaces what differs between runs (see the module's comment).
    fn normalise(&self, text: &str) -> String {
        let mut t = text.replace(&format!("CMP-{}-", self.year), "CMP-<year>-");
        for code in &self.codes {
            t = t.replace(code.as_str(), "<access-code>");
        }
        // Whether a letter's email has gone yet races with the outbox's timer.
        t = t
            .replace("\"email_sent\":true", "\"email_sent\":<bool>")
            .replace("\"email_sent\":false", "\"email_sent\":<bool>");
        normalise_long_dates(&normalise_times(&t))
    }
}

fn header(res: &reqwest::Response, name: &str) -> String {
    res.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("-")
        .to_string()
}

/// `YYYY-MM-DDTHH:MM:SS[.fff](Z|±HH:MM)` becomes `<instant>`; a bare `YYYY-MM-DD` within two
/// years of today becomes `<date>` (a date typed into a request, years away, stays).
fn normalise_times(text: &str) -> String {
    let b = text.as_bytes();
    let today = chrono::Utc::now().date_naive();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    let digits = |from: usize, n: usize| {
        from + n <= b.len() && b[from..from + n].iter().all(u8::is_ascii_digit)
    };
    while i < b.len() {
        let date = digits(i, 4)
            && b.get(i + 4) == Some(&b'-')
            && digits(i + 5, 2)
            && b.get(i + 7) == Some(&b'-')
            && digits(i + 8, 2)
            && (i == 0 || !b[i - 1].is_ascii_digit());
        if date {
            let mut end = i + 10;
            let instant = b.get(end) == Some(&b'T')
                && digits(end + 1, 2)
                && b.get(end + 3) == Some(&b':')
                && digits(end + 4, 2)
                && b.get(end + 6) == Some(&b':')
                && digits(end + 7, 2);
            if instant {
                end += 9;
                if b.get(end) == Some(&b'.') {
                    end += 1;
                    while end < b.len() && b[end].is_ascii_digit() {
                        end += 1;
                    }
                }
                if b.get(end) == Some(&b'Z') {
                    end += 1;
                } else if matches!(b.get(end), Some(b'+') | Some(b'-'))
                    && digits(end + 1, 2)
                    && b.get(end + 3) == Some(&b':')
                    && digits(end + 4, 2)
                {
                    end += 6;
                }
                out.push_str("<instant>");
                i = end;
                continue;
            }
            let near = chrono::NaiveDate::parse_from_str(&text[i..i + 10], "%Y-%m-%d")
                .is_ok_and(|d| (d - today).num_days().abs() <= 731);
            if near {
                out.push_str("<date>");
                i = end;
                continue;
            }
        }
        // Copy one whole character.
        let ch = text[i..].chars().next().expect("a character");
        out.push(ch);
        i += ch.len_utf8();
    }
    out
}

/// `Thursday 3 December 2026`, as letters write dates, becomes `<long date>` when it is within
/// two years of today.
fn normalise_long_dates(text: &str) -> String {
    const DAYS: [&str; 7] = [
        "Monday ",
        "Tuesday ",
        "Wednesday ",
        "Thursday ",
        "Friday ",
        "Saturday ",
        "Sunday ",
    ];
    let today = chrono::Utc::now().date_naive();
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    'scan: while !rest.is_empty() {
        for day in DAYS {
            if let Some(after) = rest.strip_prefix(day) {
                let words: Vec<&str> = after.splitn(4, ' ').collect();
                if words.len() >= 3 {
                    let year: String = words[2].chars().take_while(char::is_ascii_digit).collect();
                    let candidate = format!("{} {} {}", words[0], words[1], year);
                    let near = chrono::NaiveDate::parse_from_str(&candidate, "%d %B %Y")
                        .is_ok_and(|d| (d - today).num_days().abs() <= 731);
                    if near {
                        out.push_str("<long date>");
                        let len = day.len() + candidate.len();
                        rest = &rest[len..];
                        continue 'scan;
                    }
                }
            }
        }
        let ch = rest.chars().next().expect("a character");
        out.push(ch);
        rest = &rest[ch.len_utf8()..];
    }
    out
}

fn get(path: String, who: &'static str) -> Exchange {
    Exchange {
        method: "GET",
        path,
        who,
        body: None,
    }
}

fn post(path: String, who: &'static str, body: Value) -> Exchange {
    Exchange {
        method: "POST",
        path,
        who,
        body: Some(body),
    }
}

#[tokio::test]
async fn json_answers_of_a_lifecycle_match_the_recording() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(dir.path());
    let t = staffs(&s);
    let mut r = Recorder {
        client: client(),
        out: String::new(),
        year: chrono::Utc::now().format("%Y").to_string(),
        codes: Vec::new(),
    };

    let created = r
        .send(
            &s,
            None,
            post(
                "/complaints".into(),
                "resident",
                json!({
                    "name": "Ada Resident",
                    "email": "ada.resident@example.org",
                    "phone": "07700 900123",
                    "postcode": "L33 7WQ",
                    "description": "Water has been coming through the kitchen ceiling for three weeks.",
                    "desired_outcome": "Fix the leak and repair the ceiling.",
                    "category": "repairs"
                }),
            ),
        )
        .await;
    let reference = created["reference"]
        .as_str()
        .expect("a reference")
        .to_string();
    let code = created["access_code"].as_str().expect("a code").to_string();
    let case = |rest: &str| format!("/staff/complaints/{reference}{rest}");

    // A problem answer for a form with faults.
    r.send(
        &s,
        None,
        post("/complaints".into(), "resident", json!({"name": ""})),
    )
    .await;
    // A second complaint, taken by staff, so the list holds two.
    r.send(
        &s,
        Some(&t.officer),
        post(
            "/staff/complaints".into(),
            "officer",
            json!({
                "name": "Bo Tenant",
                "phone": "07700 900456",
                "postcode": "L1 8JQ",
                "description": "The lift has been out of order for a fortnight.",
                "desired_outcome": "Repair the lift.",
                "category": "repairs",
                "channel": "phone"
            }),
        ),
    )
    .await;

    r.send(&s, Some(&t.auditor), get(case(""), "auditor")).await;
    r.send(
        &s,
        Some(&t.officer),
        post(
            case("/acknowledgement"),
            "officer",
            json!({"investigating_manager": "ian@p3.example", "complaint_points": ["Leak not fixed", "No reply to calls"]}),
        ),
    )
    .await;
    r.send(
        &s,
        Some(&t.im),
        post(
            case("/extension"),
            "investigating manager",
            json!({"working_days": 10, "reason": "The surveyor's report is awaited."}),
        ),
    )
    .await;
    let resp1 = json!({
        "outcome": "partly_upheld",
        "summary": "We found the repair was booked late.",
        "remedy": "Apology and £50 compensation.",
        "point_decisions": [{"point": "Leak not fixed", "decision": "upheld", "reason": "The repair was booked late."}, {"point": "No reply to calls", "decision": "not_upheld", "reason": "Our call log shows three calls back."}],
        "actions": [{"description": "Repair ceiling", "due": "2030-01-10"}]
    });
    // Refused: the wrong stage, then the wrong role.
    r.send(
        &s,
        Some(&t.senior),
        post(case("/stage2-response"), "senior manager", resp1.clone()),
    )
    .await;
    r.send(
        &s,
        Some(&t.officer),
        post(case("/stage1-response"), "officer", resp1.clone()),
    )
    .await;
    r.send(
        &s,
        Some(&t.im),
        post(case("/stage1-response"), "investigating manager", resp1),
    )
    .await;

    r.send(
        &s,
        None,
        get(format!("/complaints/{reference}?code={code}"), "resident"),
    )
    .await;
    r.send(
        &s,
        None,
        post(
            format!("/complaints/{reference}/stage2?code={code}"),
            "resident",
            json!({"reason": "The ceiling is still damaged."}),
        ),
    )
    .await;
    // Refused: the reviewer must differ from the Stage 1 Investigating Manager.
    r.send(
        &s,
        Some(&t.officer),
        post(
            case("/acknowledgement"),
            "officer",
            json!({"reviewer": "ian@p3.example", "complaint_points": ["The ceiling is still damaged"]}),
        ),
    )
    .await;
    r.send(
        &s,
        Some(&t.officer),
        post(
            case("/acknowledgement"),
            "officer",
            json!({"reviewer": "hannah@p3.example", "complaint_points": ["The ceiling is still damaged"]}),
        ),
    )
    .await;
    r.send(
        &s,
        Some(&t.senior),
        post(
            case("/stage2-response"),
            "senior manager",
            json!({"outcome": "upheld", "summary": "On review we uphold the complaint in full.",
                   "point_decisions": [{"point": "The ceiling is still damaged", "decision": "upheld", "reason": "The repair left the plaster wet."}]}),
        ),
    )
    .await;

    r.send(&s, Some(&t.auditor), get(case(""), "auditor")).await;
    r.send(
        &s,
        Some(&t.auditor),
        get("/staff/complaints".into(), "auditor"),
    )
    .await;
    r.send(
        &s,
        Some(&t.auditor),
        get("/staff/complaints?status=received".into(), "auditor"),
    )
    .await;
    r.send(
        &s,
        Some(&t.auditor),
        get("/staff/complaints?limit=0".into(), "auditor"),
    )
    .await;
    r.send(
        &s,
        None,
        get(format!("/complaints/{reference}?code={code}"), "resident"),
    )
    .await;
    r.send(
        &s,
        None,
        get(
            format!("/complaints/{reference}?code=AAAA-AAAA-AAAA-AAAA"),
            "stranger",
        ),
    )
    .await;
    r.send(&s, None, get(case(""), "nobody")).await;

    let golden =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/lifecycle.txt");
    if std::env::var_os("P3_RECORD_GOLDEN").is_some() {
        std::fs::create_dir_all(golden.parent().unwrap()).unwrap();
        std::fs::write(&golden, &r.out).unwrap();
        return;
    }
    let want = std::fs::read_to_string(&golden).expect("the recording exists");
    if r.out != want {
        let line = r
            .out
            .lines()
            .zip(want.lines())
            .position(|(a, b)| a != b)
            .unwrap_or(0);
        panic!(
            "the answers differ from {} from line {}:\n got: {}\nwant: {}",
            golden.display(),
            line + 1,
            r.out.lines().nth(line).unwrap_or(""),
            want.lines().nth(line).unwrap_or("")
        );
    }
}
