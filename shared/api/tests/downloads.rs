//! A case's file, and the evidence pack's zip, downloaded through the real router: served by
//! the host itself, or, when the store gives a short-lived link (on AWS, a file or a generated
//! download larger than a Lambda answer may carry), a redirect to it with the type and
//! disposition handed to the store.

mod support;

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use axum::body::Body;
use chrono::{Duration, Utc};
use http::{header, Request};
use p3_api::auth::{Role, TokenKey};
use p3_domain::attachment::{AttachmentStore, ServedAs};
use p3_domain::ports::StoreError;
use serde_json::{json, Value};
use tower::ServiceExt;

/// Files in memory; a file over `link_over` bytes is given a link instead of being served.
#[derive(Default)]
struct LinkingStore {
    files: Mutex<HashMap<String, Vec<u8>>>,
    asked: Mutex<Vec<ServedAs>>,
    /// Generated downloads kept for a link: (reference, bytes, how to serve them).
    generated: Mutex<Vec<(String, Vec<u8>, ServedAs)>>,
    /// A generated download over this many bytes gets a link (0: none does).
    generated_over: AtomicU64,
}

const LINK_OVER: u64 = 64;

#[async_trait]
impl AttachmentStore for LinkingStore {
    async fn put(&self, reference: &str, id: &str, bytes: Vec<u8>) -> Result<(), StoreError> {
        self.files
            .lock()
            .unwrap()
            .insert(format!("{reference}/{id}"), bytes);
        Ok(())
    }
    async fn get(&self, reference: &str, id: &str) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self
            .files
            .lock()
            .unwrap()
            .get(&format!("{reference}/{id}"))
            .cloned())
    }
    async fn delete(&self, reference: &str, id: &str) -> Result<(), StoreError> {
        self.files
            .lock()
            .unwrap()
            .remove(&format!("{reference}/{id}"));
        Ok(())
    }
    async fn delete_case(&self, _: &str) -> Result<(), StoreError> {
        Ok(())
    }
    async fn download_link(
        &self,
        reference: &str,
        id: &str,
        size: u64,
        served_as: &ServedAs,
    ) -> Result<Option<String>, StoreError> {
        if size <= LINK_OVER {
            return Ok(None);
        }
        self.asked.lock().unwrap().push(served_as.clone());
        Ok(Some(format!(
            "https://files.example/{reference}/{id}?signed=1"
        )))
    }
    async fn generated_link(
        &self,
        reference: &str,
        bytes: &[u8],
        served_as: &ServedAs,
    ) -> Result<Option<String>, StoreError> {
        let over = self.generated_over.load(Ordering::SeqCst);
        if over == 0 || bytes.len() as u64 <= over {
            return Ok(None);
        }
        let mut kept = self.generated.lock().unwrap();
        kept.push((reference.to_string(), bytes.to_vec(), served_as.clone()));
        Ok(Some(format!(
            "https://files.example/downloads/{reference}/{}?signed=1",
            kept.len()
        )))
    }
}

fn token(role: Role) -> String {
    TokenKey::new(support::KEY.to_vec()).issue(
        "Test User",
        &format!("{}@p3.example", role.as_str()),
        role,
        Utc::now(),
        Duration::hours(1),
    )
}

async fn send(app: &axum::Router, req: Request<Body>) -> (u16, http::HeaderMap, Vec<u8>) {
    let res = app.clone().oneshot(req).await.expect("infallible");
    let status = res.status().as_u16();
    let headers = res.headers().clone();
    let bytes = axum::body::to_bytes(res.into_body(), usize::MAX)
        .await
        .expect("the body");
    (status, headers, bytes.to_vec())
}

async fn new_case(app: &axum::Router) -> String {
    let (status, _, answer) = send(
        app,
        Request::post("/staff/complaints")
            .header(header::AUTHORIZATION, format!("Bearer {}", token(Role::Officer)))
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(
                json!({"name": "Ada", "email": "ada@example.org", "description": "Damp in the bedroom", "channel": "phone"})
                    .to_string(),
            ))
            .unwrap(),
    )
    .await;
    assert_eq!(status, 201, "{}", String::from_utf8_lossy(&answer));
    let case: Value = serde_json::from_slice(&answer).unwrap();
    case["reference"].as_str().unwrap().to_string()
}

