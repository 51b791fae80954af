//! The retention rule ([`p3_domain::retention`]) on AWS: run once a day by a schedule of the
//! reporting function (`{"job":"retention","years":N}`, see `infra/template.yaml`), over the
//! DynamoDB store's [`RetentionStore`](p3_domain::retention::RetentionStore). As `p3 serve`
//! does every day: the cases closed more than `years` years ago lose their personal data, each
//! all or nothing. Logs and the job's answer carry references and counts only.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use p3_domain::attachment::AttachmentStore;

use crate::s3_attachments::S3AttachmentStore;
use p3_domain::retention::{self, RetentionReport};
use p3_domain::service::{Service, ServiceError};

use crate::dynamo::DynamoStore;

/// The retention periods a run accepts, in years (as `p3 check` accepts `[retention] years`).
pub const YEARS: std::ops::RangeInclusive<u32> = 1..=100;

/// Why a retention run did not run or stopped (the schedule retries it the next day; a
/// failed invocation is reported to the alarm topic).
#[derive(Debug, thiserror::Error)]
pub enum RetentionError {
    /// The schedule asked for a period outside [`YEARS`].
    #[error("retention years must be from 1 to 100, not {0}")]
    Years(u32),
    /// The store failed; the cases done so far stay done.
    #[error("retention run failed: {0}")]
    Run(#[from] ServiceError),
    /// A case was anonymised but its files could not be deleted from the bucket.
    #[error("retention: cannot delete the attachments of {0}: {1}")]
    Files(String, p3_domain::ports::StoreError),
}

/// The daily job: the service (which loads cases and knows the rules) and the store it
/// rewrites.
#[derive(Clone)]
pub struct RetentionJob {
    /// The configured retention period in years (`[retention] years` of the configuration
    /// file), applied when the schedule's event names none.
    pub years: u32,
    /// The service over the table.
    pub service: Service,
    /// The same table, as the retention port.
    pub store: Arc<DynamoStore>,
    /// The cases' files (the attachments bucket, when the function has one): an anonymised
    /// case's go with it.
    pub attachments: Option<S3AttachmentStore>,
}

impl std::fmt::Debug for RetentionJob {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RetentionJob")
            .field("store", &self.store)
            .finish_non_exhaustive()
    }
}

impl RetentionJob {
    /// Deletes the files of every case in the bucket that is no longer in the table or has
    /// been anonymised: those left by a run stopped between a case and its files.
    async fn sweep(&self, files: &S3AttachmentStore) -> Result<(), RetentionError> {
        for reference in files
            .references()
            .await
            .map_err(|e| RetentionError::Files(String::new(), e))?
        {
            let gone = match self.service.store.load(&reference).await {
                Ok(None) => true,
                Ok(Some(case)) => retention::is_anonymised(&case),
                Err(e) => return Err(RetentionError::Run(e.into())),
            };
            if gone {
                files
                    .delete_case(&reference)
                    .await
                    .map_err(|e| RetentionError::Files(reference.clone(), e))?;
            }
        }
        Ok(())
    }

    /// Anonymises every case due on `now`'s London date with a period of `years` years.
    pub async fn run(
        &self,
        years: u32,
        now: DateTime<Utc>,
    ) -> Result<RetentionReport, RetentionError> {
        if !YEARS.contains(&years) {
            return Err(RetentionError::Years(years));
        }
        let report = retention::run(&self.service, self.store.as_ref(), years, now, false).await?;
        // Each case is anonymised first, then its files deleted; a failure fails the run, so
        // the invocation is retried and reported, and the sweep deletes what a run stopped in
        // between left behind.
        if let Some(files) = &self.attachments {
            for reference in &report.anonymised {
                files
                    .delete_case(reference)
                    .await
                    .map_err(|e| RetentionError::Files(reference.clone(), e))?;
            }
            self.sweep(files).await?;
        }
        tracing::info!(
            years,
            examined = report.examined,
            anonymised = report.anonymised.len(),
            "retention run done"
        );
        Ok(report)
    }
}
