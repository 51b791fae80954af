//! The deadline consumer: each SQS message is one fired [`Notice`]: a deadline alert or a
//! letter's email ([`Notice::Letter`]: one copy of a letter to the resident or their
//! representative), either as a schedule's input or sent straight to the queue because it was
//! already due when its case was written (a letter always is); or the hourly job
//! `{"job":"reconcile_alerts"}` (a recurring schedule in the template) that repairs the
//! schedules of cases whose sync failed after they were saved, and queues again the letters
//! not yet emailed of the cases it looks at (open cases with a deadline within its horizon,
//! and cases that may have closed lately with a letter of the last week: a closed case's final
//! letter is queued again each hour until it goes). The domain re-reads the case and sends only
//! what is still owed, once (by the notice's id); this module only maps outcomes to the batch
//! response.
//!
//! A message is reported as a batch item failure, so SQS delivers it again after its
//! visibility timeout (and, after the queue's `maxReceiveCount`, moves it to the dead-letter
//! queue, which raises an alarm), when:
//! - its body is neither an alert, a letter delivery nor a job (a poison message: it retries,
//!   then lands in the DLQ for a look);
//! - the service failed (store or SES unavailable: try again later; a letter is never recorded
//!   as sent until SES took it, and once it has waited
//!   [`LETTER_FLAG_AFTER_MINUTES`](p3_domain::service::LETTER_FLAG_AFTER_MINUTES) the complaints
//!   team is told once), or a reconciliation pass left cases it could not repair;
//! - the alert fired early (`Skip::Early`: a clock skew of seconds, as schedules have no
//!   flexible window). Retrying after the visibility timeout is simpler than re-queueing with
//!   a delay, and the early margin is far below the timeout, so it is sent on the next delivery.
//!
//! Every other outcome is done: sent, already sent, superseded, no such case, and no longer
//! planned, which for a letter means the case has no such letter or that copy does not go by
//! email (so a stray letter message is dropped, never retried for ever).
//! One bad message never fails the others: the good ones are deleted from the queue.

use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent, SqsMessage};
use p3_domain::alert::{Notice, Skip};
use p3_domain::service::{FireOutcome, Reconciled, Service};
use serde::Deserialize;

/// What became of one message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Delivery {
    /// An alert or letter handled for good: delete it from the queue.
    Done(FireOutcome),
    /// A reconciliation pass that repaired every case it looked at.
    Reconciled(Reconciled),
    /// Deliver it again later; the reason is logged.
    Retry(String),
}

/// A job the deadline queue carries besides alerts and letters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Job {
    /// [`Service::reconcile_alerts`].
    ReconcileAlerts,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum Message {
    Job { job: Job },
    Alert(Notice),
}

/// Handles one message.
pub async fn handle_message(service: &Service, message: &SqsMessage) -> Delivery {
    let Some(body) = message.body.as_deref() else {
        return Delivery::Retry("the message has no body".into());
    };
    let alert = match serde_json::from_str(body) {
        Ok(Message::Alert(a)) => a,
        Ok(Message::Job {
            job: Job::ReconcileAlerts,
        }) => return reconcile(service).await,
        Err(e) => {
            return Delivery::Retry(format!(
                "the message is neither an alert, a letter nor a job: {e}"
            ))
        }
    };
    match service.fire(&alert).await {
        Ok(FireOutcome::Skipped(Skip::Early)) => {
            Delivery::Retry(format!("alert {} fired before its moment", alert.id()))
        }
        Ok(outcome) => {
            tracing::info!(reference = %alert.reference(), alert = %alert.id(), outcome = ?outcome, "alert handled");
            Delivery::Done(outcome)
        }
        Err(e) => Delivery::Retry(format!("alert {}: {e}", alert.id())),
    }
}

async fn reconcile(service: &Service) -> Delivery {
    match service.reconcile_alerts().await {
        Ok(done) if done.failed.is_empty() => {
            tracing::info!(cases = done.cases, "alert schedules reconciled");
            Delivery::Reconciled(done)
        }
        Ok(done) => Delivery::Retry(format!(
            "alert reconciliation: {} cases repaired, {} failed",
            done.cases,
            done.failed.len()
        )),
        Err(e) => Delivery::Retry(format!("alert reconciliation: {e}")),
    }
}

/// Handles a batch: every message is tried; the ones to deliver again are reported by id.
pub async fn handle_batch(service: &Service, event: SqsEvent) -> SqsBatchResponse {
    let mut response = SqsBatchResponse::default();
    for message in &event.records {
        let id = message.message_id.clone().unwrap_or_default();
        if let Delivery::Retry(why) = handle_message(service, message).await {
            tracing::warn!(message_id = %id, reason = %why, "deadline message will be retried");
            response.add_failure(id);
        }
    }
    response
}
