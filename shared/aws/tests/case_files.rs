//! The case page's "Add a file" on AWS against the emulator (issues 15 items 5 and 7, 17 item
//! 9): the `pages` function renders the form as a presigned POST into the bucket's inbox
//! (signed without an S3 client), a browser posts a 5.5 MB file straight to the bucket (moto),
//! which sends it to the confirm page; the `case-files` function shows the file from the inbox
//! and its POST keeps it with the case in the table and under `cases/` in the bucket, the slot
//! emptied. Staff's claims come as an authorizer would pass them on, which the functions read
//! as the pages' session (the session cookie itself is checked in `tests/sign_in.rs`).

mod support;

use std::collections::HashMap;
use std::sync::Arc;

use aws_config::SdkConfig;
use base64::Engine;
use chrono::Utc;
use p3_aws::dynamo::{create_table, DynamoStore};
use p3_aws::s3_attachments::s3_client;
use p3_aws::wiring::{self, AwsSettings};
use p3_domain::attachment::sha256_hex;
use p3_domain::inbox::UploadForm;
use p3_domain::ports::CaseStore;
use serde_json::Value;
use support::browser::post_as_browser;
use support::{dynamo, endpoint, repo};

const SAMPLE: &str = "CMP-2026-00042";
const REFERENCE: &str = "CMP-2026-00077";
const BASE_URL: &str = "https://complaints.p3housing.example";

