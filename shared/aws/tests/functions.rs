//! Each Lambda function's handler driven by the sample events in `events/`, end to end against
//! the moto AWS emulator: DynamoDB (a table created from `infra/template.yaml`), EventBridge
//! Scheduler, SQS and SES. The HTTP events go through the same conversion `lambda_http` makes
//! on Lambda, into the function's router; the queue events through `sqs::handle_batch`.
//!
//! The clock stands on Monday 1 June 2026, 10:00 UTC (British Summer Time), so the sample
//! events stay exact and the London wall time of a schedule differs from its UTC time.
//!
//! The emulator checks are `#[ignore]`d under plain `cargo test`; `./scripts/test` starts
//! moto, sets `P3_MOTO_ENDPOINT` and runs them. The checks that only read files always run.

mod support;

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use aws_config::SdkConfig;
use aws_lambda_events::event::sqs::{SqsEvent, SqsMessage};
use aws_sdk_scheduler::types::{ActionAfterCompletion, FlexibleTimeWindowMode};
use axum::Router;
use chrono::{Duration, TimeZone, Utc};
use http::StatusCode;
use p3_api::AppState;
use p3_aws::dynamo::{create_table, TableDefinition};
use p3_aws::scheduler::{at_expression, schedule_name, SCHEDULE_TIME_ZONE};
use p3_aws::sqs::handle_batch;
use p3_aws::wiring::{self, AwsSettings, ReportingEvent, ScheduledJob};
use p3_domain::alert::Notice;
use p3_domain::inbox::UploadForm;
use p3_domain::service::Service;
use p3_store_contract::{self as contract, TestClock};
use serde_json::{json, Value};
use support::browser::post_as_browser;
use support::{create_queue, endpoint, failures, repo, t0};
use tower::ServiceExt;

/// The reference, access code and service request id the sample events are written for.
const SAMPLE_REFERENCE: &str = "CMP-2026-00042";
const SAMPLE_CODE: &str = "K7QM-3XTP-9BWD-4HRF";
const SAMPLE_SERVICE_REQUEST: &str = "SR-2026-00007";
/// The address the sample alerts come from (a verified identity in the emulator).
const MAIL_DOMAIN: &str = "p3housing.example";

/// A sample event from `events/`.
fn event(path: &str) -> Value {
    let file = repo().join("events").join(path);
    let text = std::fs::read_to_string(&file)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", file.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{} is not JSON: {e}", file.display()))
}

/// A sample event with the sample reference, code or id replaced by the real ones.
fn event_for(path: &str, subs: &[(&str, &str)]) -> Value {
    let mut text = event(path).to_string();
    for (from, to) in subs {
        text = text.replace(from, to);
    }
    serde_json::from_str(&text).expect("still JSON")
}

/// Everything one test runs on: its own table, queues and schedule group in the emulator.
struct Env {
    endpoint: String,
    sdk: SdkConfig,
    settings: AwsSettings,
    clock: Arc<TestClock>,
    service: Service,
    state: AppState,
}

/// What an HTTP function answered.
#[derive(Debug)]
struct Answer {
    status: StatusCode,
    content_type: String,
    body: Value,
    text: String,
}

impl Env {
    async fn new(name: &str) -> Env {
        Env::with_config(name, None).await
    }

    /// The functions' environment with `P3_CONFIG` naming a configuration file.
    async fn with_config(name: &str, config: Option<&Path>) -> Env {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let endpoint = endpoint();
        let unique = format!(
            "p3fn-{name}-{}-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed),
            Utc::now().timestamp_micros() % 1_000_000_000
        );
        let sdk = support::moto_sdk(&endpoint).await;

        let definition = TableDefinition::from_template_file(&repo().join("infra/template.yaml"))
            .expect("the template defines the table");
        create_table(&aws_sdk_dynamodb::Client::new(&sdk), &unique, &definition)
            .await
            .expect("create the table from the template");

        let sqs = aws_sdk_sqs::Client::new(&sdk);
        let (dlq_url, dlq_arn) = create_queue(&sqs, &format!("{unique}-dlq"), None, None).await;
        let redrive = json!({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": "5"}).to_string();
        let (queue_url, queue_arn) = create_queue(&sqs, &unique, Some(redrive), None).await;
        let _ = dlq_url;

        aws_sdk_scheduler::Client::new(&sdk)
            .create_schedule_group()
            .name(&unique)
            .send()
            .await
            .expect("create the schedule group");
        // The sending domain is a verified identity (created once; later tests find it there).
        let _ = aws_sdk_sesv2::Client::new(&sdk)
            .create_email_identity()
            .email_identity(MAIL_DOMAIN)
            .send()
            .await;

        let vars: HashMap<&str, String> = HashMap::from([
            ("TABLE_NAME", unique.clone()),
            ("QUEUE_URL", queue_url),
            ("QUEUE_ARN", queue_arn),
            ("DLQ_ARN", dlq_arn),
            ("SCHEDULE_GROUP", unique.clone()),
            (
                "SCHEDULER_ROLE_ARN",
                "arn:aws:iam::123456789012:role/p3-scheduler".into(),
            ),
            ("MAIL_FROM", format!("complaints-service@{MAIL_DOMAIN}")),
            ("EXPORT_BUCKET", format!("{unique}-exports")),
            ("BASE_URL", "https://complaints.p3housing.example".into()),
            // A landlord of its own names this test's emails apart from the other tests'.
            ("LANDLORD", format!("P3 Test {unique}")),
            ("COMPLAINTS_TEAM", format!("complaints@{MAIL_DOMAIN}")),
            (
                "HEAD_OF_TENANT_SERVICES",
                format!("head.tenant.services@{MAIL_DOMAIN}"),
            ),
            ("AWS_ENDPOINT_URL", endpoint.clone()),
        ]);
        let mut vars = vars;
        if let Some(path) = config {
            vars.insert("P3_CONFIG", path.display().to_string());
        }
        let settings =
            AwsSettings::from_lookup(|k| vars.get(k).cloned()).expect("the settings are complete");
        let clock = contract::clock();
        clock.set(t0());
        let service = wiring::service_with_clock(&settings, &sdk, clock.clone()).await;
        let state = wiring::app_state_for(service.clone(), &settings);
        Env {
            endpoint,
            sdk,
            settings,
            clock,
            service,
            state,
        }
    }

    fn app(&self, part: fn() -> Router<AppState>) -> Router {
        wiring::http_app(part(), self.state.clone())
    }

    /// Passes an API Gateway (HTTP API v2) event to a function's router as Lambda would.
    async fn call(&self, app: &Router, event: Value) -> Answer {
        let request = lambda_http::request::from_str(&event.to_string())
            .expect("the sample is an API Gateway v2 event");
        let response = app.clone().oneshot(request).await.expect("infallible");
        let status = response.status();
        let content_type = response
            .headers()
            .get(http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string();
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .expect("a body");
        let text = String::from_utf8_lossy(&bytes).into_owned();
        let body = serde_json::from_str(&text).unwrap_or(Value::Null);
        Answer {
            status,
            content_type,
            body,
            text,
        }
    }

    fn advance(&self, by: Duration) {
        self.clock.set(self.service.clock.now() + by);
    }

    /// The alert emails the emulator holds for one case of this test.
    async fn emails_about(&self, reference: &str) -> Vec<Value> {
        let needle = format!(
            "[{} complaints] {reference}:",
            self.settings.config.landlord
        );
        let data: Value = reqwest::get(format!("{}/moto-api/data.json", self.endpoint))
            .await
            .expect("moto answers")
            .json()
            .await
            .expect("moto's model data is JSON");
        data["ses"]["Message"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|m| m["subject"].as_str().is_some_and(|s| s.contains(&needle)))
            .cloned()
            .collect()
    }

    /// The alert JSON (as the scheduler would deliver it) of one timer of a case.
    async fn schedule_input(&self, alert: &Notice) -> String {
        let schedule = aws_sdk_scheduler::Client::new(&self.sdk)
            .get_schedule()
            .group_name(&self.settings.schedule_group)
            .name(schedule_name(alert))
            .send()
            .await
            .unwrap_or_else(|e| panic!("no schedule for {}: {e:?}", alert.id()));
        schedule
            .target()
            .and_then(|t| t.input())
            .expect("the schedule carries its alert")
            .to_string()
    }
}

/// The sample SQS batch, with each message's alert moved to a real case.
fn sqs_batch(reference: &str) -> SqsEvent {
    serde_json::from_value(event_for(
        "deadlines/sqs-batch.json",
        &[(SAMPLE_REFERENCE, reference)],
    ))
    .expect("the sample is an SQS event")
}

fn alert_of(message: &SqsMessage) -> Notice {
    serde_json::from_str(message.body.as_deref().expect("a body")).expect("an alert")
}

fn batch_of(messages: Vec<SqsMessage>) -> SqsEvent {
    let mut event = SqsEvent::default();
    event.records = messages;
    event
}

#[tokio::test]
#[ignore = "needs the moto AWS emulator (P3_MOTO_ENDPOINT); run by ./scripts/test"]
async fn a_complaint_posted_through_intake_lands_in_dynamodb_with_its_alert_schedules() {
    let env = Env::new("intake").await;
    let intake = env.app(p3_api::intake_router);

    let answer = env.call(&intake, event("intake/post-complaint.json")).await;
    assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.text);
    let reference = answer.body["reference"].as_str().unwrap().to_string();

    // In DynamoDB, read back through the store.
    let case = env
        .service
        .store
        .load(&reference)
        .await
        .unwrap()
        .expect("the case is in the table");
    assert_eq!(case.reference, reference);

    // One schedule per timer: London wall time at 09:00, into the queue, the alert as input.
    let timers = env.service.timers(&case, t0()).unwrap();
    assert!(!timers.is_empty(), "a new case has alerts to come");
    let scheduler = aws_sdk_scheduler::Client::new(&env.sdk);
    for timer in &timers {
        let schedule = scheduler
            .get_schedule()
            .group_name(&env.settings.schedule_group)
            .name(schedule_name(&timer.alert))
            .send()
            .await
            .unwrap_or_else(|e| panic!("no schedule for {}: {e:?}", timer.alert.id()));
        let expression = schedule.schedule_expression().unwrap();
        assert_eq!(expression, at_expression(timer.fire_at));
        assert!(expression.ends_with("T09:00:00)"), "{expression}");
        assert_eq!(
            schedule.schedule_expression_timezone(),
            Some(SCHEDULE_TIME_ZONE)
        );
        assert_eq!(
            schedule.action_after_completion(),
            Some(&ActionAfterCompletion::Delete)
        );
        assert_eq!(
            schedule.flexible_time_window().unwrap().mode(),
            &FlexibleTimeWindowMode::Off
        );
        let target = schedule.target().unwrap();
        assert_eq!(target.arn(), env.settings.queue_arn);
        assert_eq!(target.role_arn(), env.settings.scheduler_role_arn);
        assert_eq!(
            target.dead_letter_config().and_then(|d| d.arn()),
            Some(env.settings.dlq_arn.as_str())
        );
        assert!(target.retry_policy().is_some());
        let input: Notice = serde_json::from_str(target.input().unwrap()).unwrap();
        assert_eq!(input, timer.alert);
    }
    let listed = aws_sdk_scheduler::Client::new(&env.sdk)
        .list_schedules()
        .group_name(&env.settings.schedule_group)
        .send()
        .await
        .unwrap();
    assert_eq!(listed.schedules().len(), timers.len());

    // Acknowledging meets the acknowledgement deadline: its schedules are deleted.
    env.advance(Duration::hours(1));
    let answer = env
        .call(
            &env.app(p3_api::acknowledgement_router),
            event_for(
                "acknowledgement/post-acknowledgement-stage1.json",
                &[(SAMPLE_REFERENCE, &reference)],
            ),
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text);
    let remaining: BTreeSet<String> = aws_sdk_scheduler::Client::new(&env.sdk)
        .list_schedules()
        .group_name(&env.settings.schedule_group)
        .send()
        .await
        .unwrap()
        .schedules()
        .iter()
        .filter_map(|s| s.name().map(str::to_string))
        .collect();
    assert!(!remaining.is_empty(), "the response deadline's alerts stay");
    assert!(
        remaining
            .iter()
            .all(|n| !n.contains("stage1_acknowledgement")),
        "{remaining:?}"
    );
}

#[tokio::test]
#[ignore = "needs the moto AWS emulator (P3_MOTO_ENDPOINT); run by ./scripts/test"]
async fn a_fired_alert_through_the_queue_sends_one_email_and_a_met_deadline_none() {
    let env = Env::new("deadlines").await;
    let intake = env.app(p3_api::intake_router);
    let answer = env.call(&intake, event("intake/post-complaint.json")).await;
    assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.text);
    let reference = answer.body["reference"].as_str().unwrap().to_string();

    // The sample batch holds the acknowledgement deadline's three alerts, exactly as scheduled.
    let batch = sqs_batch(&reference);
    let [reminder, due_today, breach] = <[SqsMessage; 3]>::try_from(batch.records.clone())
        .expect("the sample batch holds three messages");
    for message in [&reminder, &due_today, &breach] {
        let alert = alert_of(message);
        let scheduled: Notice = serde_json::from_str(&env.schedule_input(&alert).await).unwrap();
        assert_eq!(
            alert, scheduled,
            "the sample message is what the scheduler sends"
        );
    }

    // Delivered through the queue: the scheduler's input is the message body the consumer gets.
    let sqs = aws_sdk_sqs::Client::new(&env.sdk);
    sqs.send_message()
        .queue_url(&env.settings.queue_url)
        .message_body(env.schedule_input(&alert_of(&reminder)).await)
        .send()
        .await
        .unwrap();
    let received = sqs
        .receive_message()
        .queue_url(&env.settings.queue_url)
        .max_number_of_messages(10)
        .send()
        .await
        .unwrap();
    let delivered = received.messages();
    assert_eq!(delivered.len(), 1);
    let mut from_queue = SqsMessage::default();
    from_queue.message_id = delivered[0].message_id().map(str::to_string);
    from_queue.receipt_handle = delivered[0].receipt_handle().map(str::to_string);
    from_queue.body = delivered[0].body().map(str::to_string);

    // Too early (the schedule fired before 09:00): retried later, nothing sent.
    let reminder_at = alert_of(&reminder).as_alert().unwrap().at;
    env.clock.set(reminder_at - Duration::minutes(5));
    let response = handle_batch(&env.service, batch_of(vec![from_queue.clone()])).await;
    assert_eq!(
        failures(&response),
        [from_queue.message_id.clone().unwrap()]
    );
    assert!(env.emails_about(&reference).await.is_empty());

    // At its moment: one email.
    env.clock.set(reminder_at + Duration::seconds(30));
    let response = handle_batch(&env.service, batch_of(vec![from_queue.clone()])).await;
    assert!(failures(&response).is_empty(), "{response:?}");
    let emails = env.emails_about(&reference).await;
    assert_eq!(emails.len(), 1, "{emails:?}");
    assert!(emails[0]["subject"].as_str().unwrap().contains("Reminder"));

    // The same event again (a duplicate delivery): still one.
    let response = handle_batch(&env.service, batch_of(vec![reminder.clone()])).await;
    assert!(failures(&response).is_empty(), "{response:?}");
    assert_eq!(env.emails_about(&reference).await.len(), 1);

    // A poison message fails alone; the good message beside it is sent.
    env.clock
        .set(alert_of(&due_today).as_alert().unwrap().at + Duration::seconds(30));
    let mut poison = due_today.clone();
    poison.message_id = Some("poison-1".into());
    poison.body = Some("{\"not\": \"an alert\"}".into());
    let response = handle_batch(&env.service, batch_of(vec![poison, due_today.clone()])).await;
    assert_eq!(failures(&response), ["poison-1"]);
    assert_eq!(env.emails_about(&reference).await.len(), 2);

    // Acknowledged on its due date: the deadline is met, so its breach alert sends nothing.
    let answer = env
        .call(
            &env.app(p3_api::acknowledgement_router),
            event_for(
                "acknowledgement/post-acknowledgement-stage1.json",
                &[(SAMPLE_REFERENCE, &reference)],
            ),
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text);
    env.clock
        .set(alert_of(&breach).as_alert().unwrap().at + Duration::seconds(30));
    let response = handle_batch(&env.service, batch_of(vec![breach.clone()])).await;
    assert!(failures(&response).is_empty(), "{response:?}");
    assert_eq!(env.emails_about(&reference).await.len(), 2);
}

#[tokio::test]
#[ignore = "needs the moto AWS emulator (P3_MOTO_ENDPOINT); run by ./scripts/test"]
async fn an_acknowledgement_queues_its_letter_and_the_consumer_emails_it_once() {
    let env = Env::new("letter").await;
    // The sample complaint, from an address no other test uses.
    let address = format!("ada.{}@example.org", env.settings.table_name);
    let mut intake = event("intake/post-complaint.json");
    let mut body: Value = serde_json::from_str(intake["body"].as_str().unwrap()).unwrap();
    body["email"] = json!(address);
    intake["body"] = Value::String(body.to_string());
    let answer = env.call(&env.app(p3_api::intake_router), intake).await;
    assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.text);
    let reference = answer.body["reference"].as_str().unwrap().to_string();

