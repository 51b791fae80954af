//! What every Lambda function builds once, outside its handler: settings from the environment,
//! the SDK configuration, the domain's [`Service`] over the AWS adapters, the HTTP state, and
//! the small adapters between Lambda events and the shared handlers.

use std::sync::Arc;
use std::time::Duration;

use aws_config::timeout::TimeoutConfig;
use aws_config::SdkConfig;
use axum::Router;
use p3_api::limit::{RateLimiter, WRONG_CODES_PER_HOUR};
use p3_api::AppState;
use p3_domain::alert::{AlertEmail, Timer};
use p3_domain::host::{self, Adapters};
use p3_domain::london::{london_date, Month};
use p3_domain::ports::{
    AlertScheduler, Clock, Notifier, NotifyError, Random, ReportSource, StoreError, SystemClock,
};
use p3_domain::service::Service;
use serde::{Deserialize, Serialize};

use crate::auth::ClaimsAuthenticator;
use crate::dynamo::{DynamoStore, DEFAULT_REPORT_MONTHS_BACK};
use crate::files::Attachments;
use crate::limit::DynamoLimiter;
use crate::oidc::OidcSettings;
use crate::reporting::{MonthlyExporter, QuarterlySender};
use crate::retention::RetentionJob;
use crate::scheduler::{EventBridgeScheduler, ScheduleTarget};
use crate::ses::SesNotifier;

