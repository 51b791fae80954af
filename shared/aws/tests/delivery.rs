//! At-least-once delivery of alerts on AWS, end to end against the moto emulator: a real queue
//! with the template's redrive policy, the deadlines consumer (`sqs::handle_batch`), DynamoDB
//! and SES. SQS may deliver a message more than once, late, or out of order, and a message the
//! consumer cannot handle must not hold up the rest of its batch:
//! - a poison message (not JSON, or an alert naming a deadline kind that does not exist) is a
//!   batch item failure while the good message beside it is sent, and after `maxReceiveCount`
//!   receives it is in the dead-letter queue;
//! - a failing email send (an unverified sender identity in SES) is a batch item failure, so SQS
//!   delivers it again, and the alert is not marked sent until an email really went;
//! - a later alert delivered before an earlier one, an earlier one delivered late, an alert
//!   delivered before its moment, and an alert of a deadline an extension moved later send
//!   nothing wrong;
//! - with AWS unreachable (a proxy standing for the network path, stopped), every function
//!   answers 503 with `Retry-After`, the consumer retries, nothing is half-written, and the
//!   same warm service recovers when the path is back; with AWS accepting connections and never
//!   answering, a request still gets its 503 well before the function's timeout; a write DynamoDB refuses as sent (an
//!   item over 400 KB) is a 500, never a 503 telling the client to retry.
//!
//! `#[ignore]`d under plain `cargo test`; `./scripts/test` starts moto and runs them, and they
//! fail (never skip) when `P3_MOTO_ENDPOINT` is missing.

mod support;

use std::collections::{BTreeMap, HashMap};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use aws_config::SdkConfig;
use aws_lambda_events::event::sqs::{SqsEvent, SqsMessage};
use axum::Router;
use chrono::{Duration, Utc};
use http::StatusCode;
use p3_api::problem::Problem;
use p3_api::AppState;
use p3_aws::dynamo::{create_table, TableDefinition};
use p3_aws::sqs::handle_batch;
use p3_aws::wiring::{self, AwsSettings};
use p3_domain::alert::{Alert, Notice};
use p3_domain::ports::{CaseStore, StoreError};
use p3_domain::service::{Service, ServiceError};
use p3_store_contract::{self as contract, TestClock};
use serde_json::{json, Value};
use support::{create_queue, endpoint, failures, repo, t0};
use tower::ServiceExt;

const SAMPLE_REFERENCE: &str = "CMP-2026-00042";

/// A sample event from `events/` with the sample reference replaced by a real one.
fn event_for(path: &str, reference: &str) -> Value {
    let file = repo().join("events").join(path);
    let text = std::fs::read_to_string(&file)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", file.display()))
        .replace(SAMPLE_REFERENCE, reference);
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{} is not JSON: {e}", file.display()))
}

/// The deadline queue's redrive `maxReceiveCount`, as `infra/template.yaml` sets it.
fn template_max_receive_count() -> i64 {
    let text = std::fs::read_to_string(repo().join("infra/template.yaml")).unwrap();
    let template: serde_yaml::Value = serde_yaml::from_str(&text).unwrap();
    template["Resources"]["DeadlineQueue"]["Properties"]["RedrivePolicy"]["maxReceiveCount"]
        .as_i64()
        .expect("the deadline queue has a maxReceiveCount")
}

/// One test's own table, queues and schedule group in the emulator, and the service over them.
struct Env {
    endpoint: String,
    sdk: SdkConfig,
    settings: AwsSettings,
    clock: Arc<TestClock>,
    service: Service,
    state: AppState,
    dlq_url: String,
}

impl Env {
    /// The sending domain is verified in SES when `verified`, else left unverified (sends fail).
    async fn new(name: &str, verified: bool) -> Env {
        Env::reaching_aws_at(name, verified, None, false).await
    }

