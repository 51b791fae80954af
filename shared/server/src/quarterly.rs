//! The quarterly summary's email on the local host: after each quarter of the financial year
//! (once its last month's export is due, 06:00 London on the 1st), the summary of the quarter
//! just ended goes through the mailer (outbox or SMTP) to `[reports] quarterly_recipients`, the
//! Member Responsible for Complaints and the governing body (Code 9.6-9.8). It is recorded as a
//! sent alert, so it goes once; a failed send is tried again with the export loop.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use p3_domain::case::Rules;
use p3_domain::ports::{CaseStore, Notifier, ReportSource};
use p3_domain::quarterly;
use p3_reports::{cycle, ReportSettings};

/// Who the summary goes to and through what.
#[derive(Clone)]
pub struct QuarterlyMail {
    /// Records the email as sent (the alerts' record).
    pub store: Arc<dyn CaseStore>,
    /// The mailer.
    pub notifier: Arc<dyn Notifier>,
    /// `[reports] quarterly_recipients`.
    pub recipients: Vec<String>,
    /// The staff pages' base URL, for the link to the full summary.
    pub base_url: String,
}

impl QuarterlyMail {
    /// Sends the summary of the quarter that ended before `now` (London) unless it was sent;
    /// the quarter sent, if any.
    pub async fn send_if_due(
        &self,
        source: &dyn ReportSource,
        rules: &Rules,
        settings: &ReportSettings,
        now: DateTime<Utc>,
    ) -> anyhow::Result<Option<(i32, u8)>> {
        if self.recipients.is_empty() {
            return Ok(None);
        }
        // The quarter whose last month the export loop has reached (from 06:00 on the 1st).
        let due = crate::reports::due_month(now);
        let (year, quarter) = quarterly::quarter_before(due.next().first_day());
        let id = cycle::quarterly_alert_id(year, quarter);
        if self.store.alert_sent(&id).await? {
            return Ok(None);
        }
        let report =
            p3_reports::quarterly_report(source, year, quarter, rules, &settings.homes).await?;
        let email = cycle::quarterly_email(
            &settings.landlord,
            &report,
            &self.recipients,
            &self.base_url,
        );
        self.notifier
            .send(&email)
            .await
            .map_err(|e| anyhow::anyhow!("the quarterly summary was not sent: {e}"))?;
        self.store.mark_alert_sent(&id, now).await?;
        Ok(Some((year, quarter)))
    }
}