    let answer = env
        .call(
            &env.app(p3_api::acknowledgement_router),
            event_for(
                "acknowledgement/post-acknowledgement-stage1.json",
                &[(SAMPLE_REFERENCE, &reference)],
            ),
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text);

    // The letter's email is due at once: it is on the deadline queue, not a schedule.
    let letter = Notice::Letter(p3_domain::alert::LetterDelivery {
        reference: reference.clone(),
        letter: 1,
        copy: 0,
    });
    let received = aws_sdk_sqs::Client::new(&env.sdk)
        .receive_message()
        .queue_url(&env.settings.queue_url)
        .max_number_of_messages(10)
        .send()
        .await
        .unwrap();
    let queued: Vec<SqsMessage> = received
        .messages()
        .iter()
        .map(|m| {
            let mut out = SqsMessage::default();
            out.message_id = m.message_id().map(str::to_string);
            out.receipt_handle = m.receipt_handle().map(str::to_string);
            out.body = m.body().map(str::to_string);
            out
        })
        .collect();
    assert_eq!(
        queued.iter().map(alert_of).collect::<Vec<_>>(),
        std::slice::from_ref(&letter),
        "the letter, and nothing else, is queued"
    );
    assert!(
        aws_sdk_scheduler::Client::new(&env.sdk)
            .get_schedule()
            .group_name(&env.settings.schedule_group)
            .name(schedule_name(&letter))
            .send()
            .await
            .is_err(),
        "a letter due now is not scheduled"
    );

    let sent_to_resident = || async {
        let data: Value = reqwest::get(format!("{}/moto-api/data.json", env.endpoint))
            .await
            .expect("moto answers")
            .json()
            .await
            .expect("moto's model data is JSON");
        // A letter's copy carries its PDF, so it goes as a raw message.
        data["ses"]["RawMessage"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|m| {
                m["destinations"]
                    .as_array()
                    .is_some_and(|d| d.iter().any(|to| to == address.as_str()))
            })
            .map(|m| m["raw_data"].as_str().unwrap().to_string())
            .collect::<Vec<String>>()
    };
    assert!(
        sent_to_resident().await.is_empty(),
        "not sent before it is handled"
    );

    // The deadlines function's service (its notifier attaches each letter's PDF). Delivered
    // twice in one batch (SQS delivers at least once), then once more: one email.
    let deadlines =
        wiring::deadlines_service_with_clock(&env.settings, &env.sdk, env.clock.clone()).await;
    let mut again = queued[0].clone();
    again.message_id = Some("duplicate-1".into());
    let response = handle_batch(&deadlines, batch_of(vec![queued[0].clone(), again])).await;
    assert!(failures(&response).is_empty(), "{response:?}");
    let response = handle_batch(&deadlines, batch_of(vec![queued[0].clone()])).await;
    assert!(failures(&response).is_empty(), "{response:?}");
    let emails = sent_to_resident().await;
    assert_eq!(emails.len(), 1, "{emails:?}");
    let case = env.service.store.load(&reference).await.unwrap().unwrap();
    let subject = format!("Subject: {}", case.letters[0].subject);
    assert!(
        emails[0].replace("\r\n ", " ").contains(&subject),
        "{}",
        emails[0]
    );
    let parts = p3_mail::read::parts(&emails[0]);
    assert_eq!(
        parts.len(),
        2,
        "the text, then the letter's PDF: {}",
        emails[0]
    );
    let text = parts[0].text();
    assert_eq!(parts[0].media_type(), "text/plain");
    for point in ["Leak not fixed", "No reply to calls"] {
        assert!(text.contains(point), "the letter lists {point}: {text}");
    }
    assert!(text.contains("Dear Ada Resident"), "{text}");
    let name = format!("{reference}-letter-1.pdf");
    assert_eq!(parts[1].filename(), Some(name.as_str()));
    assert_eq!(parts[1].media_type(), "application/pdf");
    assert!(parts[1].content.starts_with(b"%PDF-"), "a PDF");
    assert!(
        env.service.store.alert_sent(&letter.id()).await.unwrap(),
        "recorded as sent"
    );

    // A delivery of a letter the case does not have is dropped, not retried for ever.
    let mut stray = queued[0].clone();
    stray.message_id = Some("stray-1".into());
    stray.body = Some(json!({"reference": reference, "letter": 9, "copy": 0}).to_string());
    let response = handle_batch(&deadlines, batch_of(vec![stray])).await;
    assert!(failures(&response).is_empty(), "{response:?}");
    assert_eq!(sent_to_resident().await.len(), 1);
}