/// Why a function could not start: a setting is missing or wrong (named, so the log says which).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WiringError {
    /// A required environment variable is not set.
    #[error("the environment variable {0} is not set")]
    Missing(&'static str),
    /// An environment variable has a value that cannot be used.
    #[error("the environment variable {name} is not valid: {reason}")]
    Invalid {
        /// The variable.
        name: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// The configuration file (`P3_CONFIG`) cannot be read or is refused: the error `p3 check`
    /// gives for the same file, naming the field.
    #[error("{0}")]
    Config(String),
}

/// The settings of a function, from its environment (set by `infra/template.yaml`) and the
/// configuration file it names (`P3_CONFIG`).
#[derive(Debug, Clone)]
pub struct AwsSettings {
    /// `TABLE_NAME`: the DynamoDB table.
    pub table_name: String,
    /// `QUEUE_URL`: the deadline queue, for alerts already due.
    pub queue_url: String,
    /// `QUEUE_ARN`: the deadline queue, the schedules' target.
    pub queue_arn: String,
    /// `DLQ_ARN`: the dead-letter queue for events the scheduler could not deliver.
    pub dlq_arn: String,
    /// `SCHEDULE_GROUP`: the service's EventBridge Scheduler group.
    pub schedule_group: String,
    /// `SCHEDULER_ROLE_ARN`: the role the scheduler assumes to send to the queue.
    pub scheduler_role_arn: String,
    /// `MAIL_FROM`: the verified SES identity alerts come from.
    pub mail_from: String,
    /// `SES_CONFIGURATION_SET` (optional): the SES configuration set to send through.
    pub ses_configuration_set: Option<String>,
    /// `EXPORT_BUCKET`: where monthly exports go.
    pub export_bucket: String,
    /// `ATTACHMENTS_BUCKET` (optional): where the cases' files and the residents' uploads
    /// are kept ([`crate::files`]); set by the template on the functions that read or write
    /// them. Without it, a function keeps no files and refuses them with a clear error.
    pub attachments_bucket: Option<String>,
    /// `BASE_URL`: the staff pages' address, for links in alerts.
    pub base_url: String,
    /// `REPORT_MONTHS_BACK` (default 36): how many receipt months before a report's month
    /// are searched for cases still open at its end.
    pub report_months_back: u32,
    /// `AWS_ENDPOINT_URL` (optional): an emulator's address, for tests.
    pub endpoint_url: Option<String>,
    /// `AWS_REGION` (set by Lambda); optional here because the SDK's own chain also finds it.
    pub region: Option<String>,
    /// `OIDC_*` (optional): the identity provider the staff pages sign in through; the `pages`
    /// function needs it.
    pub staff_sign_in: Option<OidcSettings>,
    /// The landlord's settings: the file `P3_CONFIG` names (the same file and checks as
    /// `p3 check`; without it, the defaults, as an empty file), with `BASE_URL` and `MAIL_FROM`
    /// in place of its `base_url` and `mail_from`, and `LANDLORD`, `COMPLAINTS_TEAM` and
    /// `HEAD_OF_TENANT_SERVICES`, when set and not empty, of its `landlord` and `[alerts]`.
    pub config: p3_config::Settings,
}

impl AwsSettings {
    /// Reads the settings from the process environment.
    pub fn from_env() -> Result<AwsSettings, WiringError> {
        AwsSettings::from_lookup(|k| std::env::var(k).ok())
    }

    /// Reads the settings through `get` (the environment, or a map in tests).
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<AwsSettings, WiringError> {
        let opt = |k: &str| {
            get(k)
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
        };
        let req = |k: &'static str| opt(k).ok_or(WiringError::Missing(k));
        let report_months_back = match opt("REPORT_MONTHS_BACK") {
            Some(v) => v.parse().map_err(|_| WiringError::Invalid {
                name: "REPORT_MONTHS_BACK",
                reason: format!("`{v}` is not a whole number"),
            })?,
            None => DEFAULT_REPORT_MONTHS_BACK,
        };
        let base_url = req("BASE_URL")?;
        let mail_from = req("MAIL_FROM")?;
        let config = read_config(opt("P3_CONFIG"), |config| {
            config.base_url = Some(base_url.clone());
            config.mail_from = mail_from.clone();
            if let Some(v) = opt("LANDLORD") {
                config.landlord = v;
            }
            if let Some(v) = opt("COMPLAINTS_TEAM") {
                config.alerts.complaints_team = v;
            }
            if let Some(v) = opt("HEAD_OF_TENANT_SERVICES") {
                config.alerts.head_of_tenant_services = v;
            }
        })?;
        let staff_sign_in = OidcSettings::from_lookup(&get, &base_url)?;
        Ok(AwsSettings {
            table_name: req("TABLE_NAME")?,
            queue_url: req("QUEUE_URL")?,
            queue_arn: req("QUEUE_ARN")?,
            dlq_arn: req("DLQ_ARN")?,
            schedule_group: req("SCHEDULE_GROUP")?,
            scheduler_role_arn: req("SCHEDULER_ROLE_ARN")?,
            mail_from,
            ses_configuration_set: opt("SES_CONFIGURATION_SET"),
            export_bucket: req("EXPORT_BUCKET")?,
            attachments_bucket: opt("ATTACHMENTS_BUCKET"),
            base_url,
            report_months_back,
            endpoint_url: opt("AWS_ENDPOINT_URL"),
            region: opt("AWS_REGION"),
            staff_sign_in,
            config,
        })
    }

    /// Where the scheduler's schedules live and deliver.
    pub fn schedule_target(&self) -> ScheduleTarget {
        ScheduleTarget {
            group: self.schedule_group.clone(),
            queue_arn: self.queue_arn.clone(),
            queue_url: self.queue_url.clone(),
            role_arn: self.scheduler_role_arn.clone(),
            dead_letter_arn: self.dlq_arn.clone(),
        }
    }
}

/// The landlord's settings from the file at `path` (the defaults without one): parsed and
/// checked as `p3 check` does, the sections only the local server reads ignored; `overrides`
/// applied before the files it names (letter templates, procedures) are read and checked.
fn read_config(
    path: Option<String>,
    overrides: impl FnOnce(&mut p3_config::Settings),
) -> Result<p3_config::Settings, WiringError> {
    let Some(path) = path.map(std::path::PathBuf::from) else {
        let mut config = p3_config::Settings::default();
        overrides(&mut config);
        return Ok(config);
    };
    let (mut config, _local_server_only) =
        p3_config::Settings::read_split(&path).map_err(WiringError::Config)?;
    overrides(&mut config);
    config.read_files(&path).map_err(WiringError::Config)?;
    Ok(config)
}

/// How long one AWS call may take. A dependency that accepts connections but never answers
/// (a network path dropping packets) would otherwise hold a request until Lambda's timeout
/// (10 s for the HTTP functions) cut it off with a bare error; within these, the store gives
/// up in time for the function to answer 503 with `Retry-After` itself. Each attempt is far
/// longer than any single DynamoDB, Scheduler, SQS, SES or S3 call takes.
pub fn timeouts() -> TimeoutConfig {
    TimeoutConfig::builder()
        .connect_timeout(Duration::from_secs(1))
        .operation_attempt_timeout(Duration::from_secs(2))
        .operation_timeout(Duration::from_secs(5))
        .build()
}

/// The SDK configuration ([`crate::sdk::config`]): credentials and region from the Lambda
/// environment, or the emulator's endpoint when one is set; the [`timeouts`].
pub async fn aws_config(settings: &AwsSettings) -> SdkConfig {
    crate::sdk::config(settings.endpoint_url.clone(), settings.region.clone()).await
}

/// The settings through `get`, with the secrets it names read from Secrets Manager
/// ([`crate::secrets`]) standing for their settings, and the SDK configuration they were read
/// with.
pub async fn settings_with_secrets(
    get: &dyn Fn(&str) -> Option<String>,
) -> Result<(AwsSettings, SdkConfig), WiringError> {
    let opt = |k: &str| {
        get(k)
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
    };
    let sdk = crate::sdk::config(opt("AWS_ENDPOINT_URL"), opt("AWS_REGION")).await;
    let secrets = crate::secrets::read(&sdk, get).await?;
    let settings = AwsSettings::from_lookup(|k| secrets.get(k).cloned().or_else(|| get(k)))?;
    Ok((settings, sdk))
}

/// Access codes from the operating system's secure random source.
#[derive(Debug, Clone, Copy, Default)]
pub struct OsRandom;

impl Random for OsRandom {
    fn bytes10(&self) -> [u8; 10] {
        let mut b = [0u8; 10];
        getrandom::fill(&mut b).expect("the operating system provides randomness");
        b
    }
}

/// The domain service over DynamoDB, EventBridge Scheduler, SQS and SES, on the system clock.
pub async fn service(settings: &AwsSettings, sdk: &SdkConfig) -> Service {
    service_with_clock(settings, sdk, Arc::new(SystemClock)).await
}

/// The domain service on a given clock (tests stand on a fixed date). Opens the DynamoDB
/// connection before returning, so the first request does not pay for the TLS handshake.
pub async fn service_with_clock(
    settings: &AwsSettings,
    sdk: &SdkConfig,
    clock: Arc<dyn Clock>,
) -> Service {
    service_over(
        settings,
        sdk,
        clock.clone(),
        alert_schedules(settings, sdk, &clock),
        ses_notifier(settings, sdk),
    )
    .await
}

/// The `deadlines` function's service: as [`service_with_clock`], and, with the feature `pdf`,
/// each letter's email copy carries the letter as a PDF ([`p3_api::pdf::with_letter_pdfs`]).
/// Only this function sends letters, so only its package links the PDF writer for them.
pub async fn deadlines_service(settings: &AwsSettings, sdk: &SdkConfig) -> Service {
    deadlines_service_with_clock(settings, sdk, Arc::new(SystemClock)).await
}

/// [`deadlines_service`] on a given clock (tests stand on a fixed date).
pub async fn deadlines_service_with_clock(
    settings: &AwsSettings,
    sdk: &SdkConfig,
    clock: Arc<dyn Clock>,
) -> Service {
    let mut service = service_with_clock(settings, sdk, clock).await;
    service.notifier = p3_api::pdf::with_letter_pdfs(
        service.notifier.clone(),
        service.rules.letters.landlord.clone(),
    );
    service
}

/// A case's alert timers as one-off EventBridge schedules that put their event on the queue.
fn alert_schedules(
    settings: &AwsSettings,
    sdk: &SdkConfig,
    clock: &Arc<dyn Clock>,
) -> Arc<dyn AlertScheduler> {
    Arc::new(EventBridgeScheduler::new(
        aws_sdk_scheduler::Client::new(sdk),
        aws_sdk_sqs::Client::new(sdk),
        clock.clone(),
        settings.schedule_target(),
    ))
}

/// Emails through SES from the deployment's sender, with its configuration set if any.
fn ses_notifier(settings: &AwsSettings, sdk: &SdkConfig) -> Arc<dyn Notifier> {
    let mut notifier = SesNotifier::new(aws_sdk_sesv2::Client::new(sdk), &settings.mail_from);
    if let Some(set) = &settings.ses_configuration_set {
        notifier = notifier.with_configuration_set(set);
    }
    Arc::new(notifier)
}

/// The domain service of the staff pages: as [`service`], but it sends no email (the emails
/// of a case, its alerts and letters, go from the `deadlines` function, whose timers every
/// write schedules), so the SES client stays out of the package.
pub async fn service_sending_no_email(settings: &AwsSettings, sdk: &SdkConfig) -> Service {
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    service_over(
        settings,
        sdk,
        clock.clone(),
        alert_schedules(settings, sdk, &clock),
        Arc::new(SendsNoEmail),
    )
    .await
}

/// The domain service of a function that only reads cases (`documents`): no alert schedules
/// (no Scheduler or SQS client) and no email (no SES client), so its package and its role hold
/// only what reading the table needs.
pub async fn service_changing_no_case(settings: &AwsSettings, sdk: &SdkConfig) -> Service {
    service_over(
        settings,
        sdk,
        Arc::new(SystemClock),
        Arc::new(ChangesNoCase),
        Arc::new(SendsNoEmail),
    )
    .await
}

/// The notifier of a function that sends no email itself (its role may not): a send is
/// refused, so nothing is recorded as sent that was not.
#[derive(Debug, Clone, Copy)]
pub struct SendsNoEmail;

#[async_trait::async_trait]
impl Notifier for SendsNoEmail {
    async fn send(&self, _email: &AlertEmail) -> Result<(), NotifyError> {
        Err(NotifyError(
            "this function sends no email: the deadlines function does".into(),
        ))
    }
}

/// The scheduler of a function that changes no case (reporting): it has no schedules to sync,
/// and leaving the Scheduler and SQS clients out keeps its package small.
#[derive(Debug, Clone, Copy)]
pub struct ChangesNoCase;

#[async_trait::async_trait]
impl AlertScheduler for ChangesNoCase {
    async fn sync(&self, _reference: &str, _timers: &[Timer]) -> Result<(), StoreError> {
        Err(StoreError::Refused(
            "this function changes no case, so it syncs no alert schedules".into(),
        ))
    }
}

/// The domain service over DynamoDB and SES with the given alert scheduler. Opens the DynamoDB
/// connection before returning, so the first request does not pay for the TLS handshake.
async fn service_over(
    settings: &AwsSettings,
    sdk: &SdkConfig,
    clock: Arc<dyn Clock>,
    scheduler: Arc<dyn AlertScheduler>,
    notifier: Arc<dyn Notifier>,
) -> Service {
    let dynamodb = aws_sdk_dynamodb::Client::new(sdk);
    warm(&dynamodb, &settings.table_name).await;
    let store = DynamoStore::new(dynamodb, settings.table_name.clone()).with_clock(clock.clone());
    host::service(
        Adapters {
            store: Arc::new(store),
            scheduler,
            notifier,
            clock,
            random: Arc::new(OsRandom),
        },
        settings.config.host_settings(settings.base_url.clone()),
    )
}

/// One cheap call during init, so the connection (DNS, TCP, TLS) is open and pooled before the
/// first request. A failure is only logged: the request will try again and report properly.
async fn warm(client: &aws_sdk_dynamodb::Client, table: &str) {
    if let Err(e) = client.describe_table().table_name(table).send().await {
        tracing::warn!(table, error = %aws_sdk_dynamodb::error::DisplayErrorContext(e), "could not warm the DynamoDB connection");
    }
}

/// The HTTP state over a service: staff identity from the JWT authorizer's claims, and the
/// rate limits of the resident's routes counted in this instance's memory. The functions that
/// serve those routes count them in DynamoDB instead ([`with_shared_limits`]); the others
/// never apply a limit.
///
/// It keeps no files (adding or reading one is refused): the functions that serve files put
/// the bucket's store in its place ([`crate::files::attachments`]), so only their packages
/// link the S3 client.
pub fn app_state_for(service: Service, settings: &AwsSettings) -> AppState {
    AppState {
        service,
        attachments: Arc::new(p3_domain::attachment::NoAttachments),
        inbox: Arc::new(p3_domain::inbox::NoInbox),
        auth: Arc::new(ClaimsAuthenticator::from_env()),
        form_limit: Arc::new(RateLimiter::new(
            settings.config.public_form.rate_limit_per_hour,
            Duration::from_secs(3600),
        )),
        code_limit: Arc::new(RateLimiter::new(
            WRONG_CODES_PER_HOUR,
            Duration::from_secs(3600),
        )),
    }
}

/// The state with the public form's and the access codes' limits counted in the table
/// ([`DynamoLimiter`]), per client across every instance of every function that applies them
/// (intake and stage2), with the same allowances as `p3 serve`.
pub fn with_shared_limits(
    state: AppState,
    settings: &AwsSettings,
    dynamodb: &aws_sdk_dynamodb::Client,
    clock: Arc<dyn Clock>,
) -> AppState {
    let limit = |name, capacity| {
        Arc::new(
            DynamoLimiter::new(
                dynamodb.clone(),
                settings.table_name.clone(),
                name,
                capacity,
                Duration::from_secs(3600),
            )
            .with_clock(clock.clone()),
        )
    };
    AppState {
        form_limit: limit("form", settings.config.public_form.rate_limit_per_hour),
        code_limit: limit("code", WRONG_CODES_PER_HOUR),
        ..state
    }
}

/// Everything an HTTP function needs, from its environment.
pub async fn app_state() -> Result<AppState, WiringError> {
    let settings = AwsSettings::from_env()?;
    let sdk = aws_config(&settings).await;
    let service = service(&settings, &sdk).await;
    Ok(app_state_for(service, &settings))
}

/// What a function serving the resident's routes (the form, the case by its access code)
/// needs: [`app_state`] with the limits shared across instances ([`with_shared_limits`]) and
/// the attachments bucket, where the files a resident sends with their complaint or Stage 2
/// request arrive (the upload inbox, [`crate::files::upload_inbox`]) and are kept
/// ([`crate::files::attachments`]).
pub async fn resident_app_state() -> Result<AppState, WiringError> {
    let settings = AwsSettings::from_env()?;
    let sdk = aws_config(&settings).await;
    let service = service(&settings, &sdk).await;
    let dynamodb = aws_sdk_dynamodb::Client::new(&sdk);
    let state = AppState {
        attachments: crate::files::attachments(&settings, &sdk),
        inbox: crate::files::upload_inbox(&settings, &sdk),
        ..app_state_for(service, &settings)
    };
    Ok(with_shared_limits(
        state,
        &settings,
        &dynamodb,
        Arc::new(SystemClock),
    ))
}

/// A function's routes served as everywhere else ([`p3_api::serve_part`]), with the caller's
/// address taken from the API Gateway request context for the rate limits.
pub fn http_app(part: Router<AppState>, state: AppState) -> Router {
    p3_api::serve_part(part, state).layer(axum::middleware::from_fn(crate::edge::client_addr))
}

/// The `cases` function's app over a service: the staff JSON API (lists, reads, extensions,
/// withdrawals, refusals, Ombudsman records and the case file), every route behind the HTTP
/// API's JWT authorizer, whose claims name the caller; the case file's files kept in
/// `attachments`, a file too large for a request to the function arriving through `inbox`
/// (the upload inbox, [`crate::files::upload_inbox`]). The staff pages are the `pages`
/// function's ([`crate::pages`]).
pub fn cases_app(
    service: Service,
    settings: &AwsSettings,
    attachments: Attachments,
    inbox: Arc<dyn p3_domain::inbox::UploadInbox>,
) -> Router {
    http_app(
        p3_api::cases_router().merge(p3_api::casefile_router()),
        AppState {
            attachments,
            inbox,
            ..app_state_for(service, settings)
        },
    )
}

/// The `cases` function, from its environment.
pub async fn cases() -> Result<Router, WiringError> {
    let settings = AwsSettings::from_env()?;
    let sdk = aws_config(&settings).await;
    let service = service(&settings, &sdk).await;
    let attachments = crate::files::attachments(&settings, &sdk);
    let inbox = crate::files::upload_inbox(&settings, &sdk);
    Ok(cases_app(service, &settings, attachments, inbox))
}

/// The jobs the service's own schedules start (the `Input` of an `AWS::Scheduler::Schedule`
/// in `infra/template.yaml`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "job", rename_all = "snake_case", deny_unknown_fields)]
pub enum ScheduledJob {
    /// The monthly performance export, on the 1st of each month at 06:00 London time.
    MonthlyReport,
    /// The quarterly summary for the Member Responsible for Complaints and the governing body,
    /// after each quarter of the financial year ([`crate::reporting::QuarterlySender`]).
    QuarterlyReport,
    /// The retention rule, daily ([`crate::retention`]): cases closed more than the
    /// retention period ago lose their personal data.
    Retention {
        /// The retention period in years; left out (as the schedule does), the configuration
        /// file's `[retention] years`, the period `p3 serve` applies.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        years: Option<u32>,
    },
}

/// The month a monthly report run at `now` covers: the London month before.
pub fn month_to_report(now: chrono::DateTime<chrono::Utc>) -> Month {
    Month::of(london_date(now)).previous()
}

/// What the reporting function receives: an HTTP request through the API, or a scheduled job.
#[derive(Debug)]
pub enum ReportingEvent {
    /// An API Gateway HTTP API (v2) request.
    Http(Box<lambda_http::request::LambdaRequest>),
    /// A job started by a schedule.
    Scheduled(ScheduledJob),
}

impl ReportingEvent {
    /// Tells the two apart: API Gateway events carry a `requestContext`.
    pub fn parse(payload: serde_json::Value) -> Result<ReportingEvent, serde_json::Error> {
        if payload.get("requestContext").is_some() {
            Ok(ReportingEvent::Http(Box::new(serde_json::from_value(
                payload,
            )?)))
        } else {
            Ok(ReportingEvent::Scheduled(serde_json::from_value(payload)?))
        }
    }
}

/// Serves one HTTP request through `app` and answers in the HTTP API's (v2) response format.
pub async fn answer_http(
    app: Router,
    request: lambda_http::request::LambdaRequest,
) -> Result<serde_json::Value, lambda_http::Error> {
    use aws_lambda_events::apigw::ApiGatewayV2httpResponse;
    use aws_lambda_events::encodings::Body;
    use tower::ServiceExt;

    let request: lambda_http::Request = request.into();
    let response = app.oneshot(request).await?;
    let (parts, body) = response.into_parts();
    let bytes = axum::body::to_bytes(body, usize::MAX).await?;
    let text = parts
        .headers
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| t.starts_with("text/") || t.contains("json") || t.contains("xml"));
    let mut out = ApiGatewayV2httpResponse::default();
    out.status_code = i64::from(parts.status.as_u16());
    out.cookies = parts
        .headers
        .get_all(http::header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok().map(str::to_string))
        .collect();
    let mut headers = parts.headers;
    headers.remove(http::header::SET_COOKIE);
    out.headers = headers;
    if !bytes.is_empty() {
        if text {
            out.body = Some(Body::Text(String::from_utf8_lossy(&bytes).into_owned()));
        } else {
            out.body = Some(Body::Binary(bytes.to_vec()));
            out.is_base64_encoded = true;
        }
    }
    Ok(serde_json::to_value(out)?)
}

