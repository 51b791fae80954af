//! The attachments bucket (the moto emulator here): staff's files kept under
//! `cases/{reference}/{id}`, encrypted, read back and deleted with their case; and the residents'
//! inbox, a presigned POST the browser sends straight to S3, then fetched and discarded.
//!
//! Moto takes a POST form without checking its signature, its policy (expiry, size range, key
//! prefix) or replacing `${filename}` in its key (docs/aws.md): the tests post the form as a
//! browser would, with the key as S3 would write it, and check the policy's conditions and its
//! signature by decoding and recomputing them here.

mod support;

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_lc_rs::hmac;
use chrono::{Duration, TimeZone, Utc};
use p3_aws::s3_attachments::{s3_client, S3AttachmentStore, SERVED_THROUGH_LAMBDA_BYTES};
use p3_aws::s3_inbox::{post_fields, S3UploadInbox};
use p3_domain::attachment::{new_id, AttachmentStore, ServedAs, MAX_FILE_BYTES};
use p3_domain::inbox::{UploadForm, UploadInbox};
use p3_domain::ports::StoreError;
use serde_json::Value;
use support::browser::post_as_browser;
use support::endpoint;

async fn sdk() -> SdkConfig {
    aws_config::defaults(BehaviorVersion::latest())
        .endpoint_url(endpoint())
        .region(Region::new("eu-west-2"))
        .http_client(p3_aws::sdk::https_client())
        .load()
        .await
}

/// A new bucket for one test, as the template makes it (in eu-west-2).
async fn bucket(sdk: &SdkConfig, name: &str) -> (aws_sdk_s3::Client, String) {
    let s3 = s3_client(sdk, true);
    let bucket = format!("p3-files-{name}-{}", std::process::id());
    s3.create_bucket()
        .bucket(&bucket)
        .create_bucket_configuration(
            aws_sdk_s3::types::CreateBucketConfiguration::builder()
                .location_constraint(aws_sdk_s3::types::BucketLocationConstraint::EuWest2)
                .build(),
        )
        .send()
        .await
        .expect("create the bucket");
    (s3, bucket)
}

fn id(n: u8) -> String {
    let pid = std::process::id().to_be_bytes();
    new_id([n, pid[0], pid[1], pid[2], pid[3], 1, 2, 3, 4, 5])
}

async fn keys(s3: &aws_sdk_s3::Client, bucket: &str) -> Vec<String> {
    let listed = s3
        .list_objects_v2()
        .bucket(bucket)
        .send()
        .await
        .expect("list the bucket");
    let mut keys: Vec<String> = listed
        .contents()
        .iter()
        .filter_map(|o| o.key().map(str::to_string))
        .collect();
    keys.sort();
    keys
}

#[tokio::test]
#[ignore = "needs the moto AWS emulator (P3_MOTO_ENDPOINT); run by ./scripts/test"]
async fn staff_files_are_kept_encrypted_by_case_and_id_and_go_with_their_case() {
    let sdk = sdk().await;
    let (s3, bucket) = bucket(&sdk, "cases").await;
    let store = S3AttachmentStore::new(s3.clone(), &bucket);
    let (photo, report, other) = (id(1), id(2), id(3));
    let png = b"\x89PNG\r\n\x1a\nthe damp in the bathroom".to_vec();
    store
        .put("P3-2026-000001", &photo, png.clone())
        .await
        .unwrap();
    store
        .put("P3-2026-000001", &report, b"%PDF-1.7 inspection".to_vec())
        .await
        .unwrap();
    store
        .put("P3-2026-000002", &other, b"another case's file".to_vec())
        .await
        .unwrap();

    assert_eq!(
        store.get("P3-2026-000001", &photo).await.unwrap(),
        Some(png)
    );
    assert_eq!(store.get("P3-2026-000001", &other).await.unwrap(), None);
    assert_eq!(
        keys(&s3, &bucket).await,
        vec![
            format!("cases/P3-2026-000001/{photo}"),
            format!("cases/P3-2026-000001/{report}"),
            format!("cases/P3-2026-000002/{other}"),
        ]
    );
    let head = s3
        .head_object()
        .bucket(&bucket)
        .key(format!("cases/P3-2026-000001/{photo}"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        head.server_side_encryption(),
        Some(&aws_sdk_s3::types::ServerSideEncryption::Aes256)
    );

    store.delete("P3-2026-000001", &report).await.unwrap();
    assert_eq!(store.get("P3-2026-000001", &report).await.unwrap(), None);
    // Deleting what is not there is not an error (a retried delete).
    store.delete("P3-2026-000001", &report).await.unwrap();

    store.delete_case("P3-2026-000001").await.unwrap();
    assert_eq!(
        keys(&s3, &bucket).await,
        vec![format!("cases/P3-2026-000002/{other}")]
    );
    store.delete_case("P3-2026-000001").await.unwrap();

    // Neither a reference nor an id can name another key.
    for (reference, file) in [
        ("../P3-2026-000002", other.as_str()),
        ("P3-2026-000002", "../x"),
    ] {
        assert!(matches!(
            store.get(reference, file).await,
            Err(StoreError::Refused(_))
        ));
    }
    assert!(matches!(
        store.delete_case("").await,
        Err(StoreError::Refused(_))
    ));
}

fn field<'a>(form: &'a UploadForm, name: &str) -> Option<&'a str> {
    form.fields
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
}

