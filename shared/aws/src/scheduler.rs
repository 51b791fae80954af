//! Notice timers on EventBridge Scheduler: one one-time schedule per [`Notice`] (a deadline
//! alert, or a letter's email to a resident or their representative), named after its id so
//! that re-creating it is harmless, firing into the deadline queue with the notice as the
//! message. A notice already due (every letter is, from the moment it is issued) is sent
//! straight to the queue instead. The consumer re-reads the case before sending, so a stale
//! schedule sends nothing; schedules are still deleted when their notice leaves the plan, to
//! keep the group tidy.

use std::collections::{BTreeSet, HashSet};
use std::sync::Arc;

use async_trait::async_trait;
use aws_sdk_scheduler::error::DisplayErrorContext;
use aws_sdk_scheduler::types::{
    ActionAfterCompletion, DeadLetterConfig, FlexibleTimeWindow, FlexibleTimeWindowMode,
    RetryPolicy, Target,
};
use aws_sdk_sqs::types::SendMessageBatchRequestEntry;
use chrono::{DateTime, Utc};
use chrono_tz::Europe::London;
use p3_domain::alert::{Notice, Timer};
use p3_domain::ports::{AlertScheduler, Clock, StoreError};

/// The time zone schedules are written in: alerts go out at 09:00 London time, summer or winter.
pub const SCHEDULE_TIME_ZONE: &str = "Europe/London";

/// A timer due this soon (or already due) is sent straight to the queue instead of scheduled:
/// a one-time schedule in the past would never fire.
pub const SEND_NOW_WITHIN_SECONDS: i64 = 60;

/// How many times the scheduler retries delivery to the queue before giving up to the DLQ.
pub const TARGET_RETRY_ATTEMPTS: i32 = 10;

/// How long the scheduler keeps trying to deliver one event (a day: alerts are daily).
pub const TARGET_MAX_EVENT_AGE_SECONDS: i32 = 24 * 60 * 60;

const MAX_NAME: usize = 64;

/// The most messages one SQS SendMessageBatch takes.
const SEND_BATCH: usize = 10;

/// Where schedules live and where they deliver.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScheduleTarget {
    /// The service's schedule group.
    pub group: String,
    /// The deadline queue's ARN (the schedules' target).
    pub queue_arn: String,
    /// The deadline queue's URL (for alerts sent at once).
    pub queue_url: String,
    /// The role EventBridge Scheduler assumes to send to the queue.
    pub role_arn: String,
    /// Where the scheduler puts events it could not deliver.
    pub dead_letter_arn: String,
}

/// The [`AlertScheduler`] on EventBridge Scheduler and SQS.
#[derive(Clone)]
pub struct EventBridgeScheduler {
    scheduler: aws_sdk_scheduler::Client,
    sqs: aws_sdk_sqs::Client,
    clock: Arc<dyn Clock>,
    target: ScheduleTarget,
}

impl std::fmt::Debug for EventBridgeScheduler {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EventBridgeScheduler")
            .field("target", &self.target)
            .finish()
    }
}

/// The schedule name of a notice: its id (an alert's case, deadline, due date and kind; a
/// letter's case, number and copy), which is already made of the characters a name allows;
/// stable, so a re-created schedule is a conflict, not a second email. An over-long name keeps
/// its case prefix and ends in a hash of the rest.
pub fn schedule_name(alert: &Notice) -> String {
    bounded_name(&sanitise(&alert.id()))
}

/// The prefix every schedule name of a case starts with (for `ListSchedules`).
pub fn case_prefix(reference: &str) -> String {
    format!("{}.", sanitise(reference))
}

/// The `at(...)` expression of an instant, in London wall time (to pair with
/// [`SCHEDULE_TIME_ZONE`]).
pub fn at_expression(instant: DateTime<Utc>) -> String {
    format!(
        "at({})",
        instant.with_timezone(&London).format("%Y-%m-%dT%H:%M:%S")
    )
}

fn sanitise(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '-'
            }
        })
        .collect()
}

fn bounded_name(name: &str) -> String {
    if name.len() <= MAX_NAME {
        return name.to_string();
    }
    // FNV-1a: stable across builds and platforms, unlike std's hasher.
    let hash = name.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    });
    let suffix = format!("-{hash:016x}");
    format!("{}{suffix}", &name[..MAX_NAME - suffix.len()])
}