/// The `documents` function's sample event for `reference`, asking for `format`, as a member
/// of staff whose claims an authorizer would pass on (the function reads them as the pages'
/// session; tests/sign_in.rs checks the session cookie itself).
fn document_event(file: &str, reference: &str, format: &str) -> Value {
    let mut e = event_for(file, &[(SAMPLE_REFERENCE, reference)]);
    e["rawQueryString"] = json!(format!("format={format}"));
    e["queryStringParameters"] = json!({ "format": format });
    e["requestContext"]["authorizer"] =
        event("cases/get-case.json")["requestContext"]["authorizer"].clone();
    e
}

/// What the `documents` function answered, through Lambda's HTTP API response format: the
/// status, the content type and the body's bytes (binary bodies come base64-encoded).
async fn documents_answer(app: &Router, event: Value) -> (i64, String, Vec<u8>) {
    use base64::Engine;
    let request = serde_json::from_value(event).expect("an HTTP API event");
    let out = wiring::answer_http(app.clone(), request)
        .await
        .expect("answered");
    let body = out["body"].as_str().unwrap_or_default();
    let bytes = if out["isBase64Encoded"] == json!(true) {
        base64::engine::general_purpose::STANDARD
            .decode(body)
            .expect("base64")
    } else {
        body.as_bytes().to_vec()
    };
    (
        out["statusCode"].as_i64().unwrap(),
        out["headers"]["content-type"]
            .as_str()
            .unwrap_or_default()
            .to_string(),
        bytes,
    )
}

/// The test's attachments bucket in the emulator, as the template makes it (in eu-west-2).
async fn attachments_bucket(env: &Env) -> String {
    let bucket = format!("{}-files", env.settings.table_name);
    p3_aws::s3_attachments::s3_client(&env.sdk, true)
        .create_bucket()
        .bucket(&bucket)
        .create_bucket_configuration(
            aws_sdk_s3::types::CreateBucketConfiguration::builder()
                .location_constraint(aws_sdk_s3::types::BucketLocationConstraint::EuWest2)
                .build(),
        )
        .send()
        .await
        .expect("create the attachments bucket");
    bucket
}

/// The functions' settings and state with the test's attachments bucket, as
/// `resident_app_state` builds them: the bucket's store and its upload inbox.
async fn with_attachments_bucket(env: &Env) -> (AwsSettings, AppState) {
    let mut settings = env.settings.clone();
    settings.attachments_bucket = Some(attachments_bucket(env).await);
    let state = AppState {
        attachments: p3_aws::files::attachments(&settings, &env.sdk),
        inbox: p3_aws::files::upload_inbox(&settings, &env.sdk),
        ..env.state.clone()
    };
    (settings, state)
}

#[tokio::test]
#[ignore = "needs the moto AWS emulator (P3_MOTO_ENDPOINT); run by ./scripts/test"]
async fn a_residents_file_goes_straight_to_the_bucket_and_is_kept_with_their_complaint() {
    let env = Env::new("resident-files").await;
    let (settings, state) = with_attachments_bucket(&env).await;
    let intake = wiring::http_app(p3_api::intake_router(), state);

    // The sample asks for two forms: presigned POSTs to the bucket, one slot each.
    let answer = env.call(&intake, event("intake/post-uploads.json")).await;
    assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.text);
    let forms: Vec<UploadForm> = answer.body["forms"]
        .as_array()
        .expect("forms")
        .iter()
        .map(|f| UploadForm {
            slot: f["slot"].as_str().unwrap().into(),
            url: f["url"].as_str().unwrap().into(),
            fields: serde_json::from_value(f["fields"].clone()).expect("[name, value] pairs"),
            expires_at: serde_json::from_value(f["expires_at"].clone()).expect("a time"),
        })
        .collect();
    assert_eq!(forms.len(), 2);
    assert_ne!(forms[0].slot, forms[1].slot);
    let bucket = settings.attachments_bucket.clone().unwrap();
    assert!(
        forms[0].url.ends_with(&format!("/{bucket}")),
        "{}",
        forms[0].url
    );

    // The browser posts the file straight to S3; the function never sees its bytes.
    let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR mould by the window".to_vec();
    let posted = post_as_browser(&forms[0], "window.png", &png).await;
    assert!(posted.status().is_success(), "{:?}", posted.text().await);

    // The complaint names the slot: the file is checked and kept with the case in one write.
    let mut complaint = event("intake/post-complaint.json");
    let mut body: Value = serde_json::from_str(complaint["body"].as_str().unwrap()).unwrap();
    body["attachments"] = json!([forms[0].slot]);
    complaint["body"] = Value::String(body.to_string());
    complaint["headers"]["content-length"] = Value::String(body.to_string().len().to_string());
    let answer = env.call(&intake, complaint.clone()).await;
    assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.text);
    let reference = answer.body["reference"].as_str().unwrap().to_string();
    let files = answer.body["files"]
        .as_array()
        .expect("the resident's files");
    assert_eq!(files.len(), 1, "{}", answer.text);
    assert_eq!(files[0]["filename"], "window.png");
    assert_eq!(files[0]["content_type"], "image/png");
    assert_eq!(files[0]["size"], png.len());

    // In the bucket under the case, with the same bytes; the inbox slot is emptied.
    let case = env
        .service
        .store
        .load(&reference)
        .await
        .unwrap()
        .expect("saved");
    assert_eq!(case.attachments.len(), 1);
    assert!(case.attachments[0].from_resident());
    let kept = p3_aws::files::attachments(&settings, &env.sdk)
        .get(&reference, &case.attachments[0].id)
        .await
        .unwrap()
        .expect("kept in the bucket");
    assert_eq!(kept, png);
    let inbox = p3_aws::files::upload_inbox(&settings, &env.sdk);
    assert_eq!(inbox.fetch(&forms[0].slot).await.unwrap(), None);

    // A slot nothing was posted to: 422 naming it, no second case written.
    body["attachments"] = json!([forms[1].slot]);
    complaint["body"] = Value::String(body.to_string());
    complaint["headers"]["content-length"] = Value::String(body.to_string().len().to_string());
    let refused = env.call(&intake, complaint).await;
    assert_eq!(
        refused.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        refused.text
    );
    assert!(refused.text.contains("attachments[0]"), "{}", refused.text);
}

/// An HTTP API event answered as Lambda answers it: status, headers and body (JSON).
async fn lambda_answer(app: &Router, event: Value) -> Value {
    let request = serde_json::from_value(event).expect("an HTTP API event");
    wiring::answer_http(app.clone(), request)
        .await
        .expect("answered")
}

/// A sample event with its query string replaced by `query` (its pairs repeated as API Gateway
/// gives them, joined by commas).
fn with_query(mut ev: Value, query: &str) -> Value {
    let mut params = serde_json::Map::new();
    for (k, v) in form_urlencoded::parse(query.as_bytes()) {
        let joined = match params.get(k.as_ref()).and_then(Value::as_str) {
            Some(before) => format!("{before},{v}"),
            None => v.into_owned(),
        };
        params.insert(k.into_owned(), Value::String(joined));
    }
    ev["rawQueryString"] = Value::String(query.to_string());
    ev["queryStringParameters"] = Value::Object(params);
    ev
}

/// The value of the attribute `attr` of the element starting at `marker`.
fn attr_of(html: &str, marker: &str, attr: &str) -> String {
    let at = html
        .find(marker)
        .unwrap_or_else(|| panic!("{marker} in {html}"));
    let key = format!("{attr}=\"");
    let start = at + html[at..].find(&key).unwrap() + key.len();
    html[start..start + html[start..].find('"').unwrap()]
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

/// A files step without JavaScript, as a browser goes through it. The step's form is an S3
/// presigned POST (the page may post forms to the bucket and nowhere else) whose policy sends
/// the browser back to the step (`back_to`: the step's address up to the new slot) and expires
/// FORM_LIFETIME_MINUTES after the form was handed out (the functions' clock; moto does not
/// enforce it). The file goes straight to the bucket, which sends the browser back (303) with
/// the object's bucket and key added; the step drops them (the key ends with the file's name)
/// and lists the file. `step` is the step's event for a query string, `query` the first one.
/// Answers the slot and the step's page listing the file.
async fn through_the_files_step(
    env: &Env,
    app: &Router,
    step: impl Fn(&str) -> Value,
    query: &str,
    back_to: &str,
    (filename, bytes): (&str, &[u8]),
) -> (String, String) {
    let out = lambda_answer(app, step(query)).await;
    assert_eq!(out["statusCode"], 200, "{}", out["body"]);
    let csp = out["headers"]["content-security-policy"].as_str().unwrap();
    let origin = p3_api::http::csp::origin_of(&env.endpoint).unwrap();
    assert!(
        csp.contains(&format!("form-action 'self' {origin};")),
        "{csp}"
    );
    assert!(!csp.contains("script-src"), "{csp}");
    assert_eq!(out["headers"]["referrer-policy"], "no-referrer");
    let html = out["body"].as_str().unwrap();
    let bucket = format!("{}-files", env.settings.table_name);
    let url = attr_of(html, "<form method=\"post\"", "action");
    assert!(url.ends_with(&format!("/{bucket}")), "{url}");
    let form_html = &html[html.find("<form method=\"post\"").unwrap()..];
    let form_html = &form_html[..form_html.find("</form>").unwrap()];
    let fields: Vec<(String, String)> = form_html
        .split("<input type=\"hidden\"")
        .skip(1)
        .map(|input| {
            (
                attr_of(input, "name", "name"),
                attr_of(input, "value", "value"),
            )
        })
        .collect();
    let get = |n: &str| fields.iter().find(|(k, _)| k == n).map(|(_, v)| v.clone());
    let redirect = get("success_action_redirect").expect("a redirect");
    let slot = redirect
        .strip_prefix(&format!("https://complaints.p3housing.example{back_to}"))
        .unwrap_or_else(|| panic!("{redirect}"))
        .to_string();
    assert_eq!(
        get("key").unwrap(),
        format!("incoming/{slot}/${{filename}}")
    );
    let policy: Value =
        serde_json::from_slice(&aws_smithy_types::base64::decode(get("policy").unwrap()).unwrap())
            .unwrap();
    assert!(policy["conditions"]
        .as_array()
        .unwrap()
        .contains(&json!({"success_action_redirect": redirect})));
    let lifetime = Duration::minutes(p3_domain::inbox::FORM_LIFETIME_MINUTES);
    assert_eq!(
        policy["expiration"],
        (env.service.clock.now() + lifetime)
            .format("%Y-%m-%dT%H:%M:%S%.3fZ")
            .to_string()
    );
    let form = UploadForm {
        slot: slot.clone(),
        url,
        fields,
        expires_at: env.service.clock.now(),
    };

    let posted = post_as_browser(&form, filename, bytes).await;
    assert_eq!(posted.status().as_u16(), 303, "{:?}", posted.text().await);
    let back = posted.headers()["location"].to_str().unwrap().to_string();
    assert!(back.starts_with(&redirect), "{back}");
    assert!(back.contains("key="), "moto adds the key: {back}");
    let out = lambda_answer(app, step(back.split_once('?').unwrap().1)).await;
    assert_eq!(out["statusCode"], 303, "{}", out["body"]);
    let clean = out["headers"]["location"].as_str().unwrap();
    assert_eq!(clean, format!("{back_to}{slot}"));
    let out = lambda_answer(app, step(clean.split_once('?').unwrap().1)).await;
    assert_eq!(out["statusCode"], 200, "{}", out["body"]);
    let html = out["body"].as_str().unwrap();
    assert!(html.contains(filename), "{html}");
    (slot, html.to_string())
}

#[tokio::test]
#[ignore = "needs the moto AWS emulator (P3_MOTO_ENDPOINT); run by ./scripts/test"]
async fn without_javascript_the_files_step_posts_each_file_straight_to_the_bucket_and_is_sent_back()
{
    let env = Env::new("files-step").await;
    let (_, state) = with_attachments_bucket(&env).await;
    let intake = wiring::http_app(p3_api::intake_router(), state);

    // A 6 MB photo through the step, straight to the bucket.
    let photo = noise_png(6 * 1024 * 1024);
    let (slot, html) = through_the_files_step(
        &env,
        &intake,
        |q: &str| with_query(event("intake/get-files-step.json"), q),
        "",
        "/complaints/files?attachments=",
        ("damp wall.png", &photo[..]),
    )
    .await;
    assert!(html.contains("6.0 MB"), "{html}");
    assert_eq!(
        attr_of(&html, "<a class=\"button\"", "href"),
        format!("/?attachments={slot}")
    );

    // The form carries the slot; the complaint sent as text names it and the file is kept.
    let out = lambda_answer(
        &intake,
        with_query(
            event("intake/get-form.json"),
            &format!("attachments={slot}"),
        ),
    )
    .await;
    let html = out["body"].as_str().unwrap();
    assert!(
        html.contains(&format!("name=\"attachments\" value=\"{slot}\"")),
        "{html}"
    );
    let mut complaint = event("intake/post-complaint.json");
    let mut body: Value = serde_json::from_str(complaint["body"].as_str().unwrap()).unwrap();
    body["attachments"] = json!([slot]);
    complaint["body"] = Value::String(body.to_string());
    complaint["headers"]["content-length"] = Value::String(body.to_string().len().to_string());
    let answer = env.call(&intake, complaint).await;
    assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.text);
    assert_eq!(answer.body["files"][0]["filename"], "damp wall.png");
    assert_eq!(answer.body["files"][0]["size"], photo.len());
}

