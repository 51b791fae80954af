//! The monthly export on AWS: the month's report in its four formats (JSON, CSV, Excel, HTML,
//! the same bytes as everywhere else, from [`p3_reports::export_month`]) written to the export
//! bucket under `exports/YYYY-MM/`, then one summary email to the managers (the Head of Tenant
//! Services and the complaints team) with a few headline figures and where the files are.

use std::sync::Arc;

use aws_sdk_s3::primitives::ByteStream;
use p3_domain::alert::AlertEmail;
use p3_domain::case::Rules;
use p3_domain::london::Month;
use p3_domain::ports::{Notifier, ReportSource};
use p3_reports::{Format, Rendered, ReportSettings};
use serde_json::Value;

/// Why a monthly export failed (the schedule retries it).
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    /// The report could not be produced.
    #[error(transparent)]
    Report(#[from] p3_reports::ReportError),
    /// S3 refused a file.
    #[error("S3 PutObject {key}: {reason}")]
    Upload {
        /// The object key.
        key: String,
        /// What S3 said.
        reason: String,
    },
    /// SES refused the summary email.
    #[error("the summary email was not sent: {0}")]
    Email(String),
}

/// What a monthly export wrote and sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportDone {
    /// The month exported.
    pub month: Month,
    /// The bucket.
    pub bucket: String,
    /// The object keys written, in export order (JSON, CSV, Excel, HTML).
    pub keys: Vec<String>,
    /// Who the summary went to.
    pub emailed: Vec<String>,
}

/// Everything the monthly export needs; built once, outside the handler.
#[derive(Clone)]
pub struct MonthlyExporter {
    /// Reads a month's records.
    pub source: Arc<dyn ReportSource>,
    /// Procedures and calendar.
    pub rules: Arc<Rules>,
    /// Landlord's name and homes.
    pub settings: ReportSettings,
    /// The export bucket's client.
    pub s3: aws_sdk_s3::Client,
    /// The export bucket (private).
    pub bucket: String,
    /// Where the summary email goes through (SES).
    pub notifier: Arc<dyn Notifier>,
    /// The summary's recipients.
    pub recipients: Vec<String>,
    /// The AWS region, for the console link in the email.
    pub region: Option<String>,
}

impl std::fmt::Debug for MonthlyExporter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MonthlyExporter")
            .field("bucket", &self.bucket)
            .field("recipients", &self.recipients)
            .finish_non_exhaustive()
    }
}

/// The folder of a month's export in the bucket: `exports/YYYY-MM/`.
pub fn export_prefix(month: Month) -> String {
    format!("exports/{month}/")
}

impl MonthlyExporter {
    /// Produces `month`'s export, writes its four files to `exports/YYYY-MM/` and emails the
    /// summary. Run again (a retried schedule), it writes the same files again (the bucket
    /// keeps versions) and sends the summary again.
    pub async fn export(&self, month: Month) -> Result<ExportDone, ExportError> {
        let files =
            p3_reports::export_month(self.source.as_ref(), month, &self.rules, &self.settings)
                .await?;
        let prefix = export_prefix(month);
        let mut keys = Vec::with_capacity(files.len());
        for file in &files {
            let key = format!("{prefix}{}", file.file_name);
            self.s3
                .put_object()
                .bucket(&self.bucket)
                .key(&key)
                .content_type(file.content_type)
                .body(ByteStream::from(file.bytes.clone()))
                .send()
                .await
                .map_err(|e| ExportError::Upload {
                    key: key.clone(),
                    reason: aws_sdk_s3::error::DisplayErrorContext(e).to_string(),
                })?;
            keys.push(key);
        }
        let email = self.summary(month, &files);
        if !email.to.is_empty() {
            self.notifier
                .send(&email)
                .await
                .map_err(|e| ExportError::Email(e.to_string()))?;
        }
        Ok(ExportDone {
            month,
            bucket: self.bucket.clone(),
            keys,
            emailed: email.to,
        })
    }