fn unavailable(what: &str, e: impl std::error::Error) -> StoreError {
    StoreError::Unavailable(format!("{what}: {}", DisplayErrorContext(e)))
}

impl EventBridgeScheduler {
    /// A scheduler over these clients, delivering to `target`.
    pub fn new(
        scheduler: aws_sdk_scheduler::Client,
        sqs: aws_sdk_sqs::Client,
        clock: Arc<dyn Clock>,
        target: ScheduleTarget,
    ) -> EventBridgeScheduler {
        EventBridgeScheduler {
            scheduler,
            sqs,
            clock,
            target,
        }
    }

    /// Names of every schedule in the group, a page (up to 100) a call.
    pub async fn all_names(&self) -> Result<BTreeSet<String>, StoreError> {
        self.names(None).await
    }

    /// Names of the schedules in the group, those starting with `prefix` if given.
    async fn names(&self, prefix: Option<String>) -> Result<BTreeSet<String>, StoreError> {
        let mut names = BTreeSet::new();
        let mut token: Option<String> = None;
        loop {
            let page = self
                .scheduler
                .list_schedules()
                .group_name(&self.target.group)
                .set_name_prefix(prefix.clone())
                .max_results(100)
                .set_next_token(token.take())
                .send()
                .await
                .map_err(|e| unavailable("listing schedules", e))?;
            names.extend(
                page.schedules()
                    .iter()
                    .filter_map(|s| s.name().map(str::to_string)),
            );
            match page.next_token() {
                Some(t) if !t.is_empty() => token = Some(t.to_string()),
                _ => break,
            }
        }
        Ok(names)
    }

    /// Makes a case's schedules match `timers`, given the names of those that exist for it:
    /// deletes the ones no longer planned, creates the missing ones, and sends the due ones
    /// straight to the queue.
    async fn apply(
        &self,
        reference: &str,
        timers: &[Timer],
        existing: HashSet<String>,
    ) -> Result<(), StoreError> {
        let now = self.clock.now();
        let soon = now + chrono::Duration::seconds(SEND_NOW_WITHIN_SECONDS);
        let (due, later): (Vec<&Timer>, Vec<&Timer>) =
            timers.iter().partition(|t| t.fire_at <= soon);
        let wanted: HashSet<String> = later.iter().map(|t| schedule_name(&t.alert)).collect();

        let mut jobs = tokio::task::JoinSet::new();
        for name in existing.difference(&wanted) {
            let (me, name) = (self.clone(), name.clone());
            jobs.spawn(async move { me.delete(&name).await });
        }
        for timer in later {
            if !existing.contains(&schedule_name(&timer.alert)) {
                let (me, timer) = (self.clone(), timer.clone());
                jobs.spawn(async move { me.create(&timer).await });
            }
        }
        // Sending an already-due alert again on a later write is harmless: the consumer sends
        // each alert once, by its id.
        let due: Vec<Timer> = due.into_iter().cloned().collect();
        for batch in due.chunks(SEND_BATCH) {
            let (me, batch) = (self.clone(), batch.to_vec());
            jobs.spawn(async move { me.send_now(&batch, now).await });
        }
        let mut first_error = None;
        while let Some(done) = jobs.join_next().await {
            let result = done.unwrap_or_else(|e| Err(StoreError::Unavailable(e.to_string())));
            if let Err(e) = result {
                tracing::warn!(reference, error = %e, "schedule sync step failed");
                first_error.get_or_insert(e);
            }
        }
        first_error.map_or(Ok(()), Err)
    }

    /// Names of the schedules that exist for a case in the group.
    pub async fn existing(&self, reference: &str) -> Result<HashSet<String>, StoreError> {
        Ok(self
            .names(Some(case_prefix(reference)))
            .await?
            .into_iter()
            .collect())
    }