#[tokio::test]
#[ignore = "needs the moto AWS emulator (P3_MOTO_ENDPOINT); run by ./scripts/test"]
async fn without_javascript_the_stage2_files_step_posts_a_file_straight_to_the_bucket_and_the_request_keeps_it(
) {
    let env = Env::new("stage2-files").await;
    let (settings, state) = with_attachments_bucket(&env).await;
    let app = |part: fn() -> Router<AppState>| wiring::http_app(part(), state.clone());
    let (intake, acknowledgement, stage1, stage2, cases) = (
        app(p3_api::intake_router),
        app(p3_api::acknowledgement_router),
        app(p3_api::stage1_response_router),
        app(p3_api::stage2_router),
        app(p3_api::cases_router),
    );

    // A complaint answered at Stage 1, as in `every_sample_http_event_is_served_by_its_function`.
    let a = env.call(&intake, event("intake/post-complaint.json")).await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.text);
    let reference = a.body["reference"].as_str().unwrap().to_string();
    let code = a.body["access_code"].as_str().unwrap().to_string();
    let resident = [
        (SAMPLE_REFERENCE, reference.as_str()),
        (SAMPLE_CODE, code.as_str()),
    ];
    let on_case = [(SAMPLE_REFERENCE, reference.as_str())];
    for (app, file) in [
        (
            &acknowledgement,
            "acknowledgement/post-acknowledgement-stage1.json",
        ),
        (&stage1, "stage1-response/post-stage1-response.json"),
    ] {
        env.advance(Duration::minutes(10));
        let a = env.call(app, event_for(file, &on_case)).await;
        assert_eq!(a.status, StatusCode::OK, "{file}: {}", a.text);
        if file.starts_with("stage1-response") {
            assert_eq!(a.body["status"], "responded", "{}", a.text);
        }
    }
    env.advance(Duration::minutes(10));

    // The stage2 function serves the step; a 6 MB photo, more than a Lambda request takes,
    // goes through it straight to the bucket.
    let photo = noise_png(6 * 1024 * 1024);
    let (slot, html) = through_the_files_step(
        &env,
        &stage2,
        |q: &str| with_query(event_for("stage2/get-stage2-files-step.json", &resident), q),
        &format!("code={code}"),
        &format!("/complaints/{reference}/stage2/files?code={code}&attachments="),
        ("ceiling.png", &photo[..]),
    )
    .await;
    assert!(html.contains("6.0 MB"), "{html}");
    let next = attr_of(&html, "<a class=\"button\"", "href");
    assert_eq!(
        next,
        format!("/complaints/{reference}/stage2?code={code}&attachments={slot}")
    );

    // The request page carries the slot in its form; the form, posted as a browser posts it
    // (text only, with its CSRF token and cookie), names the slot and the file is kept.
    let out = lambda_answer(
        &stage2,
        with_query(
            event_for("stage2/get-stage2-page.json", &resident),
            next.split_once('?').unwrap().1,
        ),
    )
    .await;
    assert_eq!(out["statusCode"], 200, "{}", out["body"]);
    let html = out["body"].as_str().unwrap();
    assert!(
        html.contains(&format!("name=\"attachments\" value=\"{slot}\"")),
        "{html}"
    );
    assert!(html.contains("ceiling.png (6.0 MB)"), "{html}");
    let csrf = attr_of(html, "name=\"csrf_token\"", "value");
    let cookie = out["cookies"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .find(|c| c.starts_with("p3_csrf="))
        .unwrap_or_else(|| panic!("a CSRF cookie: {out}"))
        .split(';')
        .next()
        .unwrap()
        .to_string();
    let body: String = form_urlencoded::Serializer::new(String::new())
        .append_pair("csrf_token", &csrf)
        .append_pair("reason", "The ceiling is still damaged.")
        .append_pair("attachments", &slot)
        .finish();
    let mut request = event_for("stage2/post-resident-stage2.json", &resident);
    request["headers"]["accept"] = json!("text/html");
    request["headers"]["content-type"] = json!("application/x-www-form-urlencoded");
    request["headers"]["content-length"] = json!(body.len().to_string());
    request["cookies"] = json!([cookie]);
    request["body"] = Value::String(body);
    let out = lambda_answer(&stage2, request).await;
    assert_eq!(out["statusCode"], 303, "{}", out["body"]);
    let location = out["headers"]["location"].as_str().unwrap();
    assert!(
        location.starts_with(&format!("/complaints/{reference}?code=")),
        "{location}"
    );

    // On the case: the staff view lists the file with its size and SHA-256, the bytes are in
    // the bucket under the case, and the inbox slot is emptied.
    let a = env
        .call(&cases, event_for("cases/get-case.json", &on_case))
        .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text);
    assert_eq!(a.body["status"], "stage2_requested", "{}", a.text);
    let files = a.body["attachments"].as_array().expect("the case's files");
    assert_eq!(files.len(), 1, "{}", a.text);
    assert_eq!(files[0]["filename"], "ceiling.png");
    assert_eq!(files[0]["content_type"], "image/png");
    assert_eq!(files[0]["size"], photo.len());
    assert_eq!(
        files[0]["sha256"],
        p3_domain::attachment::sha256_hex(&photo)
    );
    let id = files[0]["id"].as_str().unwrap();
    let kept = p3_aws::files::attachments(&settings, &env.sdk)
        .get(&reference, id)
        .await
        .unwrap()
        .expect("kept in the bucket");
    assert!(kept == photo, "the same bytes");
    let inbox = p3_aws::files::upload_inbox(&settings, &env.sdk);
    assert_eq!(inbox.fetch(&slot).await.unwrap(), None);
}

#[tokio::test]
#[ignore = "needs the moto AWS emulator (P3_MOTO_ENDPOINT); run by ./scripts/test"]
async fn a_resident_downloads_their_own_file_and_one_over_4_mb_through_a_presigned_get() {
    let env = Env::new("resident-download").await;
    let (settings, state) = with_attachments_bucket(&env).await;
    let intake = wiring::http_app(p3_api::intake_router(), state.clone());
    let bucket = settings.attachments_bucket.clone().unwrap();
    let s3 = p3_aws::s3_attachments::s3_client(&env.sdk, true);

    // Two files in the inbox (as the browser leaves them), sent with the complaint.
    let big = noise_png(5 * 1024 * 1024);
    let small = b"%PDF-1.7\n a small letter\n%%EOF\n".to_vec();
    let slots = [
        "00112233445566778899".to_string(),
        "99887766554433221100".to_string(),
    ];
    for (slot, name, bytes) in [
        (&slots[0], "big photo.png", big.clone()),
        (&slots[1], "letter.pdf", small.clone()),
    ] {
        s3.put_object()
            .bucket(&bucket)
            .key(format!("incoming/{slot}/{name}"))
            .body(bytes.into())
            .send()
            .await
            .unwrap();
    }
    let mut complaint = event("intake/post-complaint.json");
    let mut body: Value = serde_json::from_str(complaint["body"].as_str().unwrap()).unwrap();
    body["attachments"] = json!(slots);
    complaint["body"] = Value::String(body.to_string());
    complaint["headers"]["content-length"] = Value::String(body.to_string().len().to_string());
    let answer = env.call(&intake, complaint).await;
    assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.text);
    let reference = answer.body["reference"].as_str().unwrap().to_string();
    let code = answer.body["access_code"].as_str().unwrap().to_string();
    let case = env.service.store.load(&reference).await.unwrap().unwrap();
    let (big_id, small_id) = (
        case.attachments[0].id.clone(),
        case.attachments[1].id.clone(),
    );
    let download = |id: &str, code: &str| {
        event_for(
            "intake/get-resident-file.json",
            &[
                (SAMPLE_REFERENCE, reference.as_str()),
                (SAMPLE_CODE, code),
                ("0123456789abcdef0123", id),
            ],
        )
    };

    // Over 4 MB: 303 to a presigned GET, which S3 answers as a download.
    let out = lambda_answer(&intake, download(&big_id, &code)).await;
    assert_eq!(out["statusCode"], 303, "{}", out["body"]);
    assert_eq!(out["headers"]["referrer-policy"], "no-referrer");
    let location = out["headers"]["location"].as_str().unwrap();
    assert!(
        location.contains(&format!("/cases/{reference}/{big_id}")),
        "{location}"
    );
    let got = reqwest::get(location).await.unwrap();
    assert_eq!(got.status().as_u16(), 200);
    assert!(got.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .starts_with("attachment; filename=\"big photo.png\""));
    assert_eq!(got.bytes().await.unwrap().to_vec(), big);

    // Within 4 MB: served by the function, as a download.
    let out = lambda_answer(&intake, download(&small_id, &code)).await;
    assert_eq!(out["statusCode"], 200, "{}", out["body"]);
    assert_eq!(out["headers"]["content-type"], "application/pdf");
    assert_eq!(out["headers"]["x-content-type-options"], "nosniff");
    assert!(out["headers"]["content-disposition"]
        .as_str()
        .unwrap()
        .starts_with("attachment;"));

    // A wrong code: the same 404 as no such file.
    let out = lambda_answer(&intake, download(&big_id, "AAAA-BBBB-CCCC-DDDD")).await;
    assert_eq!(out["statusCode"], 404, "{}", out["body"]);
}