/// What the report routes read: the table through its month indexes.
pub(crate) fn reports_from(
    settings: &AwsSettings,
    sdk: &SdkConfig,
    service: &Service,
) -> p3_api::reports::Reporting {
    let store = DynamoStore::new(
        aws_sdk_dynamodb::Client::new(sdk),
        settings.table_name.clone(),
    )
    .with_clock(service.clock.clone())
    .with_report_months_back(settings.report_months_back);
    let store = Arc::new(store);
    p3_api::reports::Reporting {
        source: store.clone() as Arc<dyn ReportSource>,
        homes: settings.config.homes(),
        lessons_learned_file: settings.config.reports.lessons_learned_file.clone(),
        records: Some(store as Arc<dyn p3_domain::annual_record::AnnualRecordStore>),
    }
}

/// The scheduled jobs of the reporting function.
#[derive(Debug, Clone)]
pub struct ReportingJobs {
    /// The monthly export (S3 and SES).
    pub export: MonthlyExporter,
    /// The daily retention run (DynamoDB).
    pub retention: RetentionJob,
    /// The quarterly summary's email (SES).
    pub quarterly: QuarterlySender,
}

/// The reporting function's parts, over a service: the report routes (`GET /staff/reports/*`,
/// read from DynamoDB through its indexes), the monthly exporter (S3 and SES) and the daily
/// retention run.
pub fn reporting_parts(
    settings: &AwsSettings,
    sdk: &SdkConfig,
    state: AppState,
) -> (Router, ReportingJobs) {
    let reporting = reports_from(settings, sdk, &state.service);
    let source = reporting.source.clone();
    let service = state.service.clone();
    let app = http_app(p3_api::reporting_router(), state).layer(axum::Extension(reporting));
    // S3 addresses objects by path (`endpoint/bucket/key`) when an emulator is used.
    let mut s3 = aws_sdk_s3::config::Builder::from(sdk);
    if settings.endpoint_url.is_some() {
        s3 = s3.force_path_style(true);
    }
    let addresses = &service.settings.addresses;
    let quarterly = QuarterlySender {
        source: source.clone(),
        rules: service.rules.clone(),
        settings: p3_reports::ReportSettings {
            landlord: settings.config.landlord.clone(),
            homes: settings.config.homes(),
            lessons_learned: None,
        },
        notifier: service.notifier.clone(),
        recipients: settings.config.reports.quarterly_recipients.clone(),
        base_url: service.settings.base_url.clone(),
    };
    let exporter = MonthlyExporter {
        source,
        rules: service.rules.clone(),
        settings: p3_reports::ReportSettings {
            landlord: settings.config.landlord.clone(),
            homes: settings.config.homes(),
            lessons_learned: None,
        },
        s3: aws_sdk_s3::Client::from_conf(s3.build()),
        bucket: settings.export_bucket.clone(),
        notifier: service.notifier.clone(),
        recipients: vec![
            addresses.head_of_tenant_services.clone(),
            addresses.complaints_team.clone(),
        ],
        region: sdk.region().map(|r| r.to_string()),
    };
    let store = DynamoStore::new(
        aws_sdk_dynamodb::Client::new(sdk),
        settings.table_name.clone(),
    )
    .with_clock(service.clock.clone());
    let retention = RetentionJob {
        years: settings.config.retention.years,
        service,
        store: Arc::new(store),
        attachments: crate::files::bucket_store(settings, sdk),
    };
    (
        app,
        ReportingJobs {
            export: exporter,
            retention,
            quarterly,
        },
    )
}