    async fn create(&self, timer: &Timer) -> Result<(), StoreError> {
        let input = serde_json::to_string(&timer.alert)
            .map_err(|e| StoreError::Corrupt(format!("alert: {e}")))?;
        let target = Target::builder()
            .arn(&self.target.queue_arn)
            .role_arn(&self.target.role_arn)
            .input(input)
            .retry_policy(
                RetryPolicy::builder()
                    .maximum_retry_attempts(TARGET_RETRY_ATTEMPTS)
                    .maximum_event_age_in_seconds(TARGET_MAX_EVENT_AGE_SECONDS)
                    .build(),
            )
            .dead_letter_config(
                DeadLetterConfig::builder()
                    .arn(&self.target.dead_letter_arn)
                    .build(),
            )
            .build()
            .map_err(|e| StoreError::Corrupt(format!("schedule target: {e}")))?;
        let window = FlexibleTimeWindow::builder()
            .mode(FlexibleTimeWindowMode::Off)
            .build()
            .map_err(|e| StoreError::Corrupt(format!("schedule window: {e}")))?;
        let result = self
            .scheduler
            .create_schedule()
            .name(schedule_name(&timer.alert))
            .group_name(&self.target.group)
            .schedule_expression(at_expression(timer.fire_at))
            .schedule_expression_timezone(SCHEDULE_TIME_ZONE)
            .flexible_time_window(window)
            .action_after_completion(ActionAfterCompletion::Delete)
            .target(target)
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            // The name is the alert's identity: an existing schedule is this same alert.
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_conflict_exception()) =>
            {
                Ok(())
            }
            Err(e) => Err(unavailable("creating a schedule", e)),
        }
    }

    async fn delete(&self, name: &str) -> Result<(), StoreError> {
        match self
            .scheduler
            .delete_schedule()
            .name(name)
            .group_name(&self.target.group)
            .send()
            .await
        {
            Ok(_) => Ok(()),
            // Already gone: it fired (and deleted itself) or another writer removed it.
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_resource_not_found_exception()) =>
            {
                Ok(())
            }
            Err(e) => Err(unavailable("deleting a schedule", e)),
        }
    }

    /// Sends alerts that are already due straight to the queue, each delayed to its moment
    /// when that is a few seconds away: up to [`SEND_BATCH`] in one request (SQS bills a
    /// batch of small messages as one request, and a write often has several letters due).
    async fn send_now(&self, timers: &[Timer], now: DateTime<Utc>) -> Result<(), StoreError> {
        let mut entries = Vec::with_capacity(timers.len());
        for (i, timer) in timers.iter().enumerate() {
            let body = serde_json::to_string(&timer.alert)
                .map_err(|e| StoreError::Corrupt(format!("alert: {e}")))?;
            let delay = (timer.fire_at - now).num_seconds().clamp(0, 900) as i32;
            entries.push(
                SendMessageBatchRequestEntry::builder()
                    .id(i.to_string())
                    .message_body(body)
                    .delay_seconds(delay)
                    .build()
                    .map_err(|e| StoreError::Corrupt(format!("a queue message: {e}")))?,
            );
        }
        let out = self
            .sqs
            .send_message_batch()
            .queue_url(&self.target.queue_url)
            .set_entries(Some(entries))
            .send()
            .await
            .map_err(|e| unavailable("sending due alerts to the queue", e))?;
        match out.failed().first() {
            None => Ok(()),
            Some(failed) => Err(StoreError::Unavailable(format!(
                "sending due alerts to the queue: {} of {} refused ({}: {})",
                out.failed().len(),
                timers.len(),
                failed.code(),
                failed.message().unwrap_or_default()
            ))),
        }
    }
}

#[async_trait]
impl AlertScheduler for EventBridgeScheduler {
    async fn sync(&self, reference: &str, timers: &[Timer]) -> Result<(), StoreError> {
        let existing = self.existing(reference).await?;
        self.apply(reference, timers, existing).await
    }

    /// Lists the whole group once and takes each case's schedules from that listing: a pass
    /// over thousands of cases makes a call per hundred schedules, and one only for each
    /// schedule missing or no longer planned, instead of a listing per case.
    async fn sync_all(&self, cases: &[(String, Vec<Timer>)]) -> Vec<(String, StoreError)> {
        let all = match self.all_names().await {
            Ok(all) => all,
            Err(e) => return cases.iter().map(|(r, _)| (r.clone(), e.clone())).collect(),
        };
        let mut failed = Vec::new();
        for (reference, timers) in cases {
            if let Err(e) = self
                .apply(reference, timers, of_case(&all, reference))
                .await
            {
                failed.push((reference.clone(), e));
            }
        }
        failed
    }
}