#[tokio::test]
#[ignore = "needs the moto AWS emulator (P3_MOTO_ENDPOINT); run by ./scripts/test"]
async fn the_documents_function_serves_a_letter_and_the_evidence_pack_as_pdf_and_html() {
    let env = Env::new("documents").await;
    let answer = env
        .call(
            &env.app(p3_api::intake_router),
            event("intake/post-complaint.json"),
        )
        .await;
    assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.text);
    let reference = answer.body["reference"].as_str().unwrap().to_string();
    env.advance(Duration::minutes(10));
    let answer = env
        .call(
            &env.app(p3_api::acknowledgement_router),
            event_for(
                "acknowledgement/post-acknowledgement-stage1.json",
                &[(SAMPLE_REFERENCE, &reference)],
            ),
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text);

    // A file added through the `cases` function goes to the attachments bucket.
    let bucket = attachments_bucket(&env).await;
    let mut with_bucket = env.settings.clone();
    with_bucket.attachments_bucket = Some(bucket.clone());
    let cases = wiring::cases_app(
        env.service.clone(),
        &with_bucket,
        p3_aws::files::attachments(&with_bucket, &env.sdk),
        p3_aws::files::upload_inbox(&with_bucket, &env.sdk),
    );
    let added = env
        .call(
            &cases,
            event_for(
                "cases/post-attachment.json",
                &[(SAMPLE_REFERENCE, &reference)],
            ),
        )
        .await;
    assert_eq!(added.status, StatusCode::CREATED, "{}", added.text);
    let file_id = added.body["id"].as_str().unwrap().to_string();
    assert_eq!(added.body["filename"], "damp-survey.txt");
    let stored = p3_aws::files::attachments(&with_bucket, &env.sdk)
        .get(&reference, &file_id)
        .await
        .expect("the bucket answers")
        .expect("the file is in the bucket");
    assert!(String::from_utf8_lossy(&stored).starts_with("Damp survey, 1 June 2026"));
    // Without the bucket, a function keeps no files: refused, nothing half-written.
    let refused = env
        .call(
            &wiring::cases_app(
                env.service.clone(),
                &env.settings,
                p3_aws::files::attachments(&env.settings, &env.sdk),
                p3_aws::files::upload_inbox(&env.settings, &env.sdk),
            ),
            event_for(
                "cases/post-attachment.json",
                &[(SAMPLE_REFERENCE, &reference)],
            ),
        )
        .await;
    assert!(refused.status.is_server_error(), "{refused:?}");

    // The function as it starts: its own settings (no cookie key, no secret), a service that
    // only reads, the pages' session check.
    let mut vars: HashMap<String, String> = HashMap::new();
    for (k, v) in [
        ("TABLE_NAME", env.settings.table_name.clone()),
        ("QUEUE_URL", env.settings.queue_url.clone()),
        ("QUEUE_ARN", env.settings.queue_arn.clone()),
        ("DLQ_ARN", env.settings.dlq_arn.clone()),
        ("SCHEDULE_GROUP", env.settings.schedule_group.clone()),
        (
            "SCHEDULER_ROLE_ARN",
            env.settings.scheduler_role_arn.clone(),
        ),
        ("MAIL_FROM", env.settings.mail_from.clone()),
        ("EXPORT_BUCKET", env.settings.export_bucket.clone()),
        ("BASE_URL", env.settings.base_url.clone()),
        ("AWS_ENDPOINT_URL", env.endpoint.clone()),
        ("OIDC_ISSUER", "https://idp.p3housing.example".into()),
        ("OIDC_CLIENT_ID", "p3-staff-pages".into()),
        ("ATTACHMENTS_BUCKET", bucket.clone()),
    ] {
        vars.insert(k.into(), v);
    }
    let settings = p3_aws::documents::documents_settings(|k| vars.get(k).cloned())
        .expect("the documents function's settings");
    let service = wiring::service_changing_no_case(&settings, &env.sdk).await;
    let attachments = p3_aws::files::attachments(&settings, &env.sdk);
    let app = p3_aws::documents::documents_app(service, &settings, attachments)
        .expect("the documents app");

    let (status, kind, bytes) = documents_answer(
        &app,
        document_event("documents/get-letter.json", &reference, "pdf"),
    )
    .await;
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&bytes));
    assert_eq!(kind, "application/pdf");
    assert!(
        bytes.starts_with(b"%PDF-"),
        "a PDF: {:?}",
        &bytes[..bytes.len().min(16)]
    );
    let (status, kind, bytes) = documents_answer(
        &app,
        document_event("documents/get-evidence.json", &reference, "pdf"),
    )
    .await;
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&bytes));
    assert_eq!(kind, "application/pdf");
    assert!(bytes.starts_with(b"%PDF-"));
    assert!(
        bytes.len() > 1000,
        "the pack has pages: {} bytes",
        bytes.len()
    );

    // The file, from the bucket, as a download.
    let mut file = event_for(
        "documents/get-attachment.json",
        &[
            (SAMPLE_REFERENCE, reference.as_str()),
            ("0a1b2c3d4e5f60718293", file_id.as_str()),
        ],
    );
    file["requestContext"]["authorizer"] =
        event("cases/get-case.json")["requestContext"]["authorizer"].clone();
    let (status, _, bytes) = documents_answer(&app, file.clone()).await;
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&bytes));
    assert_eq!(bytes, stored);
    // The evidence pack's zip holds it.
    let (status, kind, bytes) = documents_answer(
        &app,
        document_event("documents/get-evidence.json", &reference, "zip"),
    )
    .await;
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&bytes));
    assert_eq!(kind, "application/zip");
    assert!(
        bytes
            .windows(b"damp-survey.txt".len())
            .any(|w| w == b"damp-survey.txt"),
        "the zip names the file"
    );

    // As HTML, as before.
    let (status, kind, bytes) = documents_answer(
        &app,
        document_event("documents/get-letter.json", &reference, "html"),
    )
    .await;
    assert_eq!(status, 200);
    assert!(kind.starts_with("text/html"), "{kind}");
    assert!(String::from_utf8_lossy(&bytes).contains(&reference));
    let (status, kind, _) = documents_answer(
        &app,
        document_event("documents/get-evidence.json", &reference, "html"),
    )
    .await;
    assert_eq!(status, 200);
    assert!(kind.starts_with("text/html"), "{kind}");

    // A format that does not exist is still a 400 naming it; a letter the case lacks a 404;
    // without a session, nothing.
    let (status, _, bytes) = documents_answer(
        &app,
        document_event("documents/get-letter.json", &reference, "docx"),
    )
    .await;
    assert_eq!(status, 400);
    assert!(String::from_utf8_lossy(&bytes).contains("format"));
    let mut other = document_event("documents/get-letter.json", &reference, "pdf");
    other["rawPath"] = json!(format!("/staff/complaints/{reference}/letters/9"));
    other["requestContext"]["http"]["path"] = other["rawPath"].clone();
    other["pathParameters"]["number"] = json!("9");
    let (status, _, _) = documents_answer(&app, other).await;
    assert_eq!(status, 404);
    let mut anonymous = document_event("documents/get-letter.json", &reference, "pdf");
    anonymous["requestContext"]
        .as_object_mut()
        .unwrap()
        .remove("authorizer");
    anonymous.as_object_mut().unwrap().remove("cookies");
    let (status, _, _) = documents_answer(&app, anonymous).await;
    assert_eq!(status, 401);
    // The pages' routes are not the documents function's.
    let mut page = event("pages/get-cases-page.json");
    page["requestContext"]["authorizer"] =
        event("cases/get-case.json")["requestContext"]["authorizer"].clone();
    let (status, _, _) = documents_answer(&app, page).await;
    assert_eq!(status, 404);
}

#[tokio::test]
#[ignore = "needs the moto AWS emulator (P3_MOTO_ENDPOINT); run by ./scripts/test"]
async fn an_alert_already_due_when_its_case_is_written_goes_to_the_queue_at_once() {
    let env = Env::new("due-now").await;
    // A complaint logged by phone six weeks late: its Stage 1 alerts are all overdue.
    let mut staff = event("intake/post-staff-complaint.json");
    let mut body: Value = serde_json::from_str(staff["body"].as_str().unwrap()).unwrap();
    body["received_at"] = json!((t0() - Duration::days(42)).to_rfc3339());
    staff["body"] = Value::String(body.to_string());
    let answer = env.call(&env.app(p3_api::intake_router), staff).await;
    assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.text);
    let reference = answer.body["reference"].as_str().unwrap().to_string();

    let case = env.service.store.load(&reference).await.unwrap().unwrap();
    let due: Vec<Notice> = env
        .service
        .timers(&case, t0())
        .unwrap()
        .into_iter()
        .filter(|t| t.fire_at <= t0())
        .map(|t| t.alert)
        .collect();
    assert!(!due.is_empty());
    let received = aws_sdk_sqs::Client::new(&env.sdk)
        .receive_message()
        .queue_url(&env.settings.queue_url)
        .max_number_of_messages(10)
        .send()
        .await
        .unwrap();
    let mut queued: Vec<Notice> = received
        .messages()
        .iter()
        .map(|m| serde_json::from_str(m.body().unwrap()).unwrap())
        .collect();
    queued.sort_by_key(Notice::id);
    let mut expected = due.clone();
    expected.sort_by_key(Notice::id);
    assert_eq!(queued, expected);
    for alert in &due {
        assert!(
            aws_sdk_scheduler::Client::new(&env.sdk)
                .get_schedule()
                .group_name(&env.settings.schedule_group)
                .name(schedule_name(alert))
                .send()
                .await
                .is_err(),
            "a due alert is not scheduled in the past"
        );
    }
}

