//! The hourly reconciliation repairs a case whose only alert within its horizon is a reminder
//! (an adjustments' review here; an update owed and a restriction's review are planned the
//! same way), not a landlord deadline: before, it read only the cases whose next deadline was
//! within 21 days, so a lost schedule of such a reminder was never put back. It repairs a
//! closed case's reminders too. Against the moto
//! emulator (DynamoDB from `infra/template.yaml`, EventBridge Scheduler, SQS), driven by the
//! sample events as Lambda delivers them.

mod support;

use std::collections::{BTreeSet, HashMap};
use std::sync::atomic::{AtomicUsize, Ordering};

use aws_lambda_events::event::sqs::SqsEvent;
use axum::Router;
use chrono::Utc;
use http::StatusCode;
use p3_api::AppState;
use p3_aws::dynamo::{create_table, TableDefinition};
use p3_aws::sqs::handle_batch;
use p3_aws::wiring::{self, AwsSettings};
use p3_store_contract as contract;
use serde_json::{json, Value};
use support::{create_queue, endpoint, failures, repo, t0};
use tower::ServiceExt;

const SAMPLE_REFERENCE: &str = "CMP-2026-00042";

fn event(path: &str, subs: &[(&str, &str)], body: Option<Value>) -> Value {
    let file = repo().join("events").join(path);
    let mut text = std::fs::read_to_string(&file).expect("the sample event");
    for (from, to) in subs {
        text = text.replace(from, to);
    }
    let mut ev: Value = serde_json::from_str(&text).expect("JSON");
    if let Some(body) = body {
        let body = body.to_string();
        ev["headers"]["content-length"] = json!(body.len().to_string());
        ev["body"] = json!(body);
    }
    ev
}

async fn call(app: &Router, ev: Value) -> (StatusCode, Value) {
    let request = lambda_http::request::from_str(&ev.to_string()).expect("an HTTP API event");
    let response = app.clone().oneshot(request).await.expect("infallible");
    let status = response.status();
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .expect("a body");
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

/// A table, a queue and a schedule group of their own in moto, and the service over them with
/// a clock the test sets.
struct World {
    service: p3_domain::service::Service,
    state: AppState,
    scheduler: aws_sdk_scheduler::Client,
    group: String,
    clock: std::sync::Arc<contract::TestClock>,
}

impl World {
    async fn new() -> World {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let endpoint = endpoint();
        let unique = format!(
            "p3rr-{}-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed),
            Utc::now().timestamp_micros() % 1_000_000_000
        );
        let sdk = support::moto_sdk(&endpoint).await;
        let definition = TableDefinition::from_template_file(&repo().join("infra/template.yaml"))
            .expect("the template defines the table");
        create_table(&aws_sdk_dynamodb::Client::new(&sdk), &unique, &definition)
            .await
            .expect("create the table");
        let sqs = aws_sdk_sqs::Client::new(&sdk);
        let (_, dlq_arn) = create_queue(&sqs, &format!("{unique}-dlq"), None, None).await;
        let (queue_url, queue_arn) = create_queue(&sqs, &unique, None, None).await;
        let scheduler = aws_sdk_scheduler::Client::new(&sdk);
        scheduler
            .create_schedule_group()
            .name(&unique)
            .send()
            .await
            .expect("create the schedule group");
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
            ("MAIL_FROM", "complaints-service@p3housing.example".into()),
            ("EXPORT_BUCKET", format!("{unique}-exports")),
            ("BASE_URL", "https://complaints.p3housing.example".into()),
            ("LANDLORD", format!("P3 Test {unique}")),
            ("COMPLAINTS_TEAM", "complaints@p3housing.example".into()),
            (
                "HEAD_OF_TENANT_SERVICES",
                "head.tenant.services@p3housing.example".into(),
            ),
            ("AWS_ENDPOINT_URL", endpoint.clone()),
        ]);
        let settings = AwsSettings::from_lookup(|k| vars.get(k).cloned()).expect("settings");
        let clock = contract::clock();
        clock.set(t0());
        let service = wiring::service_with_clock(&settings, &sdk, clock.clone()).await;
        let state = wiring::app_state_for(service.clone(), &settings);
        World {
            service,
            state,
            scheduler,
            group: unique,
            clock,
        }
    }

    fn app(&self, part: fn() -> Router<AppState>) -> Router {
        wiring::http_app(part(), self.state.clone())
    }

    /// The names of the schedules in the group.
    async fn schedules(&self) -> BTreeSet<String> {
        self.scheduler
            .list_schedules()
            .group_name(&self.group)
            .send()
            .await
            .unwrap()
            .schedules()
            .iter()
            .filter_map(|s| s.name().map(str::to_string))
            .collect()
    }

    /// As if the sync after the last write had been cut short: every schedule gone.
    async fn lose_every_schedule(&self) {
        for name in &self.schedules().await {
            self.scheduler
                .delete_schedule()
                .group_name(&self.group)
                .name(name)
                .send()
                .await
                .unwrap();
        }
        assert!(self.schedules().await.is_empty());
    }

    /// The hourly job, as the deadlines function receives it.
    async fn reconcile(&self) {
        let job: SqsEvent =
            serde_json::from_value(event("deadlines/sqs-reconcile.json", &[], None))
                .expect("an SQS event");
        let batch = handle_batch(&self.service, job).await;
        assert!(failures(&batch).is_empty());
    }

    /// The schedule name of the case's adjustments' review, as planned now.
    async fn adjustments_review(&self, reference: &str, now: chrono::DateTime<Utc>) -> String {
        let case = self.service.store.load(reference).await.unwrap().unwrap();
        let reminder = self
            .service
            .timers(&case, now)
            .unwrap()
            .into_iter()
            .find(|t| t.alert.id().contains("adjustment"))
            .expect("the adjustments' review is planned");
        p3_aws::scheduler::schedule_name(&reminder.alert)
    }

    /// The case's adjustments' review is scheduled; every schedule is lost; eight days on, the
    /// hourly job has put the review's back.
    async fn review_lost_and_restored(&self, reference: &str) {
        let review = self.adjustments_review(reference, t0()).await;
        assert!(self.schedules().await.contains(&review));
        self.lose_every_schedule().await;
        self.clock.set(t0() + chrono::Duration::days(8));
        self.reconcile().await;
        let restored = self.schedules().await;
        assert!(restored.contains(&review), "{restored:?}");
    }
}