fn sample(file: &str) -> Value {
    let path = repo().join("events").join(file);
    let text = std::fs::read_to_string(&path)
        .unwrap()
        .replace(SAMPLE, REFERENCE);
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// `file` for a member of staff in `role`, their claims as an authorizer passes them on.
fn as_staff(file: &str, role: &str) -> Value {
    let mut e = sample(file);
    let mut claims = sample("cases/get-case.json")["requestContext"]["authorizer"].clone();
    claims["jwt"]["claims"]["cognito:groups"] = Value::from(format!("[{role}]"));
    claims["jwt"]["claims"]["email"] = Value::from(format!("{role}@p3.example"));
    e["requestContext"]["authorizer"] = claims;
    e
}

fn with_query(mut e: Value, query: &str) -> Value {
    e["rawQueryString"] = Value::from(query);
    let params: serde_json::Map<String, Value> = form_urlencoded::parse(query.as_bytes())
        .map(|(k, v)| (k.into_owned(), Value::from(v.into_owned())))
        .collect();
    e["queryStringParameters"] = Value::Object(params);
    e
}

fn with_form(mut e: Value, fields: &[(&str, &str)]) -> Value {
    let body: String = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(fields)
        .finish();
    e["headers"]["content-length"] = Value::from(body.len().to_string());
    e["body"] = Value::from(body);
    e
}

/// The status, the headers and the body the function answered.
async fn answer(app: &axum::Router, event: Value) -> (i64, Value, String) {
    let request = serde_json::from_value(event).expect("an HTTP API event");
    let out = wiring::answer_http(app.clone(), request)
        .await
        .expect("answered");
    (
        out["statusCode"].as_i64().unwrap(),
        out["headers"].clone(),
        out["body"].as_str().unwrap_or_default().to_string(),
    )
}

fn unescape(s: &str) -> String {
    s.replace("&quot;", "\"")
        .replace("&#34;", "\"")
        .replace("&#39;", "'")
        .replace("&#x27;", "'")
        .replace("&#x2F;", "/")
        .replace("&#47;", "/")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

/// The case page's "Add a file" form, as the browser reads it.
fn file_form(html: &str) -> UploadForm {
    let start = html.find("id=\"attachment\"").expect("the Add a file form");
    let form = &html[start..];
    let form = &form[form.find("<form").unwrap()..form.find("</form>").unwrap()];
    let attr = |tag: &str, name: &str| -> Option<String> {
        let marker = format!("{name}=\"");
        tag.find(&marker).map(|at| {
            let v = &tag[at + marker.len()..];
            unescape(&v[..v.find('"').unwrap()])
        })
    };
    let url = attr(&form[..form.find('>').unwrap()], "action").unwrap();
    let mut fields = Vec::new();
    for tag in form.split("<input").skip(1) {
        let tag = &tag[..tag.find('>').unwrap()];
        if let (Some(name), Some(value)) = (attr(tag, "name"), attr(tag, "value")) {
            fields.push((name, value));
        }
    }
    assert!(form.trim_end().ends_with("</button>") || form.contains("name=\"file\""));
    UploadForm {
        slot: String::new(),
        url,
        fields,
        expires_at: Utc::now(),
    }
}

fn csrf_of(html: &str) -> String {
    let at = html
        .find("name=\"csrf_token\" value=\"")
        .expect("a CSRF token")
        + 25;
    html[at..].split('"').next().unwrap().to_string()
}

/// A JPEG of about 5.5 MB: more than a Lambda request may carry.
fn large_jpeg() -> Vec<u8> {
    let mut b = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00".to_vec();
    let mut x: u32 = 2463534242;
    while b.len() < 5 * 1024 * 1024 + 512 * 1024 {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        b.extend_from_slice(&x.to_le_bytes());
    }
    b
}

async fn keys(s3: &aws_sdk_s3::Client, bucket: &str, prefix: &str) -> Vec<String> {
    s3.list_objects_v2()
        .bucket(bucket)
        .prefix(prefix)
        .send()
        .await
        .expect("list")
        .contents()
        .iter()
        .filter_map(|o| o.key().map(str::to_string))
        .collect()
}

async fn setup() -> (SdkConfig, AwsSettings, String, DynamoStore) {
    let endpoint = endpoint();
    let sdk = support::moto_sdk(&endpoint).await;
    let table = dynamo::unique_table();
    let client = aws_sdk_dynamodb::Client::new(&sdk);
    create_table(&client, &table, &dynamo::definition())
        .await
        .expect("create the table from the template");
    let store = DynamoStore::new(client, table.clone());
    let case = p3_store_contract::new_case(REFERENCE);
    store
        .save(p3_store_contract::create(&case))
        .await
        .expect("a complaint in the table");
    let bucket = format!("p3-case-files-{}", std::process::id());
    s3_client(&sdk, true)
        .create_bucket()
        .bucket(&bucket)
        .create_bucket_configuration(
            aws_sdk_s3::types::CreateBucketConfiguration::builder()
                .location_constraint(aws_sdk_s3::types::BucketLocationConstraint::EuWest2)
                .build(),
        )
        .send()
        .await
        .expect("create the bucket");
    let sqs = aws_sdk_sqs::Client::new(&sdk);
    let (queue_url, queue_arn) = support::create_queue(
        &sqs,
        &format!("p3-case-files-{}", std::process::id()),
        None,
        None,
    )
    .await;
    // The functions as they start: their own settings (no cookie key, no secret).
    let vars: HashMap<&str, String> = HashMap::from([
        ("TABLE_NAME", table),
        ("QUEUE_URL", queue_url),
        ("QUEUE_ARN", queue_arn.clone()),
        ("DLQ_ARN", queue_arn),
        (
            "SCHEDULE_GROUP",
            format!("p3-case-files-{}", std::process::id()),
        ),
        (
            "SCHEDULER_ROLE_ARN",
            "arn:aws:iam::123456789012:role/r".into(),
        ),
        ("MAIL_FROM", "complaints@p3housing.example".into()),
        ("EXPORT_BUCKET", "exports".into()),
        ("ATTACHMENTS_BUCKET", bucket.clone()),
        ("BASE_URL", BASE_URL.into()),
        ("AWS_ENDPOINT_URL", endpoint),
        ("OIDC_ISSUER", "https://idp.p3housing.example".into()),
        ("OIDC_CLIENT_ID", "p3-staff-pages".into()),
    ]);
    let settings = p3_aws::case_files::case_files_settings(|k| vars.get(k).cloned())
        .expect("the function's settings, without a cookie key");
    assert!(settings.staff_sign_in.is_some(), "the session is checked");
    let reader = DynamoStore::new(
        aws_sdk_dynamodb::Client::new(&sdk),
        settings.table_name.clone(),
    );
    (sdk, settings, bucket, reader)
}

#[tokio::test]
#[ignore = "needs the moto AWS emulator (P3_MOTO_ENDPOINT); run by ./scripts/test"]
async fn a_5_mb_file_goes_from_the_case_page_to_the_bucket_and_the_case_files_function_keeps_it() {
    let (sdk, settings, bucket, store) = setup().await;
    let s3 = s3_client(&sdk, true);
    // The pages as the function builds them: the forms signed without an S3 client, no file
    // store.
    let pages = p3_aws::pages::pages_app_with_forms(
        wiring::service_sending_no_email(&settings, &sdk).await,
        &settings,
        Arc::new(p3_domain::attachment::NoAttachments),
        p3_aws::files::upload_forms(&settings, &sdk),
    )
    .expect("the pages app");
    let files = p3_aws::case_files::case_files_over(&settings, &sdk)
        .await
        .expect("the case-files app");

    // The case page's form posts to the bucket (the emulator), the slot fixed by the policy,
    // back to the confirm page under BASE_URL; the page may post forms there and only there.
    let (status, headers, html) =
        answer(&pages, as_staff("pages/get-case-page.json", "officer")).await;
    assert_eq!(status, 200, "{html}");
    let form = file_form(&html);
    let moto = endpoint();
    assert_eq!(form.url, format!("{}/{bucket}", moto.trim_end_matches('/')));
    let field = |n: &str| {
        form.fields
            .iter()
            .find(|(k, _)| k == n)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let redirect = field("success_action_redirect");
    let confirm_prefix = format!("{BASE_URL}/staff/cases/{REFERENCE}/attachments/new?slot=");
    assert!(redirect.starts_with(&confirm_prefix), "{redirect}");
    let slot = redirect[confirm_prefix.len()..].to_string();
    assert_eq!(field("key"), format!("incoming/{slot}/${{filename}}"));
    let csp = headers["content-security-policy"].as_str().unwrap();
    let moto_origin = p3_api::http::csp::origin_of(&moto).unwrap();
    assert!(
        csp.contains(&format!("form-action 'self' {moto_origin};")),
        "{csp}"
    );

    // The browser posts 5.5 MB to the bucket, which sends it to the confirm page.
    let jpeg = large_jpeg();
    let posted = post_as_browser(&form, "damp in the back bedroom.jpg", &jpeg).await;
    assert_eq!(posted.status().as_u16(), 303, "{:?}", posted.text().await);
    let location = posted.headers()["location"].to_str().unwrap().to_string();
    assert!(location.starts_with(&redirect), "{location}");
    let query = location.split_once('?').unwrap().1.to_string();
    assert_eq!(keys(&s3, &bucket, "incoming/").await.len(), 1);

    // The pages do not serve the confirm page: the case-files function does, reading the file
    // from the inbox (whatever S3 added to the query).
    let get = with_query(
        as_staff("case-files/get-attachment-confirm.json", "officer"),
        &query,
    );
    let (status, _, body) = answer(&pages, get.clone()).await;
    assert_eq!(status, 404, "{body}");
    let (status, _, confirm) = answer(&files, get).await;
    assert_eq!(status, 200, "{confirm}");
    assert!(
        confirm.contains("damp in the back bedroom.jpg"),
        "{confirm}"
    );
    assert!(confirm.contains("5.5 MB"), "{confirm}");
    let csrf = csrf_of(&confirm);

    // An auditor may not add it.
    let refused = with_form(
        as_staff("case-files/post-attachment-confirm.json", "auditor"),
        &[("csrf_token", &csrf), ("slot", &slot), ("description", "x")],
    );
    let (status, _, _) = answer(&files, refused).await;
    assert_eq!(status, 403);

    // The officer adds it: the case in the table has it with its SHA-256, the bucket keeps it
    // under the case, and the slot is emptied.
    let post = with_form(
        as_staff("case-files/post-attachment-confirm.json", "officer"),
        &[
            ("csrf_token", &csrf),
            ("slot", &slot),
            ("description", "Photo of the damp"),
        ],
    );
    let (status, headers, body) = answer(&files, post).await;
    assert_eq!(status, 303, "{body}");
    assert_eq!(
        headers["location"],
        format!("/staff/cases/{REFERENCE}?done=attachment")
    );
    let case = store.load(REFERENCE).await.unwrap().unwrap();
    assert_eq!(case.attachments.len(), 1);
    let kept = &case.attachments[0];
    assert_eq!(kept.filename, "damp in the back bedroom.jpg");
    assert_eq!(kept.size, jpeg.len() as u64);
    assert_eq!(kept.sha256, sha256_hex(&jpeg));
    assert_eq!(kept.description, "Photo of the damp");
    assert!(keys(&s3, &bucket, "incoming/").await.is_empty());
    let under_case = keys(&s3, &bucket, "cases/").await;
    assert_eq!(under_case.len(), 1, "{under_case:?}");
    assert!(under_case[0].contains(REFERENCE), "{under_case:?}");

    // The multipart form (a page of a host without an inbox) is served here too.
    let mut multipart = as_staff("case-files/post-case-attachment.json", "officer");
    let b64 = base64::engine::general_purpose::STANDARD;
    let raw = b64.decode(multipart["body"].as_str().unwrap()).unwrap();
    let raw = String::from_utf8(raw)
        .unwrap()
        .replace("SAMPLE-CSRF", &csrf);
    multipart["headers"]["content-length"] = Value::from(raw.len().to_string());
    multipart["body"] = Value::from(b64.encode(raw));
    let (status, _, body) = answer(&files, multipart.clone()).await;
    assert_eq!(status, 303, "{body}");
    let (status, _, _) = answer(&pages, multipart).await;
    assert_ne!(status, 303, "the pages keep no file");
    assert_eq!(
        store
            .load(REFERENCE)
            .await
            .unwrap()
            .unwrap()
            .attachments
            .len(),
        2
    );

    // No session: sent to sign in, nothing read.
    let anonymous = with_query(sample("case-files/get-attachment-confirm.json"), &query);
    let (status, headers, _) = answer(&files, anonymous).await;
    assert_eq!(status, 303);
    assert!(headers["location"]
        .as_str()
        .unwrap()
        .starts_with("/staff/sign-in"));
}