#[tokio::test]
#[ignore = "needs the moto AWS emulator (P3_MOTO_ENDPOINT); run by ./scripts/test"]
async fn schedules_lost_after_their_case_was_saved_are_restored_by_the_hourly_reconciliation() {
    let env = Env::new("reconcile").await;
    let intake = env.app(p3_api::intake_router);
    let answer = env.call(&intake, event("intake/post-complaint.json")).await;
    assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.text);
    let reference = answer.body["reference"].as_str().unwrap().to_string();
    let scheduler = aws_sdk_scheduler::Client::new(&env.sdk);
    let group = env.settings.schedule_group.clone();
    let names = || async {
        scheduler
            .list_schedules()
            .group_name(&group)
            .send()
            .await
            .unwrap()
            .schedules()
            .iter()
            .filter_map(|s| s.name().map(str::to_string))
            .collect::<BTreeSet<String>>()
    };
    let planned = names().await;
    assert!(!planned.is_empty());
    // A second complaint, whose schedules are as planned. The pass lists the whole group once
    // and takes each case's schedules from it: this case's must be left as they are.
    env.advance(Duration::minutes(1));
    let answer = env.call(&intake, event("intake/post-complaint.json")).await;
    assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.text);
    let other = answer.body["reference"].as_str().unwrap().to_string();
    let both = names().await;
    let others: BTreeSet<String> = both.difference(&planned).cloned().collect();
    assert!(!others.is_empty() && others.iter().all(|n| n.starts_with(&other)));

    // The sync was cut short after the first case was saved: its schedules are gone, and one
    // it no longer plans is left over (as when a write's deletes failed).
    let kept = scheduler
        .get_schedule()
        .group_name(&group)
        .name(planned.iter().next().unwrap())
        .send()
        .await
        .unwrap();
    for name in &planned {
        scheduler
            .delete_schedule()
            .group_name(&group)
            .name(name)
            .send()
            .await
            .unwrap();
    }
    let stray = format!("{}.stage1_response.20991231.reminder", reference);
    let target = kept.target().unwrap().clone();
    scheduler
        .create_schedule()
        .group_name(&group)
        .name(&stray)
        .schedule_expression("at(2099-12-30T09:00:00)")
        .flexible_time_window(kept.flexible_time_window().unwrap().clone())
        .target(target)
        .send()
        .await
        .unwrap();
    assert_eq!(
        names().await,
        others
            .iter()
            .cloned()
            .chain([stray])
            .collect::<BTreeSet<String>>()
    );

    // The hourly job, as the queue delivers it, puts every one back, at its time, takes the
    // left-over one away and leaves the other case's alone.
    let job: SqsEvent = serde_json::from_value(event("deadlines/sqs-reconcile.json")).unwrap();
    let response = handle_batch(&env.service, job.clone()).await;
    assert!(failures(&response).is_empty());
    assert_eq!(names().await, both);
    let case = env.service.store.load(&reference).await.unwrap().unwrap();
    for timer in env.service.timers(&case, t0()).unwrap() {
        let input: Notice = serde_json::from_str(&env.schedule_input(&timer.alert).await).unwrap();
        assert_eq!(input, timer.alert);
    }

    // Three weeks on, the acknowledgement is overdue: its breach alert goes out once. A later
    // pass neither queues it again nor schedules anything in the past.
    env.advance(Duration::days(21));
    let sqs = aws_sdk_sqs::Client::new(&env.sdk);
    // Takes what the queue holds off it, as the event source mapping does with a batch it
    // handled (left there, a message would come back after its visibility timeout).
    let drain = || async {
        let got = sqs
            .receive_message()
            .queue_url(&env.settings.queue_url)
            .max_number_of_messages(10)
            .send()
            .await
            .unwrap();
        for m in got.messages() {
            sqs.delete_message()
                .queue_url(&env.settings.queue_url)
                .receipt_handle(m.receipt_handle().unwrap())
                .send()
                .await
                .unwrap();
        }
        got.messages().to_vec()
    };
    let response = handle_batch(&env.service, job.clone()).await;
    assert!(failures(&response).is_empty());
    let queued = drain().await;
    assert!(!queued.is_empty(), "the overdue alerts are queued at once");
    let batch = batch_of(
        queued
            .iter()
            .map(|m| {
                let mut message = SqsMessage::default();
                message.message_id = m.message_id().map(str::to_string);
                message.body = m.body().map(str::to_string);
                message
            })
            .collect(),
    );
    assert!(failures(&handle_batch(&env.service, batch).await).is_empty());
    let sent = env.emails_about(&reference).await.len();
    assert!(sent >= 1, "the breach alert was emailed");
    let response = handle_batch(&env.service, job).await;
    assert!(failures(&response).is_empty());
    assert!(
        drain().await.is_empty(),
        "an alert already sent is not queued again"
    );
    assert_eq!(env.emails_about(&reference).await.len(), sent);
}

#[tokio::test]
#[ignore = "needs the moto AWS emulator (P3_MOTO_ENDPOINT); run by ./scripts/test"]
async fn every_sample_http_event_is_served_by_its_function() {
    let env = Env::new("routes").await;
    let intake = env.app(p3_api::intake_router);
    let acknowledgement = env.app(p3_api::acknowledgement_router);
    let stage1 = env.app(p3_api::stage1_response_router);
    let stage2 = env.app(p3_api::stage2_router);
    let cases = env.app(p3_api::cases_router);
    let step = || env.advance(Duration::minutes(10));

    // intake: the form, a resident's complaint, their view and confirmation page.
    let a = env.call(&intake, event("intake/get-form.json")).await;
    assert_eq!(a.status, StatusCode::OK);
    assert!(a.content_type.starts_with("text/html"), "{a:?}");
    for (file, kind) in [
        ("intake/get-stylesheet.json", "text/css"),
        ("intake/get-icon.json", "image/svg+xml"),
        ("intake/get-upload-script.json", "text/javascript"),
    ] {
        let a = env.call(&intake, event(file)).await;
        assert_eq!(a.status, StatusCode::OK, "{file}");
        assert!(a.content_type.starts_with(kind), "{file}: {a:?}");
    }
    let a = env.call(&intake, event("intake/post-complaint.json")).await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.text);
    let first = a.body["reference"].as_str().unwrap().to_string();
    let code = a.body["access_code"].as_str().unwrap().to_string();
    let resident = [
        (SAMPLE_REFERENCE, first.as_str()),
        (SAMPLE_CODE, code.as_str()),
    ];
    let a = env
        .call(
            &intake,
            event_for("intake/get-resident-view.json", &resident),
        )
        .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text);
    assert_eq!(a.body["reference"], first.as_str());
    let a = env
        .call(
            &intake,
            event_for("intake/get-confirmation.json", &resident),
        )
        .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text);
    assert!(a.content_type.starts_with("text/html"));
    let a = env.call(&intake, event("intake/get-openapi.json")).await;
    assert!(
        a.status == StatusCode::OK || a.status == StatusCode::NOT_FOUND,
        "the OpenAPI document, or the shared 404 until it is served: {a:?}"
    );

    // intake, staff: a phoned-in complaint, a service request and its dissatisfaction.
    let a = env
        .call(&intake, event("intake/post-staff-complaint.json"))
        .await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.text);
    let second = a.body["reference"].as_str().unwrap().to_string();
    let mut anonymous = event("intake/post-staff-complaint.json");
    anonymous["requestContext"]
        .as_object_mut()
        .unwrap()
        .remove("authorizer");
    let a = env.call(&intake, anonymous).await;
    assert_eq!(
        a.status,
        StatusCode::UNAUTHORIZED,
        "no authorizer claims, no staff"
    );
    let a = env
        .call(&intake, event("intake/post-service-request.json"))
        .await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.text);
    let request = a.body["id"].as_str().unwrap().to_string();
    let a = env
        .call(
            &intake,
            event_for(
                "intake/post-dissatisfaction.json",
                &[(SAMPLE_SERVICE_REQUEST, request.as_str())],
            ),
        )
        .await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.text);
    let third = a.body["reference"].as_str().unwrap().to_string();
    let a = env.call(&intake, event("intake/post-complaint.json")).await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.text);
    let fourth = a.body["reference"].as_str().unwrap().to_string();

    let on = |reference: &str| [(SAMPLE_REFERENCE, reference.to_string())];
    let call_on = |app: &Router, path: &str, reference: &str| {
        let subs = on(reference);
        let subs: Vec<(&str, &str)> = subs.iter().map(|(a, b)| (*a, b.as_str())).collect();
        let ev = event_for(path, &subs);
        let app = app.clone();
        let env = &env;
        async move { env.call(&app, ev).await }
    };

    // The first case through both stages.
    step();
    let a = call_on(
        &acknowledgement,
        "acknowledgement/post-acknowledgement-stage1.json",
        &first,
    )
    .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text);
    step();
    let a = call_on(&stage1, "stage1-response/post-stage1-response.json", &first).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text);
    assert_eq!(a.body["status"], "responded");
    step();
    let a = env
        .call(&stage2, event_for("stage2/get-stage2-page.json", &resident))
        .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text);
    assert!(a.content_type.starts_with("text/html"));
    step();
    let a = env
        .call(
            &stage2,
            event_for("stage2/post-resident-stage2.json", &resident),
        )
        .await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.text);
    step();
    let a = call_on(
        &acknowledgement,
        "acknowledgement/post-acknowledgement-stage2.json",
        &first,
    )
    .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text);
    step();
    let a = call_on(&stage2, "stage2/post-stage2-response.json", &first).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text);
    assert_eq!(a.body["status"], "closed");
    step();
    let a = call_on(&cases, "cases/post-ombudsman.json", &first).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text);

    // The second: extended, answered, then a Stage 2 request taken by staff.
    step();
    let a = call_on(
        &acknowledgement,
        "acknowledgement/post-acknowledgement-stage1.json",
        &second,
    )
    .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text);
    step();
    let a = call_on(&cases, "cases/post-extension.json", &second).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text);
    step();
    let a = call_on(
        &stage1,
        "stage1-response/post-stage1-response.json",
        &second,
    )
    .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text);
    step();
    let a = call_on(&stage2, "stage2/post-staff-stage2.json", &second).await;
    assert!(a.status.is_success(), "{}", a.text);
    assert_eq!(a.body["status"], "stage2_requested");

    // The third is withdrawn, the fourth refused.
    step();
    let a = call_on(&cases, "cases/post-withdrawal.json", &third).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text);
    step();
    let a = call_on(&cases, "cases/post-refusal.json", &fourth).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text);

    // cases: reads.
    let a = call_on(&cases, "cases/get-case.json", &second).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text);
    assert_eq!(a.body["reference"], second.as_str());
    let a = env.call(&cases, event("cases/get-list.json")).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text);
    assert!(a.text.contains(&second), "{}", a.text);

    // A route another function serves is not found here (each function has its part only).
    let a = env.call(&cases, event("intake/post-complaint.json")).await;
    assert_eq!(a.status, StatusCode::NOT_FOUND);
    assert!(a.content_type.starts_with("application/problem+json"));
}