async fn add_file(app: &axum::Router, reference: &str, name: &str, bytes: &[u8]) -> String {
    let boundary = "p3-downloads-test";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\nContent-Type: text/plain\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let (status, _, answer) = send(
        app,
        Request::post(format!("/staff/complaints/{reference}/attachments"))
            .header(
                header::AUTHORIZATION,
                format!("Bearer {}", token(Role::Officer)),
            )
            .header(
                header::CONTENT_TYPE,
                format!("multipart/form-data; boundary={boundary}"),
            )
            .body(Body::from(body))
            .unwrap(),
    )
    .await;
    let v: Value = serde_json::from_slice(&answer).unwrap_or(Value::Null);
    assert_eq!(status, 201, "{v}");
    v["id"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn a_file_too_large_for_the_hosts_answers_is_a_redirect_to_the_stores_link() {
    let (mut state, _dir) = support::state();
    let files = Arc::new(LinkingStore::default());
    state.attachments = files.clone();
    let app = p3_api::router(state);
    // Two cases, a file each (the test's ids come from a fixed source of randomness).
    let r = new_case(&app).await;
    let r2 = new_case(&app).await;
    let small = add_file(&app, &r, "note.txt", b"The contractor called on Tuesday.\n").await;
    let large_text = "Damp survey, room by room.\n".repeat(10);
    let large = add_file(&app, &r2, "damp survey.txt", large_text.as_bytes()).await;
    let get = |r: &str, id: &str| {
        Request::get(format!("/staff/complaints/{r}/attachments/{id}"))
            .header(
                header::AUTHORIZATION,
                format!("Bearer {}", token(Role::Auditor)),
            )
            .body(Body::empty())
            .unwrap()
    };

    // Within the host's answers: the bytes themselves.
    let (status, headers, bytes) = send(&app, get(&r, &small)).await;
    assert_eq!(status, 200);
    assert_eq!(bytes, b"The contractor called on Tuesday.\n");
    assert_eq!(headers[header::X_CONTENT_TYPE_OPTIONS], "nosniff");

    // Beyond: a redirect to the store's link, never the bytes, not cached, no referrer.
    let (status, headers, bytes) = send(&app, get(&r2, &large)).await;
    assert_eq!(status, 303);
    assert_eq!(
        headers[header::LOCATION],
        format!("https://files.example/{r2}/{large}?signed=1").as_str()
    );
    assert_eq!(headers[header::CACHE_CONTROL], "private, no-store");
    assert_eq!(headers[header::REFERRER_POLICY], "no-referrer");
    assert!(bytes.is_empty());
    // The store was told how to serve it: the recorded type, as an attachment by its name.
    let asked = files.asked.lock().unwrap().clone();
    assert_eq!(asked.len(), 1);
    assert!(
        asked[0].content_type.starts_with("text/plain"),
        "{:?}",
        asked[0]
    );
    assert!(
        asked[0]
            .content_disposition
            .starts_with("attachment; filename=\"damp survey.txt\""),
        "{:?}",
        asked[0]
    );

    // The role is checked first: a resident's token, or none, gets no link.
    let (status, _, _) = send(
        &app,
        Request::get(format!("/staff/complaints/{r2}/attachments/{large}"))
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(status, 401);
    assert_eq!(files.asked.lock().unwrap().len(), 1);
}

/// The names in a zip and the bytes of the entry `named`.
fn zip_entries(bytes: &[u8], named: &str) -> (Vec<String>, Vec<u8>) {
    let mut z = zip::ZipArchive::new(std::io::Cursor::new(bytes)).expect("a zip");
    let mut names: Vec<String> = z.file_names().map(str::to_string).collect();
    names.sort();
    let mut entry = Vec::new();
    std::io::Read::read_to_end(&mut z.by_name(named).expect(named), &mut entry).unwrap();
    (names, entry)
}

#[tokio::test]
async fn an_evidence_zip_too_large_for_the_hosts_answers_is_a_redirect_to_the_same_zip_kept_by_the_store(
) {
    let (mut state, _dir) = support::state();
    let files = Arc::new(LinkingStore::default());
    state.attachments = files.clone();
    let app = p3_api::router(state);
    let r = new_case(&app).await;
    let survey = "Damp survey, room by room: mould behind the wardrobe.\n".repeat(50);
    let id = add_file(&app, &r, "survey.txt", survey.as_bytes()).await;
    let zip = || {
        Request::get(format!("/staff/complaints/{r}/evidence?format=zip"))
            .header(
                header::AUTHORIZATION,
                format!("Bearer {}", token(Role::SeniorManager)),
            )
            .body(Body::empty())
            .unwrap()
    };

    // Within the host's answers (every zip locally): the zip itself, as before.
    let (status, headers, inline) = send(&app, zip()).await;
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&inline));
    assert_eq!(headers[header::CONTENT_TYPE], "application/zip");
    assert!(files.generated.lock().unwrap().is_empty());
    let (names, kept) = zip_entries(&inline, &format!("attachments/{id}-survey.txt"));
    assert_eq!(kept, survey.as_bytes());

    // Beyond: a redirect to the store's link, never the bytes, not cached, no referrer.
    files
        .generated_over
        .store(inline.len() as u64 / 2, Ordering::SeqCst);
    let (status, headers, body) = send(&app, zip()).await;
    assert_eq!(status, 303);
    assert_eq!(
        headers[header::LOCATION],
        format!("https://files.example/downloads/{r}/1?signed=1").as_str()
    );
    assert_eq!(headers[header::CACHE_CONTROL], "private, no-store");
    assert_eq!(headers[header::REFERRER_POLICY], "no-referrer");
    assert!(body.is_empty());
    // The store keeps the same zip (the same files, the file unchanged), to be served as a
    // zip, downloaded under the case's name.
    let generated = files.generated.lock().unwrap().clone();
    assert_eq!(generated.len(), 1);
    let (reference, bytes, served_as) = &generated[0];
    assert_eq!(reference, &r);
    let (linked_names, linked_file) = zip_entries(bytes, &format!("attachments/{id}-survey.txt"));
    assert_eq!(linked_names, names);
    assert_eq!(linked_file, survey.as_bytes());
    assert_eq!(served_as.content_type, "application/zip");
    assert_eq!(
        served_as.content_disposition,
        format!("attachment; filename=\"{r}-evidence.zip\"")
    );

    // The pack as a page is never redirected; an officer gets no link at all.
    let (status, headers, _) = send(
        &app,
        Request::get(format!("/staff/complaints/{r}/evidence"))
            .header(
                header::AUTHORIZATION,
                format!("Bearer {}", token(Role::SeniorManager)),
            )
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(status, 200);
    assert!(headers[header::CONTENT_TYPE]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    let (status, _, _) = send(
        &app,
        Request::get(format!("/staff/complaints/{r}/evidence?format=zip"))
            .header(
                header::AUTHORIZATION,
                format!("Bearer {}", token(Role::Officer)),
            )
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(status, 403);
    assert_eq!(files.generated.lock().unwrap().len(), 1);
}