#[tokio::test]
#[ignore = "needs the moto AWS emulator (P3_MOTO_ENDPOINT); run by ./scripts/test"]
async fn a_file_too_large_for_a_lambda_answer_is_downloaded_from_the_bucket_through_a_presigned_get(
) {
    let sdk = sdk().await;
    let (s3, bucket) = bucket(&sdk, "links").await;
    let store = S3AttachmentStore::new(s3, &bucket);
    let (small, large) = (id(7), id(8));
    let mut pdf = b"%PDF-1.7 the surveyor's report ".to_vec();
    pdf.resize(SERVED_THROUGH_LAMBDA_BYTES as usize + 1, b'.');
    store
        .put("P3-2026-000009", &large, pdf.clone())
        .await
        .unwrap();
    store
        .put("P3-2026-000009", &small, b"%PDF-1.7 a letter".to_vec())
        .await
        .unwrap();
    let served_as = ServedAs {
        content_type: "application/pdf".into(),
        content_disposition: "attachment; filename=\"survey.pdf\"".into(),
    };
    // Within Lambda's answers the function serves the file itself: no link.
    assert_eq!(
        store
            .download_link("P3-2026-000009", &small, 17, &served_as)
            .await
            .unwrap(),
        None
    );
    let link = store
        .download_link("P3-2026-000009", &large, pdf.len() as u64, &served_as)
        .await
        .unwrap()
        .expect("a presigned GET");
    assert!(
        link.contains(&format!("/{bucket}/cases/P3-2026-000009/{large}?")),
        "{link}"
    );
    for part in [
        "X-Amz-Signature=",
        "X-Amz-Expires=300",
        "response-content-type=application%2Fpdf",
        "response-content-disposition=attachment",
        "response-cache-control=private",
    ] {
        assert!(link.contains(part), "{part} in {link}");
    }
    let got = reqwest::get(&link).await.expect("the emulator answers");
    assert_eq!(got.status().as_u16(), 200);
    assert_eq!(got.bytes().await.unwrap().to_vec(), pdf);
    // A reference that is not one names no key, link or not.
    assert!(matches!(
        store
            .download_link("../P3-2026-000009", &large, pdf.len() as u64, &served_as)
            .await,
        Err(StoreError::Refused(_))
    ));
}

#[tokio::test]
#[ignore = "needs the moto AWS emulator (P3_MOTO_ENDPOINT); run by ./scripts/test"]
async fn a_generated_download_too_large_for_a_lambda_answer_is_kept_under_downloads_and_fetched_through_a_presigned_get(
) {
    let sdk = sdk().await;
    let (s3, bucket) = bucket(&sdk, "downloads").await;
    let store = S3AttachmentStore::new(s3.clone(), &bucket);
    let served_as = ServedAs {
        content_type: "application/zip".into(),
        content_disposition: "attachment; filename=\"P3-2026-000011-evidence.zip\"".into(),
    };
    // Within Lambda's answers the function serves it itself: no link, nothing written.
    let small = b"PK\x03\x04 a small pack".to_vec();
    assert_eq!(
        store
            .generated_link("P3-2026-000011", &small, &served_as)
            .await
            .unwrap(),
        None
    );
    assert_eq!(keys(&s3, &bucket).await, Vec::<String>::new());

    let mut zip = b"PK\x03\x04 the evidence pack ".to_vec();
    zip.resize(SERVED_THROUGH_LAMBDA_BYTES as usize + 1, b'z');
    let link = store
        .generated_link("P3-2026-000011", &zip, &served_as)
        .await
        .unwrap()
        .expect("a presigned GET");
    // Kept under downloads/{reference}/{new id}, encrypted, apart from the cases' files.
    let kept = keys(&s3, &bucket).await;
    assert_eq!(kept.len(), 1, "{kept:?}");
    assert!(kept[0].starts_with("downloads/P3-2026-000011/"), "{kept:?}");
    assert!(link.contains(&format!("/{bucket}/{}?", kept[0])), "{link}");
    let head = s3
        .head_object()
        .bucket(&bucket)
        .key(&kept[0])
        .send()
        .await
        .unwrap();
    assert_eq!(
        head.server_side_encryption(),
        Some(&aws_sdk_s3::types::ServerSideEncryption::Aes256)
    );
    for part in [
        "X-Amz-Signature=",
        "X-Amz-Expires=300",
        "response-content-type=application%2Fzip",
        "response-content-disposition=attachment",
        "response-cache-control=private",
    ] {
        assert!(link.contains(part), "{part} in {link}");
    }
    let got = reqwest::get(&link).await.expect("the emulator answers");
    assert_eq!(got.status().as_u16(), 200);
    assert_eq!(got.bytes().await.unwrap().to_vec(), zip, "the same bytes");
    // Each download has a key of its own.
    let again = store
        .generated_link("P3-2026-000011", &zip, &served_as)
        .await
        .unwrap()
        .unwrap();
    assert_ne!(again, link);
    assert_eq!(keys(&s3, &bucket).await.len(), 2);
    // A reference that is not one names no key.
    assert!(matches!(
        store
            .generated_link("../P3-2026-000011", &zip, &served_as)
            .await,
        Err(StoreError::Refused(_))
    ));
}