#[tokio::test]
#[ignore = "needs the moto AWS emulator (P3_MOTO_ENDPOINT); run by ./scripts/test"]
async fn the_reporting_function_answers_reports_from_dynamodb() {
    let env = Env::new("reporting").await;
    let intake = env.app(p3_api::intake_router);
    // A May complaint (the clock stands on 1 June).
    env.clock.set(t0() - Duration::days(10));
    let answer = env.call(&intake, event("intake/post-complaint.json")).await;
    assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.text);
    env.clock.set(t0());

    let (app, exporter) = wiring::reporting_parts(&env.settings, &env.sdk, env.state.clone());
    // The sample GET (an auditor, month 2026-05): the figures, in the HTTP API's format.
    let answer = wiring::handle_reporting_event(
        app.clone(),
        &exporter,
        event("reporting/get-report.json"),
        t0(),
    )
    .await
    .unwrap();
    assert_eq!(answer["statusCode"], 200, "{answer}");
    let figures: Value = serde_json::from_str(answer["body"].as_str().unwrap()).unwrap();
    assert_eq!(figures["month"], "2026-05", "{figures}");
    assert_eq!(figures["stage1"]["received"], 1, "{figures}");

    // A route another function serves is the shared 404 problem here.
    let answer =
        wiring::handle_reporting_event(app, &exporter, event("intake/post-complaint.json"), t0())
            .await
            .unwrap();
    assert_eq!(answer["statusCode"], 404, "{answer}");
    // The monthly job (S3 and SES) is checked in tests/reports.rs.
}

/// A sample event with its JSON body replaced by `body` (and its length with it).
fn with_body(mut ev: Value, body: &Value) -> Value {
    let text = body.to_string();
    ev["headers"]["content-length"] = json!(text.len().to_string());
    ev["body"] = json!(text);
    ev
}

#[tokio::test]
#[ignore = "needs the moto AWS emulator (P3_MOTO_ENDPOINT); run by ./scripts/test"]
async fn a_support_services_complaint_reaches_stage_3_through_the_stage2_function() {
    let env = Env::new("stage3").await;
    let intake = env.app(p3_api::intake_router);
    let acknowledgement = env.app(p3_api::acknowledgement_router);
    let stage1 = env.app(p3_api::stage1_response_router);
    let stage2 = env.app(p3_api::stage2_router);
    let step = || env.advance(Duration::minutes(10));

    // Two phoned-in complaints: one about a support service, one about housing.
    let sample = event("intake/post-staff-complaint.json");
    let mut body: Value = serde_json::from_str(sample["body"].as_str().unwrap()).unwrap();
    body["category"] = json!("support_services");
    body["procedure"] = json!("support_services");
    let a = env.call(&intake, with_body(sample.clone(), &body)).await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.text);
    let support = a.body["reference"].as_str().unwrap().to_string();
    let code = a.body["access_code"].as_str().unwrap().to_string();
    let a = env.call(&intake, sample).await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.text);
    let housing = a.body["reference"].as_str().unwrap().to_string();
    let for_case = |path: &str, reference: &str| event_for(path, &[(SAMPLE_REFERENCE, reference)]);

    // Both answered at Stage 1.
    for r in [&support, &housing] {
        step();
        let a = env
            .call(
                &acknowledgement,
                for_case("acknowledgement/post-acknowledgement-stage1.json", r),
            )
            .await;
        assert_eq!(a.status, StatusCode::OK, "{}", a.text);
        step();
        let a = env
            .call(
                &stage1,
                for_case("stage1-response/post-stage1-response.json", r),
            )
            .await;
        assert_eq!(a.status, StatusCode::OK, "{}", a.text);
    }
    // A housing complaint has no Stage 3: 409, not a 500.
    let a = env
        .call(&stage2, for_case("stage2/post-staff-stage3.json", &housing))
        .await;
    assert_eq!(a.status, StatusCode::CONFLICT, "{}", a.text);
    let a = env
        .call(
            &stage2,
            for_case("stage2/post-stage3-response.json", &housing),
        )
        .await;
    assert_eq!(a.status, StatusCode::CONFLICT, "{}", a.text);

    // The support complaint's Stage 2, requested by staff, acknowledged and answered.
    step();
    let a = env
        .call(&stage2, for_case("stage2/post-staff-stage3.json", &support))
        .await;
    assert_eq!(
        a.status,
        StatusCode::CONFLICT,
        "Stage 3 before Stage 2: {}",
        a.text
    );
    let a = env
        .call(&stage2, for_case("stage2/post-staff-stage2.json", &support))
        .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text);
    step();
    let a = env
        .call(
            &acknowledgement,
            for_case("acknowledgement/post-acknowledgement-stage2.json", &support),
        )
        .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text);
    step();
    let a = env
        .call(
            &stage2,
            for_case("stage2/post-stage2-response.json", &support),
        )
        .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text);
    assert_eq!(a.body["status"], "responded");

    // The resident's page and request for Stage 3.
    let resident = [
        (SAMPLE_REFERENCE, support.as_str()),
        (SAMPLE_CODE, code.as_str()),
    ];
    step();
    let a = env
        .call(&stage2, event_for("stage2/get-stage3-page.json", &resident))
        .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text);
    assert!(a.text.contains("This is Stage 3"), "{}", a.text);
    let a = env
        .call(
            &stage2,
            event_for("stage2/post-resident-stage3.json", &resident),
        )
        .await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.text);
    assert_eq!(a.body["status"], "stage3_requested");

    // Acknowledged by a reviewer new to the case, answered by the senior manager in the sample.
    step();
    let ack = event("acknowledgement/post-acknowledgement-stage2.json");
    let ack = with_body(
        ack,
        &json!({"reviewer": "sam@p3.example", "complaint_points": ["Visits missed after the review"]}),
    );
    let ack: Value =
        serde_json::from_str(&ack.to_string().replace(SAMPLE_REFERENCE, &support)).unwrap();
    let a = env.call(&acknowledgement, ack).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text);
    assert_eq!(a.body["status"], "stage3_acknowledged");
    step();
    let a = env
        .call(
            &stage2,
            for_case("stage2/post-stage3-response.json", &support),
        )
        .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text);
    assert_eq!(a.body["status"], "closed");
    assert!(a.body["housing_ombudsman"]
        .as_str()
        .unwrap()
        .contains("PO Box 152"));

    // The reporting function, on DynamoDB, counts it in the support-services section only.
    let (app, exporter) = wiring::reporting_parts(&env.settings, &env.sdk, env.state.clone());
    let get: Value = serde_json::from_str(
        &event("reporting/get-report.json")
            .to_string()
            .replace("2026-05", "2026-06"),
    )
    .unwrap();
    let answer = wiring::handle_reporting_event(app, &exporter, get, t0() + Duration::hours(3))
        .await
        .unwrap();
    assert_eq!(answer["statusCode"], 200, "{answer}");
    let figures: Value = serde_json::from_str(answer["body"].as_str().unwrap()).unwrap();
    let ss = &figures["support_services"];
    assert_eq!(ss["stage1"]["received"], 1, "{figures}");
    assert_eq!(ss["stage3"]["received"], 1, "{figures}");
    assert_eq!(ss["stage3"]["responded"], 1, "{figures}");
    assert_eq!(ss["escalations"], 2, "{figures}");
    assert_eq!(figures["stage1"]["received"], 1, "housing only: {figures}");
    assert_eq!(figures["stage2"]["received"], 0, "housing only: {figures}");
}

// ---- Checks on the files alone: the samples, the template and the routers agree ----

fn template() -> serde_yaml::Value {
    let text = std::fs::read_to_string(repo().join("infra/template.yaml")).unwrap();
    serde_yaml::from_str(&text).unwrap()
}

fn untag(v: &serde_yaml::Value) -> &serde_yaml::Value {
    match v {
        serde_yaml::Value::Tagged(t) => &t.value,
        other => other,
    }
}

/// (function, route key) of every HTTP API event in the template.
fn template_routes() -> BTreeSet<(String, String)> {
    let doc = template();
    let mut routes = BTreeSet::new();
    for (_, resource) in doc["Resources"].as_mapping().unwrap() {
        if resource["Type"].as_str() != Some("AWS::Serverless::Function") {
            continue;
        }
        let code = resource["Properties"]["CodeUri"].as_str().unwrap();
        let function = code.rsplit('/').next().unwrap().to_string();
        let Some(events) = resource["Properties"]["Events"].as_mapping() else {
            continue;
        };
        for (_, e) in events {
            if e["Type"].as_str() == Some("HttpApi") {
                let p = &e["Properties"];
                let key = format!(
                    "{} {}",
                    untag(&p["Method"]).as_str().unwrap(),
                    untag(&p["Path"]).as_str().unwrap()
                );
                routes.insert((function.clone(), key));
            }
        }
    }
    routes
}

fn sample_files() -> Vec<(String, PathBuf)> {
    let mut out = Vec::new();
    for dir in std::fs::read_dir(repo().join("events")).unwrap() {
        let dir = dir.unwrap().path();
        if !dir.is_dir() {
            continue;
        }
        let function = dir.file_name().unwrap().to_string_lossy().into_owned();
        for file in std::fs::read_dir(&dir).unwrap() {
            let file = file.unwrap().path();
            if file.extension().is_some_and(|e| e == "json") {
                out.push((function.clone(), file));
            }
        }
    }
    out.sort();
    out
}

fn read_json(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap())
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn every_route_in_the_template_has_a_sample_event_and_every_sample_a_route() {
    let from_template = template_routes();
    let mut from_samples = BTreeSet::new();
    for (function, file) in sample_files() {
        let ev = read_json(&file);
        if let Some(key) = ev["routeKey"].as_str() {
            assert_eq!(
                ev["requestContext"]["routeKey"],
                key,
                "{}: routeKey twice",
                file.display()
            );
            lambda_http::request::from_str(&ev.to_string())
                .unwrap_or_else(|e| panic!("{}: not an HTTP API event: {e}", file.display()));
            let staff = needs_authorizer(key.split(' ').nth(1).unwrap());
            let claims = &ev["requestContext"]["authorizer"]["jwt"]["claims"];
            assert_eq!(
                claims.is_object(),
                staff,
                "{}: staff routes carry JWT claims, public ones none",
                file.display()
            );
            from_samples.insert((function, key.to_string()));
        }
    }
    assert_eq!(from_template, from_samples);
    // Staff API routes use the JWT authorizer; public ones and the staff pages none.
    let doc = template();
    for (_, resource) in doc["Resources"].as_mapping().unwrap() {
        let Some(events) = resource["Properties"]["Events"].as_mapping() else {
            continue;
        };
        for (name, e) in events {
            if e["Type"].as_str() != Some("HttpApi") {
                continue;
            }
            let path = untag(&e["Properties"]["Path"]).as_str().unwrap();
            let authorizer = e["Properties"]["Auth"]["Authorizer"].as_str();
            let expected = needs_authorizer(path).then_some("StaffJwt");
            assert_eq!(authorizer, expected, "{name:?} {path}");
        }
    }
}

