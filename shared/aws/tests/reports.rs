//! The monthly report on DynamoDB: the same fixture month (October 2025, in the spirit of
//! `shared/server/tests/reports.rs`) built by the same sequence of `Service` commands against
//! SQLite and against DynamoDB (the moto emulator) gives byte-identical JSON and CSV; the
//! monthly schedule's event writes the four files to S3 and sends one email; and (a benchmark,
//! run by hand) a month's report reads far fewer items than the table holds.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use async_trait::async_trait;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_dynamodb::config::Credentials;
use chrono::{DateTime, TimeZone, Utc};
use p3_aws::dynamo::{create_table, DynamoStore, TableDefinition};
use p3_aws::wiring::{self, AwsSettings};
use p3_domain::alert::{AlertAddresses, Timer};
use p3_domain::case::{Command, FirstContactResolution, NewCase, Rules};
use p3_domain::complaint::{Channel, ComplaintDetails, Resident, Tenure};
use p3_domain::event::{ExclusionGround, Outcome, PointDecision, RequestedThrough, StageResponse};
use p3_domain::london::Month;
use p3_domain::ports::{
    AlertScheduler, CaseStore, Notifier, NotifyError, Random, ReplyView, ReportSource, StoreError,
    StoredReply,
};
use p3_domain::report::Homes;
use p3_domain::role::Caller;
use p3_domain::service::{Service, Settings};
use p3_domain::service_request::ServiceRequest;
use p3_reports::ReportSettings;
use p3_store_contract::{self as contract, TestClock};
use serde_json::Value;

const OFFICER: &str = "olive@p3.example";
const IM: &str = "ian@p3.example";
const REVIEWER: &str = "hannah@p3.example";
const MAIL_DOMAIN: &str = "p3housing.example";

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn endpoint() -> String {
    std::env::var("P3_MOTO_ENDPOINT").unwrap_or_else(|_| {
        panic!(
            "P3_MOTO_ENDPOINT is not set: these tests need the moto AWS emulator; run ./scripts/test, \
             or start `.venv/bin/python scripts/moto_server.py 127.0.0.1 5130` and set P3_MOTO_ENDPOINT=http://127.0.0.1:5130"
        )
    })
}

fn t(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s)
        .expect("rfc3339")
        .with_timezone(&Utc)
}

async fn sdk() -> SdkConfig {
    aws_config::defaults(BehaviorVersion::latest())
        .endpoint_url(endpoint())
        .region(Region::new("eu-west-2"))
        .http_client(p3_aws::sdk::https_client())
        .credentials_provider(Credentials::new("testing", "testing", None, None, "moto"))
        .load()
        .await
}

fn unique(name: &str) -> String {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    format!(
        "p3rep-{name}-{}-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed),
        Utc::now().timestamp_micros() % 1_000_000_000
    )
}

async fn new_table(sdk: &SdkConfig, name: &str) -> DynamoStore {
    let definition = TableDefinition::from_template_file(&repo().join("infra/template.yaml"))
        .expect("the template defines the table");
    let client = aws_sdk_dynamodb::Client::new(sdk);
    create_table(&client, name, &definition)
        .await
        .expect("create the table from the template");
    DynamoStore::new(client, name.to_string())
}

/// Timers are not what this test is about: kept nowhere.
struct NoTimers;

#[async_trait]
impl AlertScheduler for NoTimers {
    async fn sync(&self, _: &str, _: &[Timer]) -> Result<(), StoreError> {
        Ok(())
    }
}

struct NoMail;

#[async_trait]
impl Notifier for NoMail {
    async fn send(&self, _: &p3_domain::alert::AlertEmail) -> Result<(), NotifyError> {
        Ok(())
    }
}

struct SameCode;

impl Random for SameCode {
    fn bytes10(&self) -> [u8; 10] {
        [7; 10]
    }
}

/// A service over `store`, standing on 15 December 2025 (after every fixture event).
fn service(store: Arc<dyn CaseStore>, clock: Arc<TestClock>) -> Service {
    clock.set(t("2025-12-15T12:00:00Z"));
    Service {
        store,
        scheduler: Arc::new(NoTimers),
        notifier: Arc::new(NoMail),
        clock,
        random: Arc::new(SameCode),
        rules: Arc::new(Rules::default()),
        settings: Arc::new(Settings {
            landlord: "P3 Housing".into(),
            categories: vec![],
            addresses: AlertAddresses::default(),
            base_url: "https://complaints.p3.example".into(),
        }),
    }
}

