//! The public form's optional questions over real HTTP against a running `p3 serve` (issue 16
//! item 4): someone complaining for the resident with their consent, the adjustments they
//! need, and how and in what format they want to hear from us, as JSON and as a plain HTML
//! form. What they ask for is on the case staff open; a refused answer records nothing.

mod support;

use serde_json::{json, Value};
use support::*;

fn complaint() -> Value {
    json!({
        "name": "Ada Resident",
        "address": "1 High Street, Liverpool",
        "description": "The lift has been broken for a month.",
    })
}

async fn staff_case(s: &Server, c: &reqwest::Client, token: &str, reference: &str) -> Value {
    let (status, case) = get_json(
        c,
        &s.url(&format!("/staff/complaints/{reference}")),
        Some(token),
    )
    .await;
    assert_eq!(status, 200, "{case}");
    case
}

async fn open_count(s: &Server, c: &reqwest::Client, token: &str) -> Value {
    get_json(c, &s.url("/staff/complaints"), Some(token))
        .await
        .1["count"]
        .clone()
}

#[tokio::test]
async fn a_representative_adjustments_and_large_print_are_recorded_with_the_receipt() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(dir.path());
    let t = staffs(&s);
    let c = client();
    let mut body = complaint();
    body["representative_name"] = json!("Ben Resident");
    body["representative_relationship"] = json!("Son");
    body["representative_email"] = json!("Ben@Example.org");
    body["representative_consent"] = json!(true);
    body["adjustments"] = json!("Please phone before visiting; I cannot read small print.");
    body["contact_method"] = json!("post");
    body["letter_format"] = json!("large_print");
    let (status, created, _) = post_json(&c, &s.url("/complaints"), None, &body).await;
    assert_eq!(status, 201, "{created}");
    let reference = created["reference"].as_str().unwrap();

    let case = staff_case(&s, &c, &t.officer, reference).await;
    assert_eq!(case["representative"]["name"], "Ben Resident");
    assert_eq!(case["representative"]["relationship"], "Son");
    assert_eq!(case["representative"]["email"], "ben@example.org");
    assert_eq!(case["representative"]["authorised_copies"], true);
    assert_eq!(case["contact"]["method"], "post");
    assert_eq!(case["contact"]["format"], "large_print");
    assert_eq!(
        case["needs"]["adjustments"],
        "Please phone before visiting; I cannot read small print."
    );
    assert_eq!(case["needs"]["consent"], true);
    assert_eq!(
        case["needs"]["review_on"],
        deadline(&case, "stage1_acknowledgement")["due"],
        "reviewed with the resident when the complaint is acknowledged"
    );
    let kinds: Vec<&str> = case["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["type"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        ["received", "needs_recorded", "contact_preferences_set"]
    );
}

#[tokio::test]
async fn a_representative_without_the_residents_consent_is_refused_and_nothing_is_recorded() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(dir.path());
    let t = staffs(&s);
    let c = client();
    let mut body = complaint();
    body["representative_name"] = json!("Ben Resident");
    body["adjustments"] = json!("Large print letters");
    let (status, problem, _) = post_json(&c, &s.url("/complaints"), None, &body).await;
    assert_eq!(status, 422, "{problem}");
    let fields: Vec<&str> = problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["representative_consent"], "{problem}");

    // Every field at fault at once, the complaint's own and the questions'.
    let body = json!({
        "address": "1 High Street",
        "representative_relationship": "Son",
        "contact_method": "email",
        "letter_format": "gold_leaf",
    });
    let (status, problem, _) = post_json(&c, &s.url("/complaints"), None, &body).await;
    assert_eq!(status, 422, "{problem}");
    let fields: Vec<&str> = problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    for f in [
        "description",
        "representative_name",
        "contact_method",
        "letter_format",
    ] {
        assert!(fields.contains(&f), "{f} missing from {problem}");
    }
    assert_eq!(open_count(&s, &c, &t.officer).await, 0, "nothing recorded");
}

#[tokio::test]
async fn the_html_form_asks_without_javascript_and_keeps_the_answers_after_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(dir.path());
    let t = staffs(&s);
    let c = client();
    let res = c.get(s.url("/")).send().await.unwrap();
    let cookie = res.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_string();
    let page = res.text().await.unwrap();
    for id in [
        "representative_name",
        "representative_consent",
        "adjustments",
        "contact_method",
        "letter_format",
        "language",
    ] {
        assert!(
            page.contains(&format!("id=\"{id}\"")),
            "no {id} on the form"
        );
    }
    let hidden = |name: &str| {
        let marker = format!("name=\"{name}\" value=\"");
        let start = page.find(&marker).unwrap() + marker.len();
        page[start..start + page[start..].find('"').unwrap()].to_string()
    };
    let mut form = vec![
        ("csrf_token", hidden("csrf_token")),
        ("idempotency_key", hidden("idempotency_key")),
        ("name", "Ada Resident".to_string()),
        ("email", "ada@example.org".to_string()),
        ("description", "The lift has been broken.".to_string()),
        ("representative_name", "Ben <b>Resident</b>".to_string()),
        ("representative_relationship", "Son".to_string()),
        ("adjustments", "Call before visiting".to_string()),
        ("contact_method", "phone".to_string()),
        ("letter_format", "braille".to_string()),
    ];
    let res = c
        .post(s.url("/complaints"))
        .header("cookie", &cookie)
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 422);
    let html = res.text().await.unwrap();
    assert!(html.contains("href=\"#representative_consent\""), "{html}");
    assert!(html.contains("value=\"Ben &lt;b&gt;Resident&lt;/b&gt;\""));
    assert!(html.contains(">Call before visiting</textarea>"));
    assert!(html.contains("value=\"braille\" checked"));
    assert_eq!(open_count(&s, &c, &t.officer).await, 0);

    form.push(("representative_consent", "true".to_string()));
    let res = c
        .post(s.url("/complaints"))
        .header("cookie", &cookie)
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 303);
    let (_, list) = get_json(&c, &s.url("/staff/complaints"), Some(&t.officer)).await;
    let reference = list["cases"][0]["reference"].as_str().unwrap().to_string();
    let case = staff_case(&s, &c, &t.officer, &reference).await;
    assert_eq!(case["representative"]["name"], "Ben <b>Resident</b>");
    assert_eq!(case["contact"]["method"], "phone");
    assert_eq!(case["contact"]["format"], "braille");
    assert_eq!(case["needs"]["adjustments"], "Call before visiting");
}