#[tokio::test]
#[ignore = "needs the moto AWS emulator (P3_MOTO_ENDPOINT); run by ./scripts/test"]
async fn a_file_posted_through_the_form_is_fetched_with_its_name_then_discarded() {
    let sdk = sdk().await;
    let (s3, bucket) = bucket(&sdk, "inbox").await;
    let inbox = S3UploadInbox::new(s3.clone(), &sdk, &bucket, Some(&endpoint())).unwrap();
    let slot = id(4);
    let expires = Utc::now() + Duration::minutes(30);
    let form = inbox.form(&slot, expires, None).await.unwrap();
    assert_eq!(form.slot, slot);
    assert_eq!(form.url, format!("{}/{bucket}", endpoint()));
    assert_eq!(form.expires_at, expires);
    assert_eq!(
        field(&form, "key"),
        Some(format!("incoming/{slot}/${{filename}}").as_str())
    );
    assert_eq!(inbox.fetch(&slot).await.unwrap(), None);

    let jpeg = b"\xff\xd8\xff\xe0 mould on the ceiling".to_vec();
    let answer = post_as_browser(&form, "ceiling mould.jpg", &jpeg).await;
    assert_eq!(answer.status().as_u16(), 201, "{:?}", answer.text().await);

    let file = inbox.fetch(&slot).await.unwrap().expect("the file arrived");
    assert_eq!(file.filename, "ceiling mould.jpg");
    assert_eq!(file.bytes, jpeg);
    // Another slot sees nothing of it.
    assert_eq!(inbox.fetch(&id(5)).await.unwrap(), None);

    inbox.discard(&slot).await.unwrap();
    assert_eq!(inbox.fetch(&slot).await.unwrap(), None);
    assert!(keys(&s3, &bucket).await.is_empty());
    inbox.discard(&slot).await.unwrap();

    // Without JavaScript the browser is sent back to the service once the file is in.
    let slot = id(6);
    let back = "https://complaints.p3.example/complaints/new?uploaded=1";
    let form = inbox.form(&slot, expires, Some(back)).await.unwrap();
    assert_eq!(field(&form, "success_action_redirect"), Some(back));
    assert_eq!(field(&form, "success_action_status"), None);
    let answer = post_as_browser(&form, "letter.pdf", b"%PDF-1.7 a letter").await;
    assert_eq!(answer.status().as_u16(), 303);
    let location = answer.headers()["location"].to_str().unwrap();
    assert!(location.starts_with("https://complaints.p3.example/complaints/new?"));
    assert_eq!(
        inbox.fetch(&slot).await.unwrap().unwrap().filename,
        "letter.pdf"
    );

    // A slot the service did not name is refused before S3 is asked.
    assert!(matches!(
        inbox.form("../cases/P3-2026-000001", expires, None).await,
        Err(StoreError::Refused(_))
    ));
    assert!(matches!(
        inbox.fetch("x/../../cases").await,
        Err(StoreError::Refused(_))
    ));
}