fn reply() -> StoredReply {
    StoredReply::Changed(ReplyView {
        reference: String::new(),
        version: None,
        body: String::new(),
    })
}

struct Fixture<'a>(&'a Service);

impl Fixture<'_> {
    async fn open(
        &self,
        at: &str,
        channel: Channel,
        category: Option<&str>,
        tenure: Tenure,
        service_request: Option<&str>,
        fcr: bool,
    ) -> String {
        let new = NewCase {
            procedure: "housing".into(),
            complaint: ComplaintDetails {
                resident: Resident {
                    name: Some("Ada Resident".into()),
                    email: Some("ada.resident@example.org".into()),
                    ..Default::default()
                },
                representative: None,
                channel,
                category: category.map(Into::into),
                description: "=HYPERLINK(\"http://evil.example\",\"The boiler\")".into(),
                desired_outcome: None,
                tenure,
            },
            service_request: service_request.map(Into::into),
            access_code_hash: None,
            first_contact_resolution: fcr.then(|| FirstContactResolution {
                outcome: Outcome::Upheld,
                summary: "Repair booked with the resident's agreement".into(),
            }),
        };
        let w = self
            .0
            .create_case(new, OFFICER, Some(t(at)), None, &|_, _| reply())
            .await
            .unwrap_or_else(|e| panic!("open at {at}: {e}"));
        w.case.expect("a case").reference
    }

    async fn act(&self, r: &str, command: Command, by: &str, at: &str) {
        self.0
            .act(
                r,
                command,
                &Caller::History { by: by.into() },
                Some(t(at)),
                None,
                None,
                &|_| reply(),
            )
            .await
            .unwrap_or_else(|e| panic!("{r} at {at}: {e}"));
    }

    async fn ack(&self, r: &str, stage2: bool, at: &str) {
        let command = Command::Acknowledge {
            responsible_for: None,
            not_responsible_for: None,
            investigating_manager: (!stage2).then(|| IM.into()),
            reviewer: stage2.then(|| REVIEWER.into()),
            complaint_points: vec!["The boiler".into()],
        };
        self.act(r, command, OFFICER, at).await;
    }

    async fn respond(&self, r: &str, stage: u8, outcome: Outcome, at: &str) {
        let response = StageResponse {
            outcome,
            summary: "Our decision and the reasons for it".into(),
            remedy: None,
            point_decisions: vec![PointDecision {
                point: "The boiler".into(),
                decision: outcome,
                reason: Some("The reasons for it".into()),
            }],
            actions: vec![],
            compensation_pence: None,
            learning: None,
        };
        let by = if stage == 1 { IM } else { REVIEWER };
        self.act(r, Command::Respond { stage, response }, by, at)
            .await;
    }

    async fn escalate(&self, r: &str, at: &str) {
        let command = Command::RequestNextStage {
            reason: Some("Not resolved".into()),
            through: RequestedThrough::Resident,
        };
        self.act(r, command, OFFICER, at).await;
    }

    async fn service_request(&self, at: &str) {
        let request = ServiceRequest {
            id: String::new(),
            description: "Fix the boiler".into(),
            category: Some("repairs".into()),
            resident: Resident {
                name: Some("Ada Resident".into()),
                ..Default::default()
            },
            response: None,
            logged_at: t(at),
            recorded_at: t(at),
            logged_by: OFFICER.into(),
            complaint: None,
            closed: None,
        };
        self.0
            .create_service_request(request, None, &|_| reply())
            .await
            .unwrap_or_else(|e| panic!("service request at {at}: {e}"));
    }

    /// October 2025 (see `shared/server/tests/reports.rs` for the dates counted out).
    async fn build(&self) {
        use Channel::*;
        let low = Tenure::LowCostRental;
        // Service requests: 00:30 BST on 1 Oct and 23:30 GMT on 31 Oct (October), 23:30 BST
        // on 30 Sep (September).
        for at in [
            "2025-09-30T23:30:00Z",
            "2025-09-30T22:30:00Z",
            "2025-10-31T23:30:00Z",
        ] {
            self.service_request(at).await;
        }
        // A: received 00:30 BST on Wed 1 Oct: October. Acked, responded within both; Stage 2
        // asked and acked: open, not overdue at the month's end.
        let a = self
            .open(
                "2025-09-30T23:30:00Z",
                Web,
                Some("repairs"),
                low,
                None,
                false,
            )
            .await;
        self.ack(&a, false, "2025-10-03T10:00:00+01:00").await;
        self.respond(&a, 1, Outcome::Upheld, "2025-10-15T16:00:00+01:00")
            .await;
        self.escalate(&a, "2025-10-20T10:00:00+01:00").await;
        self.ack(&a, true, "2025-10-21T10:00:00+01:00").await;
        // B: late acknowledgement; responded outside P3's standard, within the Code.
        let b = self
            .open(
                "2025-10-02T10:00:00+01:00",
                Phone,
                Some("damp_and_mould"),
                low,
                None,
                false,
            )
            .await;
        self.ack(&b, false, "2025-10-13T10:00:00+01:00").await;
        self.respond(&b, 1, Outcome::PartlyUpheld, "2025-10-20T15:00:00+01:00")
            .await;
        // C: a response within an agreed extension.
        let c = self
            .open(
                "2025-10-06T09:00:00+01:00",
                Email,
                Some("repairs"),
                low,
                None,
                false,
            )
            .await;
        self.ack(&c, false, "2025-10-07T10:00:00+01:00").await;
        let extend = Command::Extend {
            working_days: 5,
            reason: "Waiting for the contractor's report".into(),
        };
        self.act(&c, extend, IM, "2025-10-17T10:00:00+01:00").await;
        self.respond(&c, 1, Outcome::NotUpheld, "2025-10-27T23:30:00Z")
            .await;
        // D: a response after the Code's limit.
        let d = self
            .open(
                "2025-10-07T11:00:00+01:00",
                Web,
                Some("communication"),
                low,
                None,
                false,
            )
            .await;
        self.ack(&d, false, "2025-10-08T10:00:00+01:00").await;
        self.respond(&d, 1, Outcome::Upheld, "2025-10-23T10:00:00+01:00")
            .await;
        // E: Stage 1 in September; a late Stage 2 request on 1 Oct, responded 29 Oct.
        let e = self
            .open(
                "2025-09-01T10:00:00+01:00",
                Web,
                Some("staff_conduct"),
                low,
                None,
                false,
            )
            .await;
        self.ack(&e, false, "2025-09-02T10:00:00+01:00").await;
        self.respond(&e, 1, Outcome::Upheld, "2025-09-05T10:00:00+01:00")
            .await;
        self.escalate(&e, "2025-10-01T10:00:00+01:00").await;
        self.ack(&e, true, "2025-10-02T10:00:00+01:00").await;
        self.respond(&e, 2, Outcome::PartlyUpheld, "2025-10-29T10:00:00Z")
            .await;
        // G: withdrawn before acknowledgement.
        let g = self
            .open(
                "2025-10-08T14:00:00+01:00",
                Letter,
                Some("neighbourhood"),
                low,
                None,
                false,
            )
            .await;
        self.act(
            &g,
            Command::Withdraw { reason: None },
            OFFICER,
            "2025-10-10T10:00:00+01:00",
        )
        .await;
        // H: a first contact resolution.
        self.open(
            "2025-10-09T12:00:00+01:00",
            Phone,
            Some("repairs"),
            low,
            None,
            true,
        )
        .await;
        // I: open and overdue at the month's end, linked to the first service request.
        let i = self
            .open(
                "2025-10-13T10:00:00+01:00",
                Web,
                Some("damp_and_mould"),
                low,
                Some("SR-2025-00001"),
                false,
            )
            .await;
        self.ack(&i, false, "2025-10-14T10:00:00+01:00").await;
        // J: responded in November: open, not overdue at the end of October.
        let j = self
            .open("2025-10-20T10:00:00+01:00", Email, None, low, None, false)
            .await;
        self.ack(&j, false, "2025-10-21T10:00:00+01:00").await;
        self.respond(&j, 1, Outcome::Upheld, "2025-11-03T10:00:00Z")
            .await;
        // L: received in September, no October event, Stage 2 open and overdue at the end of
        // October (found through the open-at-month-end index alone).
        let l = self
            .open(
                "2025-09-01T11:00:00+01:00",
                Phone,
                Some("repairs"),
                low,
                None,
                false,
            )
            .await;
        self.ack(&l, false, "2025-09-02T10:00:00+01:00").await;
        self.respond(&l, 1, Outcome::NotUpheld, "2025-09-03T10:00:00+01:00")
            .await;
        self.escalate(&l, "2025-09-04T10:00:00+01:00").await;
        self.ack(&l, true, "2025-11-03T10:00:00Z").await;
        // M: low-cost home ownership, within both.
        let m = self
            .open(
                "2025-10-22T10:00:00+01:00",
                Web,
                Some("repairs"),
                Tenure::LowCostHomeOwnership,
                None,
                false,
            )
            .await;
        self.ack(&m, false, "2025-10-23T10:00:00+01:00").await;
        self.respond(&m, 1, Outcome::NotUpheld, "2025-10-24T10:00:00+01:00")
            .await;
        // R: refused (legal proceedings).
        let r = self
            .open(
                "2025-10-16T10:00:00+01:00",
                Phone,
                Some("rent_and_charges"),
                low,
                None,
                false,
            )
            .await;
        let refuse = Command::Refuse {
            ground: ExclusionGround::LegalProceedings,
            explanation: "Court proceedings about the arrears have started".into(),
        };
        self.act(&r, refuse, REVIEWER, "2025-10-17T10:00:00+01:00")
            .await;
        // N: received in March 2025, closed in April: never October's.
        let n = self
            .open(
                "2025-03-03T10:00:00Z",
                Web,
                Some("repairs"),
                low,
                None,
                false,
            )
            .await;
        self.ack(&n, false, "2025-03-04T10:00:00Z").await;
        self.respond(&n, 1, Outcome::Upheld, "2025-03-10T10:00:00Z")
            .await;
    }
}