    /// The summary email of a month's export.
    pub fn summary(&self, month: Month, files: &[Rendered]) -> AlertEmail {
        let figures: Value = files
            .iter()
            .find(|f| f.file_name == p3_reports::monthly_file_name(month, Format::Json))
            .and_then(|f| serde_json::from_slice(&f.bytes).ok())
            .unwrap_or(Value::Null);
        let prefix = export_prefix(month);
        let mut body = summary_text(&self.settings.landlord, month, &figures);
        body.push_str(&format!(
            "\nThe files (JSON, CSV, Excel, printable HTML) are in the export bucket:\n  s3://{}/{prefix}\n",
            self.bucket
        ));
        for f in files {
            body.push_str(&format!("  - {}\n", f.file_name));
        }
        if let Some(region) = &self.region {
            body.push_str(&format!(
                "\nOpen them in the AWS console (sign in first):\n  https://{region}.console.aws.amazon.com/s3/buckets/{}?prefix={prefix}\n",
                self.bucket
            ));
        }
        let mut to: Vec<String> = Vec::new();
        for r in &self.recipients {
            if !r.trim().is_empty() && !to.iter().any(|t| t.eq_ignore_ascii_case(r)) {
                to.push(r.trim().to_string());
            }
        }
        AlertEmail {
            alert_id: format!("monthly-report-{month}"),
            to,
            subject: format!(
                "[{} complaints] Monthly report {month}",
                self.settings.landlord
            ),
            body,
            ..AlertEmail::default()
        }
    }
}

fn count(v: &Value, stage: &str, key: &str) -> u64 {
    v[stage][key].as_u64().unwrap_or(0)
}

fn pct(v: &Value) -> String {
    v.as_f64()
        .map(|p| format!("{p:.1}%"))
        .unwrap_or_else(|| "n/a (nothing responded to)".to_string())
}

/// The headline figures of a month, as plain text.
pub fn summary_text(landlord: &str, month: Month, figures: &Value) -> String {
    let responded_within = |stage: &str| -> String {
        let responded = count(figures, stage, "responded");
        if responded == 0 {
            return "n/a (nothing responded to)".to_string();
        }
        let within = count(figures, stage, "responded_within_code");
        format!(
            "{within} of {responded} ({:.1}%)",
            within as f64 * 100.0 / responded as f64
        )
    };
    format!(
        "{landlord}: complaint figures for {month}\n\n\
         Stage 1 complaints received: {}\n\
         Stage 2 requests received: {}\n\
         Stage 1 responses within the Code: {} (TSM CH02: {})\n\
         Stage 2 responses within the Code: {} (TSM CH02: {})\n\
         Open at month end: {} at Stage 1, {} at Stage 2\n\
         Open and overdue at month end: {} at Stage 1, {} at Stage 2\n",
        count(figures, "stage1", "received"),
        count(figures, "stage2", "received"),
        responded_within("stage1"),
        pct(&figures["tsm"]["ch02_stage1_within_code_pct"]),
        responded_within("stage2"),
        pct(&figures["tsm"]["ch02_stage2_within_code_pct"]),
        count(figures, "stage1", "open_at_month_end"),
        count(figures, "stage2", "open_at_month_end"),
        count(figures, "stage1", "open_overdue"),
        count(figures, "stage2", "open_overdue"),
    )
}

/// The quarterly summary on AWS: the schedule after each quarter of the financial year (the
/// 1st of January, April, July and October, 06:30 London) emails the summary of the quarter
/// just ended through SES to `[reports] quarterly_recipients` (the Member Responsible for
/// Complaints and the governing body, Code 9.6-9.8): the same text as the local host's.
#[derive(Clone)]
pub struct QuarterlySender {
    /// Reads a month's records.
    pub source: Arc<dyn ReportSource>,
    /// Procedures and calendar.
    pub rules: Arc<Rules>,
    /// Landlord's name and homes.
    pub settings: ReportSettings,
    /// SES.
    pub notifier: Arc<dyn Notifier>,
    /// `[reports] quarterly_recipients`.
    pub recipients: Vec<String>,
    /// The staff pages' base URL, for the link to the full summary.
    pub base_url: String,
}

impl std::fmt::Debug for QuarterlySender {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("QuarterlySender")
            .field("recipients", &self.recipients)
            .finish_non_exhaustive()
    }
}

impl QuarterlySender {
    /// Emails the summary of the quarter that ended before the London date `today`; the
    /// quarter and who it went to (nobody when no recipient is configured).
    pub async fn send(
        &self,
        today: chrono::NaiveDate,
    ) -> Result<((i32, u8), Vec<String>), ExportError> {
        let (year, quarter) = p3_domain::quarterly::quarter_before(today);
        let report = p3_reports::quarterly_report(
            self.source.as_ref(),
            year,
            quarter,
            &self.rules,
            &self.settings.homes,
        )
        .await?;
        let email = p3_reports::cycle::quarterly_email(
            &self.settings.landlord,
            &report,
            &self.recipients,
            &self.base_url,
        );
        if !email.to.is_empty() {
            self.notifier
                .send(&email)
                .await
                .map_err(|e| ExportError::Email(e.to_string()))?;
        }
        Ok(((year, quarter), email.to))
    }
}