#[tokio::test]
#[ignore = "needs the moto AWS emulator (P3_MOTO_ENDPOINT); run by ./scripts/test"]
async fn an_oversized_object_is_read_no_further_than_one_byte_past_the_limit() {
    let sdk = sdk().await;
    let (s3, bucket) = bucket(&sdk, "big").await;
    let inbox = S3UploadInbox::new(s3.clone(), &sdk, &bucket, Some(&endpoint())).unwrap();
    let slot = id(7);
    s3.put_object()
        .bucket(&bucket)
        .key(format!("incoming/{slot}/big.txt"))
        .body(vec![b'a'; MAX_FILE_BYTES + 4096].into())
        .send()
        .await
        .unwrap();
    let file = inbox.fetch(&slot).await.unwrap().unwrap();
    // Enough for the check to refuse it as over 10 MB (413), never the whole object.
    assert_eq!(file.bytes.len(), MAX_FILE_BYTES + 1);
}

fn hmac_sha256(key: &[u8], data: &[u8]) -> Vec<u8> {
    hmac::sign(&hmac::Key::new(hmac::HMAC_SHA256, key), data)
        .as_ref()
        .to_vec()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[test]
fn the_policy_fixes_the_slot_the_size_the_encryption_and_the_expiry_and_is_signed_with_sigv4() {
    let expires = Utc.with_ymd_and_hms(2026, 6, 1, 10, 30, 0).unwrap();
    let now = Utc.with_ymd_and_hms(2026, 6, 1, 10, 0, 0).unwrap();
    let fields = post_fields(
        "p3-attachments",
        "incoming/0123456789abcdef0123/",
        None,
        expires,
        now.into(),
        "eu-west-2",
        "AKIDEXAMPLE",
        "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
        Some("the-session-token"),
    );
    let names: Vec<&str> = fields.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        [
            "key",
            "success_action_status",
            "x-amz-server-side-encryption",
            "x-amz-algorithm",
            "x-amz-credential",
            "x-amz-date",
            "x-amz-security-token",
            "policy",
            "x-amz-signature"
        ]
    );
    let get = |name: &str| {
        fields
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
            .unwrap()
    };
    assert_eq!(get("key"), "incoming/0123456789abcdef0123/${filename}");
    assert_eq!(
        get("x-amz-credential"),
        "AKIDEXAMPLE/20260601/eu-west-2/s3/aws4_request"
    );
    assert_eq!(get("x-amz-date"), "20260601T100000Z");

    let policy: Value =
        serde_json::from_slice(&aws_smithy_types::base64::decode(get("policy")).expect("base64"))
            .expect("JSON");
    assert_eq!(policy["expiration"], "2026-06-01T10:30:00.000Z");
    let conditions = policy["conditions"].as_array().unwrap();
    let has = |c: Value| conditions.contains(&c);
    assert!(has(serde_json::json!({"bucket": "p3-attachments"})));
    assert!(has(serde_json::json!([
        "starts-with",
        "$key",
        "incoming/0123456789abcdef0123/"
    ])));
    assert!(has(serde_json::json!([
        "content-length-range",
        1,
        10485760
    ])));
    assert!(has(serde_json::json!({"success_action_status": "201"})));
    assert!(has(
        serde_json::json!({"x-amz-server-side-encryption": "AES256"})
    ));
    assert!(has(
        serde_json::json!({"x-amz-security-token": "the-session-token"})
    ));
    // Every field the browser sends but the key and the policy's own is a condition (S3 refuses
    // a field the policy does not name).
    for (name, value) in &fields {
        if !matches!(name.as_str(), "key" | "policy" | "x-amz-signature") {
            assert!(has(serde_json::json!({ name: value })), "{name}");
        }
    }

    // SigV4 over the base64 policy, recomputed here with another HMAC implementation.
    let k_date = hmac_sha256(b"AWS4wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", b"20260601");
    let k_region = hmac_sha256(&k_date, b"eu-west-2");
    let k_service = hmac_sha256(&k_region, b"s3");
    let k_signing = hmac_sha256(&k_service, b"aws4_request");
    assert_eq!(
        get("x-amz-signature"),
        hex(&hmac_sha256(&k_signing, get("policy").as_bytes()))
    );

    // Without JavaScript: a redirect instead of a status; no token with long-lived keys.
    let fields = post_fields(
        "p3-attachments",
        "incoming/0123456789abcdef0123/",
        Some("https://complaints.p3.example/complaints/new"),
        expires,
        now.into(),
        "eu-west-2",
        "AKIDEXAMPLE",
        "secret",
        None,
    );
    assert!(fields.iter().any(|(n, v)| n == "success_action_redirect"
        && v == "https://complaints.p3.example/complaints/new"));
    assert!(!fields
        .iter()
        .any(|(n, _)| n == "success_action_status" || n == "x-amz-security-token"));
}