/// The reporting function, from its environment.
pub async fn reporting() -> Result<(Router, ReportingJobs), WiringError> {
    let settings = AwsSettings::from_env()?;
    let sdk = aws_config(&settings).await;
    let service = service_over(
        &settings,
        &sdk,
        Arc::new(SystemClock),
        Arc::new(ChangesNoCase),
        // The monthly job emails its summary.
        ses_notifier(&settings, &sdk),
    )
    .await;
    let state = app_state_for(service, &settings);
    Ok(reporting_parts(&settings, &sdk, state))
}

/// Handles one event of the reporting function. Reports over HTTP are served by `app`; the
/// monthly job exports the London month just ended to the bucket and emails the summary; the
/// daily retention job anonymises the cases due (an error makes the invocation fail, so the
/// schedule's retry policy tries again).
pub async fn handle_reporting_event(
    app: Router,
    jobs: &ReportingJobs,
    payload: serde_json::Value,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<serde_json::Value, lambda_http::Error> {
    match ReportingEvent::parse(payload)? {
        ReportingEvent::Http(request) => answer_http(app, *request).await,
        ReportingEvent::Scheduled(ScheduledJob::MonthlyReport) => {
            let month = month_to_report(now);
            let done = jobs.export.export(month).await?;
            tracing::info!(%month, bucket = %done.bucket, files = done.keys.len(), "monthly report exported");
            Ok(serde_json::json!({
                "job": "monthly_report",
                "month": month.to_string(),
                "exported": true,
                "bucket": done.bucket,
                "keys": done.keys,
                "emailed": done.emailed,
            }))
        }
        ReportingEvent::Scheduled(ScheduledJob::QuarterlyReport) => {
            let ((year, quarter), to) = jobs.quarterly.send(london_date(now)).await?;
            tracing::info!(
                year,
                quarter,
                recipients = to.len(),
                "quarterly summary emailed"
            );
            Ok(serde_json::json!({
                "job": "quarterly_report",
                "year": year,
                "quarter": quarter,
                "emailed": to,
            }))
        }
        ReportingEvent::Scheduled(ScheduledJob::Retention { years }) => {
            let years = years.unwrap_or(jobs.retention.years);
            let report = jobs.retention.run(years, now).await?;
            Ok(serde_json::json!({
                "job": "retention",
                "years": report.years,
                "examined": report.examined,
                "anonymised": report.anonymised,
            }))
        }
    }
}