fn settings() -> ReportSettings {
    ReportSettings {
        landlord: "P3 Housing".into(),
        homes: Homes {
            low_cost_rental: Some(2800),
            low_cost_home_ownership: Some(300),
        },
        lessons_learned: None,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the moto AWS emulator (P3_MOTO_ENDPOINT); run by ./scripts/test"]
async fn the_same_report_from_sqlite_and_dynamodb() {
    let sdk = sdk().await;
    let dir = tempfile::tempdir().unwrap();
    let sqlite_clock = contract::clock();
    let sqlite = Arc::new(
        p3_sqlite::SqliteStore::open_with_clock(&dir.path().join("p3.db"), sqlite_clock.clone())
            .unwrap(),
    );
    let dynamo_clock = contract::clock();
    let dynamo = Arc::new(
        new_table(&sdk, &unique("same"))
            .await
            .with_clock(dynamo_clock.clone()),
    );
    Fixture(&service(sqlite.clone(), sqlite_clock))
        .build()
        .await;
    Fixture(&service(dynamo.clone(), dynamo_clock))
        .build()
        .await;

    let month: Month = "2025-10".parse().unwrap();
    let rules = Rules::default();
    let from_sqlite = p3_reports::export_month(sqlite.as_ref(), month, &rules, &settings())
        .await
        .unwrap();
    let from_dynamo = p3_reports::export_month(dynamo.as_ref(), month, &rules, &settings())
        .await
        .unwrap();
    // JSON and CSV byte for byte (the workbook carries a creation time; the HTML its trend,
    // also compared).
    for (s, d) in from_sqlite.iter().zip(&from_dynamo) {
        assert_eq!(s.file_name, d.file_name);
        if !s.file_name.ends_with(".xlsx") {
            assert!(
                s.bytes == d.bytes,
                "{} differs:\nSQLite:\n{}\nDynamoDB:\n{}",
                s.file_name,
                String::from_utf8_lossy(&s.bytes),
                String::from_utf8_lossy(&d.bytes)
            );
        }
    }
    let figures: Value = serde_json::from_slice(&from_dynamo[0].bytes).unwrap();
    // Counted by hand: A (1 Oct 00:30 BST), B, C, D, G, H, I, J, M, R.
    assert_eq!(figures["stage1"]["received"], 10, "{figures}");
    // A, B, C, D, H, M; within the Code all but D.
    assert_eq!(figures["stage1"]["responded"], 6);
    assert_eq!(figures["stage1"]["responded_within_code"], 5);
    assert_eq!(figures["stage1"]["responded_within_p3_standard"], 4);
    // I and J at Stage 1; A and L (received in September, nothing in October) at Stage 2.
    assert_eq!(figures["stage1"]["open_at_month_end"], 2);
    assert_eq!(figures["stage1"]["open_overdue"], 1);
    assert_eq!(figures["stage2"]["open_at_month_end"], 2);
    assert_eq!(figures["stage2"]["open_overdue"], 1);
    assert_eq!(figures["stage2_requests_late"], 1);
    assert_eq!(figures["withdrawn"], 1);
    assert_eq!(figures["first_contact_resolutions"], 1);
    assert_eq!(figures["service_requests_logged"], 2);
    assert_eq!(figures["service_requests_escalated"], 1);
    assert_eq!(figures["refused"]["legal_proceedings"], 1);
    assert_eq!(figures["tsm"]["ch02_stage1_within_code_pct"], 80.0);

    // N (March) is not read for October; L is, through the open-at-month-end index.
    let records = dynamo.month_records(month).await.unwrap();
    let refs: Vec<&str> = records.cases.iter().map(|c| c.reference.as_str()).collect();
    assert!(!refs.contains(&"CMP-2025-00013"), "{refs:?}");
    assert!(refs.contains(&"CMP-2025-00010"), "{refs:?}");
    assert!(records.rows_read > 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the moto AWS emulator (P3_MOTO_ENDPOINT); run by ./scripts/test"]
async fn the_monthly_schedule_writes_the_four_files_to_s3_and_sends_one_email() {
    let endpoint = endpoint();
    let sdk = sdk().await;
    let name = unique("export");
    new_table(&sdk, &name).await;
    let s3 = aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(&sdk)
            .force_path_style(true)
            .build(),
    );
    let bucket = format!("{name}-exports");
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
    let _ = aws_sdk_sesv2::Client::new(&sdk)
        .create_email_identity()
        .email_identity(MAIL_DOMAIN)
        .send()
        .await;
    let landlord = format!("P3 Test {name}");
    // Homes per tenure come from the landlord's configuration file, as on AWS.
    let config = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(config.path(), "[homes]\nlow_cost_rental = 2800\n").unwrap();
    let vars: HashMap<&str, String> = HashMap::from([
        ("TABLE_NAME", name.clone()),
        ("QUEUE_URL", "http://unused".into()),
        (
            "QUEUE_ARN",
            "arn:aws:sqs:eu-west-2:123456789012:unused".into(),
        ),
        (
            "DLQ_ARN",
            "arn:aws:sqs:eu-west-2:123456789012:unused-dlq".into(),
        ),
        ("SCHEDULE_GROUP", "unused".into()),
        (
            "SCHEDULER_ROLE_ARN",
            "arn:aws:iam::123456789012:role/p3".into(),
        ),
        ("MAIL_FROM", format!("complaints-service@{MAIL_DOMAIN}")),
        ("EXPORT_BUCKET", bucket.clone()),
        ("BASE_URL", "https://complaints.p3housing.example".into()),
        ("LANDLORD", landlord.clone()),
        ("COMPLAINTS_TEAM", format!("complaints@{MAIL_DOMAIN}")),
        ("HEAD_OF_TENANT_SERVICES", format!("head@{MAIL_DOMAIN}")),
        ("P3_CONFIG", config.path().display().to_string()),
        ("AWS_ENDPOINT_URL", endpoint.clone()),
    ]);
    let settings = AwsSettings::from_lookup(|k| vars.get(k).cloned()).unwrap();
    let clock = contract::clock();
    let svc = wiring::service_with_clock(&settings, &sdk, clock.clone()).await;
    // Two May 2026 complaints, through the service the function runs on.
    clock.set(t("2026-05-20T10:00:00Z"));
    let fixture_service = Service {
        scheduler: Arc::new(NoTimers),
        ..svc.clone()
    };
    let f = Fixture(&fixture_service);
    let a = f
        .open(
            "2026-05-04T10:00:00Z",
            Web,
            Some("repairs"),
            Tenure::LowCostRental,
            None,
            false,
        )
        .await;
    f.ack(&a, false, "2026-05-05T10:00:00Z").await;
    f.open(
        "2026-05-11T10:00:00Z",
        Phone,
        None,
        Tenure::LowCostRental,
        None,
        false,
    )
    .await;

    let state = wiring::app_state_for(svc, &settings);
    let (app, exporter) = wiring::reporting_parts(&settings, &sdk, state);
    let event: Value = serde_json::from_str(
        &std::fs::read_to_string(repo().join("events/reporting/monthly-schedule.json")).unwrap(),
    )
    .unwrap();
    let first_of_june = Utc.with_ymd_and_hms(2026, 6, 1, 5, 0, 0).unwrap();
    let answer = wiring::handle_reporting_event(app, &exporter, event, first_of_june)
        .await
        .unwrap();
    assert_eq!(answer["month"], "2026-05", "{answer}");
    assert_eq!(answer["exported"], true);

    let listed = s3
        .list_objects_v2()
        .bucket(&bucket)
        .prefix("exports/2026-05/")
        .send()
        .await
        .unwrap();
    let mut keys: Vec<String> = listed
        .contents()
        .iter()
        .filter_map(|o| o.key().map(str::to_string))
        .collect();
    keys.sort();
    assert_eq!(
        keys,
        [
            "exports/2026-05/complaints-2026-05.csv",
            "exports/2026-05/complaints-2026-05.html",
            "exports/2026-05/complaints-2026-05.json",
            "exports/2026-05/complaints-2026-05.xlsx",
        ]
    );
    let json = s3
        .get_object()
        .bucket(&bucket)
        .key("exports/2026-05/complaints-2026-05.json")
        .send()
        .await
        .unwrap()
        .body
        .collect()
        .await
        .unwrap()
        .into_bytes();
    let figures: Value = serde_json::from_slice(&json).unwrap();
    assert_eq!(figures["month"], "2026-05");
    assert_eq!(figures["stage1"]["received"], 2);
    assert_eq!(figures["stage1"]["acknowledged"], 1);
    assert!(figures["tsm"]["ch01_stage1_per_1000_homes"].is_number());

    // One email to both managers, naming the month and where the files are.
    let data: Value = reqwest::get(format!("{endpoint}/moto-api/data.json"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let subject = format!("[{landlord} complaints] Monthly report 2026-05");
    let sent: Vec<&Value> = data["ses"]["Message"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|m| m["subject"].as_str() == Some(subject.as_str()))
        .collect();
    assert_eq!(sent.len(), 1, "{data}");
    let text = sent[0].to_string();
    assert!(
        text.contains(&format!("s3://{bucket}/exports/2026-05/")),
        "{text}"
    );
    assert!(text.contains("Stage 1 complaints received: 2"), "{text}");
    assert!(text.contains(&format!("head@{MAIL_DOMAIN}")), "{text}");
    assert!(
        text.contains(&format!("complaints@{MAIL_DOMAIN}")),
        "{text}"
    );
}

use Channel::{Phone, Web};

/// The benchmark of issue 5 on DynamoDB: about 50,000 items (12,000 cases over the 12 months of
/// 2025, each received, acknowledged and responded to, 4 items each, plus 600 still open);
/// one month's report must read only that month's items through the indexes. Excluded from
/// `./scripts/test` (seeding takes minutes in the emulator); run by hand:
/// `P3_MOTO_ENDPOINT=… cargo nextest run -p p3-aws --test reports --run-ignored all bench_ --no-capture`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "benchmark: run with --run-ignored all bench_"]
async fn bench_a_month_reads_only_its_items() {
    use p3_domain::case::{Actor, Case};
    use p3_domain::ports::CaseWrite;

    let sdk = sdk().await;
    let store = Arc::new(new_table(&sdk, &unique("bench")).await);
    let clock = contract::clock();
    let svc = service(store.clone(), clock);
    let rules = Rules::default();
    let now = t("2026-01-15T12:00:00Z");
    let actor = |by: &str, at: DateTime<Utc>| Actor {
        by: by.into(),
        at,
        now,
    };
    let writes = Arc::new(std::sync::Mutex::new(Vec::new()));
    let (cases, open) = (12_000u32, 600u32);
    let mut items = 0u64;
    for k in 0..cases + open {
        let received = Utc.with_ymd_and_hms(2025, 1, 1, 9, 0, 0).unwrap()
            + chrono::Duration::minutes(i64::from(k % cases) * 40);
        let new = NewCase {
            procedure: "housing".into(),
            complaint: ComplaintDetails {
                resident: Resident {
                    name: Some("Ada Resident".into()),
                    ..Default::default()
                },
                representative: None,
                channel: Channel::Web,
                category: Some("repairs".into()),
                description: "The boiler".into(),
                desired_outcome: None,
                tenure: Tenure::LowCostRental,
            },
            service_request: None,
            access_code_hash: None,
            first_contact_resolution: None,
        };
        let reference = format!("CMP-2025-{:05}", k + 1);
        let mut case = Case::open(&reference, new, &actor(OFFICER, received), &rules).unwrap();
        if k < cases {
            let ack = Command::Acknowledge {
                responsible_for: None,
                not_responsible_for: None,
                investigating_manager: Some(IM.into()),
                reviewer: None,
                complaint_points: vec!["The boiler".into()],
            };
            case = case
                .execute(
                    ack,
                    &actor(OFFICER, received + chrono::Duration::days(1)),
                    &rules,
                )
                .unwrap()
                .0;
            let respond = Command::Respond {
                stage: 1,
                response: StageResponse {
                    outcome: Outcome::Upheld,
                    summary: "Our decision".into(),
                    remedy: None,
                    point_decisions: vec![PointDecision {
                        point: "The boiler".into(),
                        decision: Outcome::Upheld,
                        reason: Some("The reasons for it".into()),
                    }],
                    actions: vec![],
                    compensation_pence: None,
                    learning: None,
                },
            };
            case = case
                .execute(
                    respond,
                    &actor(IM, received + chrono::Duration::days(8)),
                    &rules,
                )
                .unwrap()
                .0;
        }
        items += 1 + case.history.len() as u64;
        let index = svc.index(&case, now).unwrap();
        writes.lock().unwrap().push(CaseWrite {
            new_events: case.history.clone(),
            case,
            index,
            expected_version: 0,
            timers: vec![],
            idempotency: None,
        });
    }
    // BatchWriteItem, 25 items a request: the emulator copies a table on every transaction,
    // so seeding through `save` would take hours; the items are the same.
    let started = std::time::Instant::now();
    let all: Vec<_> = writes
        .lock()
        .unwrap()
        .iter()
        .flat_map(|w| store.seed_items(w).unwrap())
        .collect();
    let client = aws_sdk_dynamodb::Client::new(&sdk);
    for chunk in all.chunks(25) {
        let mut requests: Vec<_> = chunk
            .iter()
            .map(|item| {
                aws_sdk_dynamodb::types::WriteRequest::builder()
                    .put_request(
                        aws_sdk_dynamodb::types::PutRequest::builder()
                            .set_item(Some(item.clone()))
                            .build()
                            .unwrap(),
                    )
                    .build()
            })
            .collect();
        while !requests.is_empty() {
            let out = client
                .batch_write_item()
                .request_items(store.table(), std::mem::take(&mut requests))
                .send()
                .await
                .unwrap();
            if let Some(left) = out.unprocessed_items().and_then(|u| u.get(store.table())) {
                requests = left.clone();
            }
        }
    }
    eprintln!(
        "seeded {items} items ({} cases) in {:.1?}",
        cases + open,
        started.elapsed()
    );

    let month: Month = "2025-06".parse().unwrap();
    let started = std::time::Instant::now();
    let records = store.month_records(month).await.unwrap();
    let elapsed = started.elapsed();
    let data = p3_reports::month_data(store.as_ref(), month, &rules, &Homes::default())
        .await
        .unwrap();
    let json = p3_reports::monthly(
        store.as_ref(),
        month,
        p3_reports::Format::Json,
        &rules,
        &settings(),
    )
    .await
    .unwrap();
    eprintln!(
        "{month}: {} cases, {} items read by Query/BatchGetItem of {items} in the table, records in {elapsed:.1?}; {} bytes of JSON",
        records.cases.len(),
        records.rows_read,
        json.bytes.len()
    );
    assert_eq!(data.records.rows_read, records.rows_read);
    // About one month in twelve: its events (and those of the cases around it), the keys of
    // the cases open at its end, and those cases; a Scan would read all of them.
    assert!(
        records.rows_read * 5 < items,
        "{} items read of {items}",
        records.rows_read
    );
}