/// Files the sample complaint (`events/intake`); its reference.
async fn complaint(w: &World) -> String {
    let (status, created) = call(
        &w.app(p3_api::intake_router),
        event("intake/post-complaint.json", &[], None),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    created["reference"].as_str().unwrap().to_string()
}

/// Records the resident's adjustments, to be reviewed on `review_on`.
async fn record_needs(w: &World, reference: &str, review_on: &str) {
    let needs =
        json!({"adjustments": "Call before any visit", "consent": true, "review_on": review_on});
    let (status, body) = call(
        &w.app(p3_api::casefile_router),
        event(
            "cases/post-needs.json",
            &[(SAMPLE_REFERENCE, reference)],
            Some(needs),
        ),
    )
    .await;
    assert!(status.is_success(), "{status} {body}");
}

#[tokio::test]
#[ignore = "needs the moto AWS emulator (P3_MOTO_ENDPOINT); run by ./scripts/test"]
async fn a_lost_schedule_of_a_review_reminder_is_restored_though_no_deadline_is_near() {
    let w = World::new().await;
    // A complaint, acknowledged and answered on Monday 1 June 2026: its one promised action is
    // due at the end of August, far beyond the three weeks the reconciliation looks ahead; its
    // adjustments are to be reviewed on Friday 19 June, within them.
    let reference = complaint(&w).await;
    let subs = [(SAMPLE_REFERENCE, reference.as_str())];
    let (status, body) = call(
        &w.app(p3_api::acknowledgement_router),
        event(
            "acknowledgement/post-acknowledgement-stage1.json",
            &subs,
            None,
        ),
    )
    .await;
    assert!(status.is_success(), "{status} {body}");
    let mut response = event("stage1-response/post-stage1-response.json", &subs, None);
    let mut answer: Value = serde_json::from_str(response["body"].as_str().unwrap()).unwrap();
    answer["actions"][0]["due"] = json!("2026-08-28");
    response = {
        let text = answer.to_string();
        response["headers"]["content-length"] = json!(text.len().to_string());
        response["body"] = json!(text);
        response
    };
    let (status, body) = call(&w.app(p3_api::stage1_response_router), response).await;
    assert!(status.is_success(), "{status} {body}");
    record_needs(&w, &reference, "2026-06-19").await;

    // Eight days on (its letters' emails are no longer retried, so nothing else brings the
    // case into the pass), the hourly job puts the review's reminder back.
    w.review_lost_and_restored(&reference).await;
}

/// A withdrawn complaint is closed, but the review of the resident's adjustments recorded on it
/// still comes round (reviews outlive the complaint). Before, the reconciliation brought a
/// closed case into its pass only for a letter still being emailed: a lost schedule of such a
/// review was never put back on AWS.
#[tokio::test]
#[ignore = "needs the moto AWS emulator (P3_MOTO_ENDPOINT); run by ./scripts/test"]
async fn a_lost_review_reminder_of_a_withdrawn_complaint_is_restored() {
    let w = World::new().await;
    let reference = complaint(&w).await;
    let (status, body) = call(
        &w.app(p3_api::cases_router),
        event(
            "cases/post-withdrawal.json",
            &[(SAMPLE_REFERENCE, reference.as_str())],
            None,
        ),
    )
    .await;
    assert!(status.is_success(), "{status} {body}");
    // Recorded after the withdrawal, reviewed in two months: far beyond the three weeks the
    // reconciliation looks ahead for open cases.
    record_needs(&w, &reference, "2026-08-03").await;
    // Eight days on (the withdrawal's letter is no longer retried), the hourly job puts the
    // review's reminder back.
    w.review_lost_and_restored(&reference).await;
}