/// The staff API's routes; not the staff pages' (`/staff`, sign-in, its callback, sign-out,
/// `/staff/cases...`, the forms logging a complaint or a service request, the service requests'
/// review pages, the annual cycle's forms) and the printable reports they link to, which a
/// browser reaches without an Authorization header: the `pages` and `report-pages` functions
/// check their session cookie themselves (tests/sign_in.rs).
fn needs_authorizer(path: &str) -> bool {
    let page = path == "/staff"
        || [
            "/staff/sign-",
            "/staff/auth/",
            "/staff/cases",
            "/staff/monthly-report",
            "/staff/quarterly-report",
            "/staff/annual-report",
            "/staff/self-assessment",
            "/staff/governing-body-response",
            "/staff/complaints/new",
            "/staff/service-requests/new",
        ]
        .iter()
        .any(|p| path.starts_with(p))
        // The printable letter, the evidence pack and a case's file, opened from the pages with
        // the session.
        || (path.starts_with("/staff/complaints/")
            && (path.ends_with("/evidence")
                || path.contains("/letters/")
                || (path.contains("/attachments/") && !path.ends_with("/attachments/uploads"))))
        // The service requests' review list and review page.
        || (path.starts_with("/staff/service-requests/") && path.ends_with("/review"));
    path.starts_with("/staff/") && !page
}

#[test]
fn the_sample_queue_and_schedule_events_are_what_the_template_sends() {
    // The SQS batch carries alerts.
    let batch: SqsEvent =
        serde_json::from_value(event("deadlines/sqs-batch.json")).expect("an SQS event");
    assert!(!batch.records.is_empty());
    for message in &batch.records {
        let alert = alert_of(message);
        assert_eq!(alert.reference(), SAMPLE_REFERENCE);
        assert!(message.message_id.is_some());
    }
    // The hourly reconciliation's input is the sample message's body.
    let doc = template();
    let reconcile: SqsEvent =
        serde_json::from_value(event("deadlines/sqs-reconcile.json")).expect("an SQS event");
    let input = doc["Resources"]["AlertReconcileSchedule"]["Properties"]["Target"]["Input"]
        .as_str()
        .expect("the reconciliation schedule has an input");
    assert_eq!(reconcile.records[0].body.as_deref(), Some(input));
    // The monthly schedule's input is the sample event, and the reporting function reads it.
    let input = doc["Resources"]["MonthlyReportSchedule"]["Properties"]["Target"]["Input"]
        .as_str()
        .expect("the monthly schedule has an input");
    let input: Value = serde_json::from_str(input).unwrap();
    assert_eq!(input, event("reporting/monthly-schedule.json"));
    assert!(matches!(
        ReportingEvent::parse(input).unwrap(),
        ReportingEvent::Scheduled(ScheduledJob::MonthlyReport)
    ));
    assert!(matches!(
        ReportingEvent::parse(event("reporting/get-report.json")).unwrap(),
        ReportingEvent::Http(_)
    ));
    // The quarterly schedule's input is the quarterly summary's job.
    let quarterly = &doc["Resources"]["QuarterlyReportSchedule"]["Properties"];
    assert_eq!(quarterly["ScheduleExpression"], "cron(30 6 1 1,4,7,10 ? *)");
    assert_eq!(quarterly["ScheduleExpressionTimezone"], "Europe/London");
    let input: Value =
        serde_json::from_str(quarterly["Target"]["Input"].as_str().unwrap()).unwrap();
    assert!(matches!(
        ReportingEvent::parse(input).unwrap(),
        ReportingEvent::Scheduled(ScheduledJob::QuarterlyReport)
    ));
}

#[test]
fn the_monthly_report_covers_the_london_month_just_ended() {
    // 06:00 London on 1 January is still the 1st in London; the report is December's.
    let new_year = Utc.with_ymd_and_hms(2027, 1, 1, 6, 0, 0).unwrap();
    assert_eq!(wiring::month_to_report(new_year).to_string(), "2026-12");
    // 00:30 London on 1 July (23:30 UTC on 30 June) is already July in London.
    let july = Utc.with_ymd_and_hms(2026, 6, 30, 23, 30, 0).unwrap();
    assert_eq!(wiring::month_to_report(july).to_string(), "2026-06");
}

/// The landlord's configuration file, as the layer mounts it (`P3_CONFIG`), is what the
/// functions run on: their categories on the public form, their procedure, their contact
/// details on letters.
#[tokio::test]
#[ignore = "needs the moto AWS emulator (P3_MOTO_ENDPOINT); run by ./scripts/test"]
async fn the_landlords_configuration_file_is_what_the_functions_run_on() {
    let file = repo().join("shared/config/tests/files/own-procedure/p3.toml");
    let env = Env::with_config("config", Some(&file)).await;
    let rules = &env.service.rules;
    assert_eq!(
        rules.procedures.get("housing").unwrap().name,
        "Northgate Homes housing complaints"
    );
    assert_eq!(rules.backdate.working_days, 5);
    assert_eq!(
        rules.letters.landlord.phone.as_deref(),
        Some("0100 000 0000")
    );
    // The variable set by the template's Landlord parameter stands for the file's landlord.
    assert_eq!(env.service.settings.landlord, env.settings.config.landlord);
    assert!(env.service.settings.landlord.starts_with("P3 Test"));

    let intake = env.app(p3_api::intake_router);
    let with_category = |category: &str| {
        let mut e = event("intake/post-complaint.json");
        let body = e["body"].as_str().unwrap().replace(
            "\"category\": \"repairs\"",
            &format!("\"category\": \"{category}\""),
        );
        e["body"] = body.into();
        e
    };
    let answer = env.call(&intake, with_category("noise")).await;
    assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.text);
    // A built-in category this landlord does not use is refused, naming the field.
    let answer = env
        .call(&intake, with_category("anti_social_behaviour"))
        .await;
    assert_eq!(
        answer.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        answer.text
    );
    assert!(answer.text.contains("category"), "{}", answer.text);
    assert!(answer.text.contains("noise"), "{}", answer.text);
}

/// Noise after a PNG's signature: a file the zip cannot shrink.
fn noise_png(len: usize) -> Vec<u8> {
    let mut b = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    while b.len() < len {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        b.extend_from_slice(&x.to_le_bytes());
    }
    b.truncate(len);
    b
}

#[tokio::test]
#[ignore = "needs the moto AWS emulator (P3_MOTO_ENDPOINT); run by ./scripts/test"]
async fn a_staff_file_too_large_for_a_lambda_request_goes_through_the_inbox_and_a_zip_too_large_for_an_answer_through_a_presigned_get(
) {
    let env = Env::new("large-files").await;
    let intake = env.app(p3_api::intake_router);
    let answer = env.call(&intake, event("intake/post-complaint.json")).await;
    assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.text);
    let reference = answer.body["reference"].as_str().unwrap().to_string();
    let answer = env.call(&intake, event("intake/post-complaint.json")).await;
    assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.text);
    let small_case = answer.body["reference"].as_str().unwrap().to_string();
    let mut settings = env.settings.clone();
    settings.attachments_bucket = Some(attachments_bucket(&env).await);
    let attachments = p3_aws::files::attachments(&settings, &env.sdk);
    let inbox = p3_aws::files::upload_inbox(&settings, &env.sdk);
    let cases = wiring::cases_app(
        env.service.clone(),
        &settings,
        attachments.clone(),
        inbox.clone(),
    );

    // The `cases` function hands out a presigned POST into the bucket's inbox.
    let answer = env
        .call(
            &cases,
            event_for(
                "cases/post-attachment-uploads.json",
                &[(SAMPLE_REFERENCE, &reference)],
            ),
        )
        .await;
    assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.text);
    let f = &answer.body["forms"][0];
    let form = UploadForm {
        slot: f["slot"].as_str().unwrap().into(),
        url: f["url"].as_str().unwrap().into(),
        fields: serde_json::from_value(f["fields"].clone()).expect("[name, value] pairs"),
        expires_at: serde_json::from_value(f["expires_at"].clone()).expect("a time"),
    };
    // A 5 MB photo, more than a request to a function may carry, straight to S3.
    let png = noise_png(5 * 1024 * 1024);
    let posted = post_as_browser(&form, "bathroom ceiling.png", &png).await;
    assert!(posted.status().is_success(), "{:?}", posted.text().await);

    // Named in JSON: checked, kept under the case, the same answer as the multipart form.
    let mut add = event_for(
        "cases/post-attachment.json",
        &[(SAMPLE_REFERENCE, &reference)],
    );
    let body =
        json!({"upload": form.slot, "description": "Mould on the bathroom ceiling"}).to_string();
    add["headers"]["content-type"] = json!("application/json");
    add["headers"]["content-length"] = json!(body.len().to_string());
    add["body"] = Value::String(body);
    add["isBase64Encoded"] = json!(false);
    let added = env.call(&cases, add).await;
    assert_eq!(added.status, StatusCode::CREATED, "{}", added.text);
    let sha = p3_domain::attachment::sha256_hex(&png);
    assert_eq!(added.body["content_type"], "image/png");
    assert_eq!(added.body["size"], png.len());
    assert_eq!(added.body["sha256"], sha.as_str());
    let id = added.body["id"].as_str().unwrap().to_string();
    assert_eq!(
        attachments.get(&reference, &id).await.unwrap().as_deref(),
        Some(png.as_slice())
    );
    assert_eq!(
        inbox.fetch(&form.slot).await.unwrap(),
        None,
        "the slot is emptied"
    );

    // The evidence pack's zip is over 4 MB: 303 to a presigned GET of it under downloads/.
    let documents = wiring::http_app(
        p3_api::documents_router(),
        AppState {
            attachments: attachments.clone(),
            ..env.state.clone()
        },
    );
    let request = serde_json::from_value(document_event(
        "documents/get-evidence.json",
        &reference,
        "zip",
    ))
    .expect("an HTTP API event");
    let out = wiring::answer_http(documents.clone(), request)
        .await
        .expect("answered");
    assert_eq!(out["statusCode"], 303, "{}", out["body"]);
    let location = out["headers"]["location"].as_str().expect("a Location");
    assert!(
        location.contains(&format!("/downloads/{reference}/")),
        "{location}"
    );
    assert_eq!(out["headers"]["cache-control"], "private, no-store");
    let got = reqwest::get(location).await.expect("the emulator answers");
    assert_eq!(got.status().as_u16(), 200);
    let zipped = got.bytes().await.unwrap().to_vec();
    assert!(zipped.len() as u64 > p3_aws::s3_attachments::SERVED_THROUGH_LAMBDA_BYTES);
    let mut z = zip::ZipArchive::new(std::io::Cursor::new(zipped)).expect("a zip");
    let name = format!("attachments/{id}-bathroom ceiling.png");
    let mut kept = Vec::new();
    std::io::Read::read_to_end(&mut z.by_name(&name).expect(&name), &mut kept).unwrap();
    assert_eq!(kept, png, "the zip holds the photo unchanged");

    // A case whose zip fits in an answer: served by the function itself, as before.
    let (status, kind, bytes) = documents_answer(
        &documents,
        document_event("documents/get-evidence.json", &small_case, "zip"),
    )
    .await;
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&bytes));
    assert_eq!(kind, "application/zip");
    assert!(zip::ZipArchive::new(std::io::Cursor::new(bytes)).is_ok());
}