    /// As [`Env::new`], with the service reaching every AWS API at `via` (a proxy) rather than
    /// at the emulator itself; the test's own calls still go to the emulator. With
    /// `function_config`, the service has the functions' own SDK configuration (their
    /// timeouts, tight for an emulator shared by many tests); else the tests' one.
    async fn reaching_aws_at(
        name: &str,
        verified: bool,
        via: Option<String>,
        function_config: bool,
    ) -> Env {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let endpoint = endpoint();
        let unique = format!(
            "p3dl-{name}-{}-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed),
            Utc::now().timestamp_micros() % 1_000_000_000
        );
        let sdk = sdk_at(&endpoint).await;
        let definition = TableDefinition::from_template_file(&repo().join("infra/template.yaml"))
            .expect("the template defines the table");
        create_table(&aws_sdk_dynamodb::Client::new(&sdk), &unique, &definition)
            .await
            .expect("create the table from the template");

        // The template's redrive policy; a visibility timeout of 1 s instead of 180 s, so a
        // failed message comes back within the test.
        let sqs = aws_sdk_sqs::Client::new(&sdk);
        let (dlq_url, dlq_arn) = create_queue(&sqs, &format!("{unique}-dlq"), None, Some(1)).await;
        let redrive = json!({
            "deadLetterTargetArn": dlq_arn,
            "maxReceiveCount": template_max_receive_count().to_string(),
        })
        .to_string();
        let (queue_url, queue_arn) = create_queue(&sqs, &unique, Some(redrive), Some(1)).await;
        aws_sdk_scheduler::Client::new(&sdk)
            .create_schedule_group()
            .name(&unique)
            .send()
            .await
            .expect("create the schedule group");

        let mail_domain = format!("{unique}.example");
        if verified {
            verify(&sdk, &mail_domain).await;
        }
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
            ("MAIL_FROM", format!("complaints-service@{mail_domain}")),
            ("EXPORT_BUCKET", format!("{unique}-exports")),
            ("BASE_URL", "https://complaints.p3housing.example".into()),
            ("LANDLORD", format!("P3 Test {unique}")),
            ("COMPLAINTS_TEAM", "complaints@p3housing.example".into()),
            (
                "HEAD_OF_TENANT_SERVICES",
                "head.tenant.services@p3housing.example".into(),
            ),
            ("AWS_ENDPOINT_URL", via.clone().unwrap_or(endpoint.clone())),
        ]);
        let settings =
            AwsSettings::from_lookup(|k| vars.get(k).cloned()).expect("the settings are complete");
        let clock = contract::clock();
        clock.set(t0());
        let service_sdk = match &via {
            Some(_) if function_config => wiring::aws_config(&settings).await,
            Some(url) => sdk_at(url).await,
            None => sdk.clone(),
        };
        let service = wiring::service_with_clock(&settings, &service_sdk, clock.clone()).await;
        let state = wiring::app_state_for(service.clone(), &settings);
        Env {
            endpoint,
            sdk,
            settings,
            clock,
            service,
            state,
            dlq_url,
        }
    }

    /// Passes an API Gateway event to a function's router as Lambda would; the status and body.
    async fn call(&self, part: fn() -> Router<AppState>, event: Value) -> (StatusCode, Value) {
        let (status, _, body) = self.call_with_headers(part, event).await;
        (status, body)
    }

    async fn call_with_headers(
        &self,
        part: fn() -> Router<AppState>,
        event: Value,
    ) -> (StatusCode, http::HeaderMap, Value) {
        let app = wiring::http_app(part(), self.state.clone());
        let request =
            lambda_http::request::from_str(&event.to_string()).expect("an API Gateway v2 event");
        let response = app.oneshot(request).await.expect("infallible");
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .expect("a body");
        (
            status,
            headers,
            serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        )
    }

    /// A resident's complaint through the intake function, received at the clock's now.
    async fn complaint(&self) -> String {
        let (status, body) = self
            .call(
                p3_api::intake_router,
                event_for("intake/post-complaint.json", SAMPLE_REFERENCE),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        body["reference"].as_str().unwrap().to_string()
    }

    /// Stage 1 acknowledged through the acknowledgement function (the sample request).
    async fn acknowledge(&self, reference: &str) {
        let (status, body) = self
            .call(
                p3_api::acknowledgement_router,
                event_for(
                    "acknowledgement/post-acknowledgement-stage1.json",
                    reference,
                ),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }

    /// The case's alerts as now planned, by (deadline, kind).
    async fn planned(&self, reference: &str) -> BTreeMap<(String, String), Alert> {
        let case = self.service.store.load(reference).await.unwrap().unwrap();
        self.service
            .timers(&case, self.service.clock.now())
            .unwrap()
            .into_iter()
            .filter_map(|t| match t.alert {
                Notice::Alert(a) => {
                    Some(((a.deadline.to_string(), a.kind.as_str().to_string()), a))
                }
                Notice::Letter(_) => None,
            })
            .collect()
    }

    /// A new complaint and its acknowledgement reminder, with the clock at the reminder's moment.
    async fn reminder_due(&self) -> (String, Alert) {
        let reference = self.complaint().await;
        let reminder = self
            .planned_alert(&reference, "stage1_acknowledgement", "reminder")
            .await;
        self.clock.set(reminder.at + Duration::seconds(30));
        (reference, reminder)
    }

    /// One alert of the case's current plan.
    async fn planned_alert(&self, reference: &str, deadline: &str, kind: &str) -> Alert {
        self.planned(reference).await[&(deadline.into(), kind.into())].clone()
    }

    /// Subjects of the alert emails the emulator holds for one case of this test.
    async fn emails_about(&self, reference: &str) -> Vec<String> {
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
            .filter_map(|m| m["subject"].as_str())
            .filter(|s| s.contains(&needle))
            .map(str::to_string)
            .collect()
    }

    /// One delivery of a batch, as the event source mapping makes it.
    async fn deliver(&self, bodies: &[&str]) -> Vec<String> {
        let mut event = SqsEvent::default();
        event.records = bodies
            .iter()
            .enumerate()
            .map(|(n, body)| {
                let mut m = SqsMessage::default();
                m.message_id = Some(format!("m{n}"));
                m.body = Some(body.to_string());
                m
            })
            .collect();
        failures(&handle_batch(&self.service, event).await)
    }
}

/// The SDK configuration for the emulator's placeholder credentials at `url`.
async fn sdk_at(url: &str) -> SdkConfig {
    support::moto_sdk(url).await
}

async fn verify(sdk: &SdkConfig, domain: &str) {
    aws_sdk_sesv2::Client::new(sdk)
        .create_email_identity()
        .email_identity(domain)
        .send()
        .await
        .expect("verify the sending domain");
}

/// Up to ten messages now visible in a queue (no long poll: the emulator serves one request at
/// a time, and a waiting receive would hold up every other test).
async fn receive(sqs: &aws_sdk_sqs::Client, queue: &str) -> Vec<aws_sdk_sqs::types::Message> {
    sqs.receive_message()
        .queue_url(queue)
        .max_number_of_messages(10)
        .send()
        .await
        .unwrap()
        .messages()
        .to_vec()
}

fn alert_json(alert: &Alert) -> String {
    serde_json::to_string(alert).unwrap()
}

#[tokio::test]
#[ignore = "needs the moto AWS emulator (P3_MOTO_ENDPOINT); run by ./scripts/test"]
async fn a_poison_message_fails_alone_and_ends_in_the_dead_letter_queue() {
    let env = Env::new("poison", true).await;
    let (reference, reminder) = env.reminder_due().await;

    let not_json = "this is not an alert";
    let unknown_kind = json!({
        "reference": reference, "deadline": "stage1_payment", "due": "2026-06-08",
        "kind": "reminder", "at": "2026-06-04T08:00:00Z"
    })
    .to_string();
    let good = alert_json(&reminder);
    let sqs = aws_sdk_sqs::Client::new(&env.sdk);
    let queue = &env.settings.queue_url;
    for body in [not_json, &good, &unknown_kind] {
        sqs.send_message()
            .queue_url(queue)
            .message_body(body)
            .send()
            .await
            .unwrap();
    }

    // The event source mapping's loop: receive, handle, delete what was not reported failed;
    // a failed message comes back after its visibility timeout.
    let max_receives = template_max_receive_count();
    let mut receives: BTreeMap<String, i64> = BTreeMap::new();
    let mut first_batch = None;
    for _ in 0..(3 * max_receives) {
        let messages: Vec<SqsMessage> = receive(&sqs, queue)
            .await
            .iter()
            .map(|m| {
                let mut s = SqsMessage::default();
                s.message_id = m.message_id().map(str::to_string);
                s.receipt_handle = m.receipt_handle().map(str::to_string);
                s.body = m.body().map(str::to_string);
                s
            })
            .collect();
        for m in &messages {
            *receives.entry(m.body.clone().unwrap()).or_default() += 1;
        }
        // Both poison messages used up their receives and this receive moved them: done.
        if messages.is_empty() && receives.values().filter(|&&n| n == max_receives).count() == 2 {
            break;
        }
        if !messages.is_empty() {
            let mut event = SqsEvent::default();
            event.records = messages.clone();
            let failed = failures(&handle_batch(&env.service, event).await);
            let mut failed_bodies: Vec<String> = messages
                .iter()
                .filter(|m| failed.contains(m.message_id.as_ref().unwrap()))
                .map(|m| m.body.clone().unwrap())
                .collect();
            failed_bodies.sort();
            first_batch.get_or_insert((messages.len(), failed_bodies));
            for m in messages
                .iter()
                .filter(|m| !failed.contains(m.message_id.as_ref().unwrap()))
            {
                sqs.delete_message()
                    .queue_url(queue)
                    .receipt_handle(m.receipt_handle.clone().unwrap())
                    .send()
                    .await
                    .unwrap();
            }
        }
        tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    }

    // The first batch held all three; only the two poison messages were reported failed.
    let mut expected = vec![not_json.to_string(), unknown_kind.clone()];
    expected.sort();
    assert_eq!(first_batch, Some((3, expected.clone())));
    assert_eq!(env.emails_about(&reference).await.len(), 1, "the good one");
    assert_eq!(receives[&good], 1, "handled once, deleted");
    assert_eq!(receives[not_json], max_receives);
    assert_eq!(receives[&unknown_kind], max_receives);

    // Both poison messages are in the dead-letter queue, and the queue is empty.
    let mut dead: Vec<String> = receive(&sqs, &env.dlq_url)
        .await
        .iter()
        .filter_map(|m| m.body().map(str::to_string))
        .collect();
    dead.sort();
    assert_eq!(dead, expected);
    let left = receive(&sqs, queue).await;
    assert!(left.is_empty(), "{left:?}");
    println!(
        "delivery: 2 poison messages each received {max_receives} times (the template's \
         maxReceiveCount) then moved to the dead-letter queue; the good message in their batch \
         sent once"
    );
}

#[tokio::test]
#[ignore = "needs the moto AWS emulator (P3_MOTO_ENDPOINT); run by ./scripts/test"]
async fn a_failing_email_send_is_retried_and_never_marks_the_alert_sent() {
    // The sending identity is not verified: SES refuses every send (MessageRejected).
    let env = Env::new("ses-fails", false).await;
    let (reference, reminder) = env.reminder_due().await;
    let body = alert_json(&reminder);

    for attempt in 1..=3 {
        assert_eq!(
            env.deliver(&[&body]).await,
            ["m0"],
            "attempt {attempt}: reported failed, so SQS delivers it again"
        );
        assert!(
            !env.service.store.alert_sent(&reminder.id()).await.unwrap(),
            "never marked sent before it is"
        );
        assert!(env.emails_about(&reference).await.is_empty());
        env.clock
            .set(env.service.clock.now() + Duration::minutes(3));
    }

    // The identity is verified: the next delivery sends it, once, and marks it sent.
    verify(&env.sdk, env.settings.mail_from.split('@').nth(1).unwrap()).await;
    assert!(env.deliver(&[&body]).await.is_empty());
    assert!(env.service.store.alert_sent(&reminder.id()).await.unwrap());
    assert_eq!(env.emails_about(&reference).await.len(), 1);
    assert!(env.deliver(&[&body]).await.is_empty(), "a duplicate");
    assert_eq!(env.emails_about(&reference).await.len(), 1);
}

/// Takes what the deadline queue holds off it (as the event source mapping does with a batch
/// it handled): the bodies.
async fn take(env: &Env) -> Vec<String> {
    let sqs = aws_sdk_sqs::Client::new(&env.sdk);
    let mut bodies = Vec::new();
    for m in receive(&sqs, &env.settings.queue_url).await {
        sqs.delete_message()
            .queue_url(&env.settings.queue_url)
            .receipt_handle(m.receipt_handle().unwrap())
            .send()
            .await
            .unwrap();
        bodies.extend(m.body().map(str::to_string));
    }
    bodies
}

/// A refused (so closed) case's letter whose email SES refused until SQS gave up on its
/// message: the hourly reconciliation queues it again, pass after pass, until it goes, and
/// then no more.
#[tokio::test]
#[ignore = "needs the moto AWS emulator (P3_MOTO_ENDPOINT); run by ./scripts/test"]
async fn a_closed_cases_letter_is_queued_again_every_hour_until_it_is_emailed() {
    let env = Env::new("closed-letter", false).await;
    let reference = env.complaint().await;
    let (status, body) = env
        .call(
            p3_api::cases_router,
            event_for("cases/post-refusal.json", &reference),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let case = env.service.store.load(&reference).await.unwrap().unwrap();
    let refusal = case
        .letters
        .iter()
        .find(|l| l.kind == p3_domain::letter::LetterKind::Refusal)
        .expect("the refusal letter")
        .number;
    let is_refusal = |body: &String| matches!(serde_json::from_str(body), Ok(Notice::Letter(d)) if d.reference == reference && d.letter == refusal);
    // The write queued it; SQS gave up on it (the messages are gone, none was sent).
    assert!(take(&env).await.iter().any(is_refusal));
    let job = r#"{"job":"reconcile_alerts"}"#;

    // An hour on, the pass queues it again; delivered, SES still refuses: retried.
    env.clock.set(t0() + Duration::minutes(61));
    assert!(env.deliver(&[job]).await.is_empty());
    let queued: Vec<String> = take(&env).await.into_iter().filter(is_refusal).collect();
    assert_eq!(queued.len(), 1, "queued again");
    assert_eq!(env.deliver(&[&queued[0]]).await, ["m0"]);

    // SES accepts mail again: the next pass's message sends it, and later passes queue it no more.
    verify(&env.sdk, env.settings.mail_from.split('@').nth(1).unwrap()).await;
    env.clock.set(t0() + Duration::minutes(121));
    assert!(env.deliver(&[job]).await.is_empty());
    let queued: Vec<String> = take(&env).await.into_iter().filter(is_refusal).collect();
    assert_eq!(queued.len(), 1, "queued again");
    assert!(env.deliver(&[&queued[0]]).await.is_empty(), "sent");
    env.clock.set(t0() + Duration::minutes(181));
    assert!(env.deliver(&[job]).await.is_empty());
    assert!(
        !take(&env).await.iter().any(is_refusal),
        "sent, so not queued again"
    );
}

#[tokio::test]
#[ignore = "needs the moto AWS emulator (P3_MOTO_ENDPOINT); run by ./scripts/test"]
async fn alerts_out_of_order_early_late_or_for_a_moved_deadline_send_nothing_wrong() {
    let env = Env::new("order", true).await;
    let reference = env.complaint().await;
    let plan = env.planned(&reference).await;
    let ack = |kind: &str| plan[&("stage1_acknowledgement".into(), kind.into())].clone();
    let (reminder, due_today, breach) = (ack("reminder"), ack("due_today"), ack("breach"));
    let emails = || env.emails_about(&reference);

    // The breach alert delivered before its moment: retried later, nothing sent.
    env.clock.set(due_today.at + Duration::seconds(30));
    assert_eq!(env.deliver(&[&alert_json(&breach)]).await, ["m0"]);
    // "Due today" arrives before the reminder it follows: it is sent; the reminder, late,
    // is overtaken by it and sends nothing (and is not retried).
    assert!(env
        .deliver(&[&alert_json(&due_today), &alert_json(&reminder)])
        .await
        .is_empty());
    let sent = emails().await;
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert!(sent[0].contains("Due today"), "{sent:?}");
    // The breach at its moment; then the reminder once more, very late: still nothing.
    env.clock.set(breach.at + Duration::seconds(30));
    assert!(env.deliver(&[&alert_json(&breach)]).await.is_empty());
    assert!(env.deliver(&[&alert_json(&reminder)]).await.is_empty());
    let sent = emails().await;
    assert_eq!(sent.len(), 2, "{sent:?}");
    assert!(sent.iter().any(|s| s.contains("BREACH")), "{sent:?}");

    // The response deadline moves later (acknowledged, then extended by five working days).
    let before = plan[&("stage1_response".into(), "due_today".into())].clone();
    env.acknowledge(&reference).await;
    let (status, body) = env
        .call(
            p3_api::cases_router,
            event_for("cases/post-extension.json", &reference),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let after = env
        .planned_alert(&reference, "stage1_response", "due_today")
        .await;
    assert!(after.due > before.due, "{before:?} {after:?}");

    // The old "due today", already in the queue, arrives on the old date: nothing is sent,
    // and it is done with (not retried). The new one on the new date is sent.
    env.clock.set(before.at + Duration::seconds(30));
    assert!(env.deliver(&[&alert_json(&before)]).await.is_empty());
    assert_eq!(emails().await.len(), 2);
    env.clock.set(after.at + Duration::seconds(30));
    assert!(env
        .deliver(&[&alert_json(&after), &alert_json(&before)])
        .await
        .is_empty());
    let sent = emails().await;
    assert_eq!(sent.len(), 3, "{sent:?}");
    assert!(
        sent.iter().filter(|s| s.contains("Due today")).count() == 2,
        "{sent:?}"
    );
}

/// A TCP proxy in front of the emulator, standing for the network path to AWS: stopped, its
/// port refuses connections and the open ones are cut; started again on the same port.
struct Proxy {
    port: u16,
    upstream: String,
    /// Accept connections and never answer (packets dropped), rather than forward them.
    silent: Arc<AtomicBool>,
    stop: Arc<AtomicBool>,
    open: Arc<Mutex<Vec<TcpStream>>>,
    accepting: Option<std::thread::JoinHandle<()>>,
}

impl Proxy {
    fn new() -> Proxy {
        let upstream = endpoint()
            .trim_start_matches("http://")
            .trim_end_matches('/')
            .to_string();
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let mut proxy = Proxy {
            port,
            upstream,
            silent: Arc::new(AtomicBool::new(false)),
            stop: Arc::new(AtomicBool::new(false)),
            open: Arc::new(Mutex::new(Vec::new())),
            accepting: None,
        };
        proxy.start();
        proxy
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    fn start(&mut self) {
        self.stop.store(false, Ordering::SeqCst);
        let listener = TcpListener::bind(("127.0.0.1", self.port)).expect("the proxy's port");
        listener.set_nonblocking(true).unwrap();
        let (stop, open, upstream) = (self.stop.clone(), self.open.clone(), self.upstream.clone());
        let silent = self.silent.clone();
        self.accepting = Some(std::thread::spawn(move || {
            while !stop.load(Ordering::SeqCst) {
                let Ok((client, _)) = listener.accept() else {
                    std::thread::sleep(std::time::Duration::from_millis(5));
                    continue;
                };
                client.set_nonblocking(false).unwrap();
                if silent.load(Ordering::SeqCst) {
                    open.lock().unwrap().push(client);
                    continue;
                }
                let Ok(server) = TcpStream::connect(&upstream) else {
                    continue;
                };
                let mut open = open.lock().unwrap();
                for (mut from, mut to) in [
                    (client.try_clone().unwrap(), server.try_clone().unwrap()),
                    (server.try_clone().unwrap(), client.try_clone().unwrap()),
                ] {
                    std::thread::spawn(move || {
                        let _ = std::io::copy(&mut from, &mut to);
                        let _ = to.shutdown(Shutdown::Write);
                    });
                }
                open.extend([client, server]);
            }
        }));
    }

    /// Cuts what is open and goes on answering nothing (`true`) or forwarding (`false`).
    fn restart_silent(&mut self, silent: bool) {
        self.stop();
        self.silent.store(silent, Ordering::SeqCst);
        self.start();
    }

    fn stop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.accepting.take() {
            t.join().unwrap();
        }
        for conn in self.open.lock().unwrap().drain(..) {
            let _ = conn.shutdown(Shutdown::Both);
        }
    }
}

#[tokio::test]
#[ignore = "needs the moto AWS emulator (P3_MOTO_ENDPOINT); run by ./scripts/test"]
async fn with_aws_unreachable_requests_get_503_and_the_service_recovers_when_it_is_back() {
    let mut proxy = Proxy::new();
    let env = Env::reaching_aws_at("unreachable", true, Some(proxy.url()), false).await;
    let (reference, reminder) = env.reminder_due().await;

    // The network path to AWS is down: every function answers 503 with Retry-After as
    // problem+json, and the deadlines consumer reports its message failed, sending nothing.
    proxy.stop();
    let started = std::time::Instant::now();
    for (part, event) in [
        (
            p3_api::intake_router as fn() -> Router<AppState>,
            event_for("intake/post-complaint.json", &reference),
        ),
        (
            p3_api::cases_router,
            event_for("cases/get-case.json", &reference),
        ),
        (
            p3_api::acknowledgement_router,
            event_for(
                "acknowledgement/post-acknowledgement-stage1.json",
                &reference,
            ),
        ),
    ] {
        let (status, headers, body) = env.call_with_headers(part, event).await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
        assert_eq!(headers["content-type"], "application/problem+json");
        let retry_after: u64 = headers["retry-after"].to_str().unwrap().parse().unwrap();
        assert!(retry_after >= 1);
        assert_eq!(body["status"], 503);
        assert!(!body.to_string().contains("127.0.0.1"), "{body}");
    }
    assert_eq!(env.deliver(&[&alert_json(&reminder)]).await, ["m0"]);
    println!(
        "unreachable: 3 requests answered 503 and 1 message failed in {:.1} s",
        started.elapsed().as_secs_f64()
    );

    // Back: the same service (the same warm Lambda) answers normally, with no restart.
    proxy.start();
    assert!(env.deliver(&[&alert_json(&reminder)]).await.is_empty());
    assert_eq!(env.emails_about(&reference).await.len(), 1);
    env.acknowledge(&reference).await;
    let second = env.complaint().await;
    assert_ne!(second, reference);

    // Nothing half-written while it was down: the table holds the two cases and their events.
    let items = aws_sdk_dynamodb::Client::new(&env.sdk)
        .scan()
        .table_name(&env.settings.table_name)
        .send()
        .await
        .unwrap();
    let mut kinds: BTreeMap<String, usize> = BTreeMap::new();
    for item in items.items() {
        let pk = item["PK"].as_s().unwrap();
        let sk = item["SK"].as_s().unwrap();
        if pk.starts_with("CASE#") {
            *kinds
                .entry(sk.split('#').next().unwrap().to_string())
                .or_default() += 1;
        }
    }
    assert_eq!(kinds["CASE"], 2, "{kinds:?}");
    assert_eq!(
        kinds["EVENT"], 3,
        "two receipts, one acknowledgement with its letter (one item): {kinds:?}"
    );
    proxy.stop();
}

#[tokio::test]
#[ignore = "needs the moto AWS emulator (P3_MOTO_ENDPOINT); run by ./scripts/test"]
async fn a_write_dynamodb_refuses_is_a_500_never_a_503_to_retry() {
    let env = Env::new("refused", true).await;
    let store = p3_aws::dynamo::DynamoStore::new(
        aws_sdk_dynamodb::Client::new(&env.sdk),
        env.settings.table_name.clone(),
    );
    // A case item over DynamoDB's 400 KB even deflated (text that does not compress): the
    // same write would be refused every time.
    let mut case = contract::new_case("CMP-2026-00001");
    let mut seed = 0x2545_f491_4f6c_dd1d_u64;
    case.complaint.description = (0..700_000)
        .map(|_| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            char::from(b'!' + (seed % 94) as u8)
        })
        .collect();
    let error = store
        .save(contract::create(&case))
        .await
        .expect_err("DynamoDB refuses an item over 400 KB");
    assert!(matches!(error, StoreError::Refused(_)), "{error:?}");
    let problem = Problem::from(ServiceError::from(error));
    assert_eq!(problem.status, 500);
    assert_eq!(
        problem.retry_after, None,
        "no Retry-After: retrying cannot help"
    );
    assert_eq!(store.load(&case.reference).await.unwrap(), None);

    // The same case at an ordinary size is written.
    case.complaint.description = "The lift has been broken for a week.".into();
    store.save(contract::create(&case)).await.unwrap();
}

#[tokio::test]
#[ignore = "needs the moto AWS emulator (P3_MOTO_ENDPOINT); run by ./scripts/test"]
async fn with_aws_silent_a_request_gets_its_503_before_the_function_times_out() {
    let mut proxy = Proxy::new();
    let env = Env::reaching_aws_at("silent", true, Some(proxy.url()), true).await;
    // A read of a case that does not exist: 404 while AWS answers.
    let read = || {
        env.call_with_headers(
            p3_api::cases_router,
            event_for("cases/get-case.json", "CMP-2026-99999"),
        )
    };

    // Connections are accepted and never answered: the SDK's timeouts give up in time for
    // the function to answer 503 itself, well inside Lambda's 10 s.
    proxy.restart_silent(true);
    let started = std::time::Instant::now();
    let (status, headers, body) = read().await;
    let took = started.elapsed();
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert!(headers.contains_key("retry-after"));
    assert!(
        took < std::time::Duration::from_secs(8),
        "answered after {took:?}"
    );
    println!(
        "silent: a read answered 503 after {:.1} s",
        took.as_secs_f64()
    );

    // Answering again: the same service answers normally (retried after Retry-After, as a
    // client would, since the emulator is shared with other tests and may be slow at first).
    proxy.restart_silent(false);
    let mut last = StatusCode::SERVICE_UNAVAILABLE;
    for _ in 0..10 {
        last = read().await.0;
        if last != StatusCode::SERVICE_UNAVAILABLE {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_secs(1)).await;
    }
    assert_eq!(last, StatusCode::NOT_FOUND);
    proxy.stop();
}