/// The names among `all` that are a case's schedules (they start with its [`case_prefix`]).
pub fn of_case(all: &BTreeSet<String>, reference: &str) -> HashSet<String> {
    let prefix = case_prefix(reference);
    all.range(prefix.clone()..)
        .take_while(|name| name.starts_with(&prefix))
        .cloned()
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{NaiveDate, TimeZone};
    use p3_domain::alert::AlertKind;
    use p3_domain::deadline::{DeadlineKind, DeadlineStep};

    fn alert(reference: &str, kind: AlertKind) -> p3_domain::alert::Alert {
        p3_domain::alert::Alert {
            reference: reference.into(),
            deadline: DeadlineKind::new(1, DeadlineStep::Acknowledgement),
            due: NaiveDate::from_ymd_opt(2026, 6, 9).unwrap(),
            kind,
            at: Utc.with_ymd_and_hms(2026, 6, 5, 8, 0, 0).unwrap(),
        }
    }

    #[test]
    fn a_schedule_is_named_after_its_alert_within_the_limits_of_a_name() {
        let name = schedule_name(&alert("CMP-2026-00042", AlertKind::DueToday).into());
        assert_eq!(
            name,
            "CMP-2026-00042.stage1_acknowledgement.20260609.due_today"
        );
        assert!(name.starts_with(&case_prefix("CMP-2026-00042")));
        assert!(name.len() <= 64);
    }

    #[test]
    fn one_listing_of_the_group_is_split_into_each_case_s_schedules() {
        let name = |reference: &str, kind| schedule_name(&alert(reference, kind).into());
        let long = "CMP-2026-0000000000000000000042";
        let all: BTreeSet<String> = [
            name("CMP-2026-00001", AlertKind::Reminder),
            name("CMP-2026-00001", AlertKind::Breach),
            // A reference that starts with another's is not that case's.
            name("CMP-2026-000010", AlertKind::Reminder),
            name("CMP-2026-00002", AlertKind::DueToday),
            name(long, AlertKind::Breach),
        ]
        .into_iter()
        .collect();
        let expect = |names: &[String]| names.iter().cloned().collect::<HashSet<String>>();
        assert_eq!(
            of_case(&all, "CMP-2026-00001"),
            expect(&[
                name("CMP-2026-00001", AlertKind::Reminder),
                name("CMP-2026-00001", AlertKind::Breach)
            ])
        );
        assert_eq!(
            of_case(&all, "CMP-2026-000010"),
            expect(&[name("CMP-2026-000010", AlertKind::Reminder)])
        );
        assert_eq!(
            of_case(&all, long),
            expect(&[name(long, AlertKind::Breach)])
        );
        assert!(of_case(&all, "CMP-2026-00003").is_empty());
    }

    #[test]
    fn a_letter_delivery_is_named_after_its_case_letter_and_copy() {
        let letter = Notice::Letter(p3_domain::alert::LetterDelivery {
            reference: "CMP-2026-00042".into(),
            letter: 2,
            copy: 1,
        });
        assert_eq!(schedule_name(&letter), "CMP-2026-00042.letter2.copy2");
    }

    #[test]
    fn an_over_long_name_keeps_its_case_prefix_and_stays_distinct() {
        let long = "CMP-2026-0000000000000000000042";
        let a = schedule_name(&alert(long, AlertKind::Reminder).into());
        let b = schedule_name(&alert(long, AlertKind::Breach).into());
        assert_eq!(a.len(), 64);
        assert!(a.starts_with(&case_prefix(long)));
        assert_ne!(a, b);
    }

    #[test]
    fn summer_alerts_are_written_in_london_wall_time() {
        // 08:00 UTC in June is 09:00 British Summer Time.
        let at = Utc.with_ymd_and_hms(2026, 6, 5, 8, 0, 0).unwrap();
        assert_eq!(at_expression(at), "at(2026-06-05T09:00:00)");
        let winter = Utc.with_ymd_and_hms(2026, 12, 1, 9, 0, 0).unwrap();
        assert_eq!(at_expression(winter), "at(2026-12-01T09:00:00)");
    }
}
