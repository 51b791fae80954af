//! The complaints service: the one sequence every entry point runs (local server, Lambda
//! functions, CLI). Load, decide with the domain, save all-or-nothing with the case's timers
//! and idempotency record, then tell the scheduler; and, when a timer fires, decide whether
//! its alert still goes out and send it once.

use std::sync::Arc;

use chrono::{DateTime, Datelike, Utc};

use crate::access;
use crate::alert::{self, Alert, AlertAddresses, AlertEmail, LetterDelivery, Notice, Skip};
use crate::backdating;
use crate::case::{check_at, Actor, Case, CaseStatus, Command, CommandError, NewCase, Rules};
use crate::deadline::{self, DeadlineStep};
use crate::event::EventRecord;
use crate::london::london_date;
use crate::ports::{
    AlertScheduler, CaseIndex, CaseQuery, CaseStore, CaseWrite, Clock, IdempotencyRecord, Notifier,
    NotifyError, Random, StoreError, StoredReply,
};
use crate::resident_asks::{open_with_asks, ResidentAsks};
use crate::role::{self, Caller};
use crate::service_request::ServiceRequest;

/// What the service needs from its host besides the ports.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The landlord's name, shown in emails.
    pub landlord: String,
    /// Configured categories.
    pub categories: Vec<String>,
    /// Alert recipients.
    pub addresses: AlertAddresses,
    /// Base URL of the staff pages, for links in alerts.
    pub base_url: String,
}

impl Settings {
    /// The staff page of a case, which an alert links to: where its reader acts on it.
    pub fn case_page(&self, reference: &str) -> String {
        format!(
            "{}/staff/cases/{reference}",
            self.base_url.trim_end_matches('/')
        )
    }
}

/// Everything the service runs on.
#[derive(Clone)]
pub struct Service {
    /// Cases, service requests, idempotency and sent alerts.
    pub store: Arc<dyn CaseStore>,
    /// Alert timers.
    pub scheduler: Arc<dyn AlertScheduler>,
    /// Email.
    pub notifier: Arc<dyn Notifier>,
    /// Time.
    pub clock: Arc<dyn Clock>,
    /// Secrets.
    pub random: Arc<dyn Random>,
    /// Procedures and calendar.
    pub rules: Arc<Rules>,
    /// Host settings.
    pub settings: Arc<Settings>,
}

/// Why a service call failed, in the terms the edge maps to answers.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// No such case or service request.
    #[error("not found")]
    NotFound,
    /// `If-Match` named a version that is no longer current.
    #[error("the case has changed since version {expected}; it is now at version {actual}")]
    StaleVersion {
        /// The version the caller had.
        expected: u64,
        /// The current version.
        actual: u64,
    },
    /// The domain refused the command.
    #[error(transparent)]
    Command(#[from] CommandError),
    /// The idempotency key was used before for a different request.
    #[error("this Idempotency-Key was already used for a different request")]
    KeyReused,
    /// The store or a dependency is down; try again later.
    #[error("temporarily unavailable: {0}")]
    Unavailable(String),
    /// A fault that trying again will not mend (stored data unreadable, a request the store
    /// refuses): the client is not told to retry.
    #[error("internal failure: {0}")]
    Internal(String),
}

impl From<StoreError> for ServiceError {
    /// Only a store that may answer differently later is `Unavailable`: the caller is told to
    /// try again; data it cannot read or a request it refuses would fail the same way again.
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Corrupt(_) | StoreError::Refused(_) => {
                ServiceError::Internal(e.to_string())
            }
            _ => ServiceError::Unavailable(e.to_string()),
        }
    }
}

/// A client's idempotency key, scoped by the edge to caller and route, and the request's fingerprint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotencyKey {
    /// The scoped key.
    pub key: String,
    /// Hash of the request.
    pub fingerprint: String,
}

/// The answer to a write: the case as saved (absent on a replay) and the reply to send.
#[derive(Debug, Clone)]
pub struct Written {
    /// The case after the change; `None` when the reply is a replay of an earlier request.
    pub case: Option<Case>,
    /// The reply.
    pub reply: StoredReply,
    /// The access code, shown once, for a new case.
    pub access_code: Option<String>,
}

/// What happened to a fired alert.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FireOutcome {
    /// The email went out.
    Sent,
    /// It had gone out before (a duplicate event or timer).
    AlreadySent,
    /// The case no longer exists.
    NoCase,
    /// Not sent, and why.
    Skipped(Skip),
}

const CONFLICT_RETRIES: usize = 5;

/// For how long after a letter is issued its emails are retried, in days. Past that the case
/// page still shows each unsent copy for staff to post.
pub const LETTER_RETRY_DAYS: i64 = 7;

/// How long a letter's email may fail before the complaints team is told, in minutes.
pub const LETTER_FLAG_AFTER_MINUTES: i64 = 60;

/// The email timers of a case's letters issued in the last [`LETTER_RETRY_DAYS`]: one per copy
/// that goes by email, due when the letter was issued (so at once).
pub fn letter_timers(case: &Case, now: DateTime<Utc>) -> Vec<alert::Timer> {
    let since = now - chrono::Duration::days(LETTER_RETRY_DAYS);
    let mut out = Vec::new();
    for l in case.letters.iter().filter(|l| l.issued_at >= since) {
        for (i, a) in l.to.iter().enumerate() {
            if a.delivery == crate::letter::Delivery::Email && a.email.is_some() {
                out.push(alert::Timer {
                    alert: Notice::Letter(LetterDelivery {
                        reference: case.reference.clone(),
                        letter: l.number,
                        copy: i as u16,
                    }),
                    fire_at: l.issued_at.min(now),
                });
            }
        }
    }
    out
}

/// The email of one copy of a letter, as kept in the case's history; `None` when the case has
/// no such letter or that copy does not go by email.
pub fn letter_email(case: &Case, d: &LetterDelivery, landlord: &str) -> Option<AlertEmail> {
    let letter = case.history.iter().find_map(|e| match &e.event {
        crate::event::CaseEvent::LetterIssued { letter } if letter.number == d.letter => {
            Some(letter)
        }
        _ => None,
    })?;
    let copy = letter.to.get(usize::from(d.copy))?;
    if copy.delivery != crate::letter::Delivery::Email {
        return None;
    }
    let to = copy.email.clone()?;
    let note = match copy.role {
        crate::letter::Role::Resident => String::new(),
        crate::letter::Role::Representative => format!(
            "You are receiving this copy because {} authorised {landlord} to send you copies of letters about this complaint.\n\n",
            letter.to.first().and_then(|r| r.name.as_deref()).unwrap_or("the resident")
        ),
    };
    let mut this_copy = letter.clone();
    this_copy.to = vec![copy.clone()];
    Some(AlertEmail {
        alert_id: d.id(),
        to: vec![to],
        subject: letter.subject.clone(),
        body: format!(
            "{note}{}\nDated {}. Our reference: {}.\n",
            letter.text,
            letter.dated.format("%-d %B %Y"),
            case.reference
        ),
        enclosure: Some(Box::new(crate::alert::Enclosure {
            reference: case.reference.clone(),
            letter: this_copy,
        })),
        attachments: Vec::new(),
    })
}

/// Runs `command` on `case` for `caller`: a member of staff's role is checked against the
/// role the command needs on this case as it stands, and their `at` against the backdating
/// limit (see [`crate::role`] and [`crate::backdating`]); then the procedure's rules decide.
/// The reason for going further back is kept on every event the action records.
pub fn execute_as(
    case: &Case,
    command: Command,
    actor: &Actor,
    caller: &Caller,
    rules: &Rules,
) -> Result<(Case, Vec<EventRecord>), CommandError> {
    let Caller::Staff {
        role,
        backdate_reason,
        ..
    } = caller
    else {
        return case.execute(command, actor, rules);
    };
    role::check(case, &command, *role)?;
    check_at(actor, case.history.last().map(|e| e.at))?;
    let reason = backdate_reason.as_deref();
    backdating::check(case, &command, actor, *role, reason, rules)?;
    let (mut next, mut events) = case.execute(command, actor, rules)?;
    backdating::keep_reason(&mut events, reason);
    let from = next.history.len() - events.len();
    backdating::keep_reason(&mut next.history[from..], reason);
    Ok((next, events))
}

/// How far ahead [`Service::reconcile_alerts`] looks for cases to repair, in days: further than
/// any alert comes before its deadline (a reminder two working days before, with a
/// Christmas closure in between), so each alert has several passes to be put right.
pub const RECONCILE_HORIZON_DAYS: i64 = 21;

/// The most cases one reconciliation pass looks at.
pub const RECONCILE_MAX_CASES: usize = 100_000;

/// How far back, beyond [`LETTER_RETRY_DAYS`], [`Service::reconcile_alerts`] looks for closed
/// cases with letters to email, in days: a letter's event may be dated a little before it was
/// issued (a response recorded late, within the backdating limit).
pub const RECONCILE_CLOSED_MARGIN_DAYS: i64 = 14;

/// What a pass of [`Service::reconcile_alerts`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Reconciled {
    /// Cases whose alerts now match their plan.
    pub cases: usize,
    /// Cases whose sync failed again (the next pass tries them again).
    pub failed: Vec<String>,
}

impl Service {
    /// The index fields of a case as of now.
    pub fn index(&self, case: &Case, now: DateTime<Utc>) -> Result<CaseIndex, ServiceError> {
        let policy = self.rules.policy_of(case)?;
        let today = london_date(now);
        let deadlines = deadline::deadlines(case, policy, &self.rules.calendar, today);
        let status = case.status(policy, &self.rules.calendar, today);
        let open_until = match status {
            CaseStatus::Responded => deadlines
                .iter()
                .find(|d| {
                    d.kind.step == DeadlineStep::RequestWindow
                        && d.kind.stage == case.current_stage().number + 1
                })
                .map(|d| d.due),
            _ => None,
        };
        Ok(CaseIndex {
            status: status.name(),
            stage: case.current_stage().number,
            owner: case.owner().map(str::to_string),
            handler: case.current_handler().map(str::to_string),
            received_on: case.received_on(),
            next_due: deadline::next_landlord_deadline(&deadlines).map(|d| d.due),
            open_until,
        })
    }

    /// The alert timers a case needs as of now.
    pub fn timers(
        &self,
        case: &Case,
        now: DateTime<Utc>,
    ) -> Result<Vec<alert::Timer>, ServiceError> {
        let plan = self.plan(case, now)?;
        let mut timers = alert::timers(&plan, now);
        timers.extend(letter_timers(case, now));
        Ok(timers)
    }

    fn plan(&self, case: &Case, now: DateTime<Utc>) -> Result<Vec<Alert>, ServiceError> {
        let policy = self.rules.policy_of(case)?;
        let mut deadlines =
            deadline::deadlines(case, policy, &self.rules.calendar, london_date(now));
        // A withdrawn or refused complaint is no longer owed a response: no more alerts of its
        // stages, even for a deadline it missed before it ended. Actions it was promised stand.
        if case.withdrawal.is_some() || case.refusal.is_some() {
            deadlines.retain(|d| !d.kind.step.is_procedure_step());
        }
        let mut plan = alert::plan(&case.reference, &deadlines, &self.rules.calendar);
        plan.extend(alert::reminders(case, &self.rules));
        plan.sort_by_key(|a| a.at);
        Ok(plan)
    }

    pub(crate) async fn replay(
        &self,
        idem: Option<&IdempotencyKey>,
    ) -> Result<Option<Written>, ServiceError> {
        let Some(idem) = idem else { return Ok(None) };
        match self.store.idempotent_reply(&idem.key).await? {
            Some(rec) if rec.fingerprint == idem.fingerprint => Ok(Some(Written {
                case: None,
                reply: rec.reply,
                access_code: None,
            })),
            Some(_) => Err(ServiceError::KeyReused),
            None => Ok(None),
        }
    }

    pub(crate) async fn persist(
        &self,
        before_version: u64,
        case: Case,
        new_events: Vec<crate::event::EventRecord>,
        idem: Option<&IdempotencyKey>,
        reply: StoredReply,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let index = self
            .index(&case, now)
            .map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let timers = self
            .timers(&case, now)
            .map_err(|e| StoreError::Corrupt(e.to_string()))?;
        // Notices already sent are not queued again (a letter's email would otherwise come
        // back with every change to the case in the week after it went).
        let timers = self.unsent(timers, now).await;
        let reference = case.reference.clone();
        let idempotency = idem.map(|k| IdempotencyRecord {
            key: k.key.clone(),
            fingerprint: k.fingerprint.clone(),
            reply,
            created_at: now,
        });
        self.store
            .save(CaseWrite {
                case,
                index,
                new_events,
                expected_version: before_version,
                timers: timers.clone(),
                idempotency,
            })
            .await?;
        // The timers are saved with the case; a failed sync is repaired by the next
        // `reconcile_alerts` pass, so it never fails a write that is already durable.
        if let Err(e) = self.scheduler.sync(&reference, &timers).await {
            tracing::warn!(reference = %reference, error = %e, "scheduler sync failed; timers are kept with the case");
        }
        Ok(())
    }

    /// Logs a new complaint. `render` turns the saved case (and the access code shown once)
    /// into the reply kept for retries.
    pub async fn create_case(
        &self,
        new: NewCase,
        by: &str,
        at: Option<DateTime<Utc>>,
        idem: Option<&IdempotencyKey>,
        render: &(dyn Fn(&Case, &str) -> StoredReply + Send + Sync),
    ) -> Result<Written, ServiceError> {
        self.create_case_asking(new, ResidentAsks::default(), by, at, idem, render)
            .await
    }

    /// [`Service::create_case`] with what the resident asked for on the form, recorded with
    /// the receipt in the same write (see [`crate::resident_asks::open_with_asks`]).
    pub async fn create_case_asking(
        &self,
        mut new: NewCase,
        asks: ResidentAsks,
        by: &str,
        at: Option<DateTime<Utc>>,
        idem: Option<&IdempotencyKey>,
        render: &(dyn Fn(&Case, &str) -> StoredReply + Send + Sync),
    ) -> Result<Written, ServiceError> {
        if let Some(w) = self.replay(idem).await? {
            return Ok(w);
        }
        let now = self.clock.now();
        let actor = Actor {
            by: by.to_string(),
            at: at.unwrap_or(now),
            now,
        };
        if actor.at > now {
            return Err(CommandError::InFuture { at: actor.at }.into());
        }
        let code = access::format_code(self.random.bytes10());
        new.access_code_hash = Some(access::hash_code(&code));
        let reference = self
            .store
            .next_reference(london_date(actor.at).year())
            .await?;
        let case = open_with_asks(&reference, new, asks, &actor, &self.rules)?;
        let reply = render(&case, &code);
        let events = case.history.clone();
        match self
            .persist(0, case.clone(), events, idem, reply.clone(), now)
            .await
        {
            Ok(()) => Ok(Written {
                case: Some(case),
                reply,
                access_code: Some(code),
            }),
            Err(StoreError::DuplicateKey) => {
                self.replay(idem).await?.ok_or(ServiceError::KeyReused)
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Runs a command on a case. With `expected_version` (If-Match) a stale version is refused;
    /// without it, a concurrent change is retried on the fresh case, so both apply in order
    /// where both stay valid. A member of staff's role and `at` are checked on the case each
    /// attempt loads (see [`execute_as`]), so a change made meanwhile is judged as it now is.
    #[allow(clippy::too_many_arguments)] // each is a distinct part of the request; a struct would only rename them
    pub async fn act(
        &self,
        reference: &str,
        command: Command,
        caller: &Caller,
        at: Option<DateTime<Utc>>,
        expected_version: Option<u64>,
        idem: Option<&IdempotencyKey>,
        render: &(dyn Fn(&Case) -> StoredReply + Send + Sync),
    ) -> Result<Written, ServiceError> {
        self.act_all(
            reference,
            vec![command],
            caller,
            at,
            expected_version,
            idem,
            render,
        )
        .await
    }

    /// [`Service::act`] with several commands applied in order in one write, all or nothing
    /// (a Stage 2 request and the files the resident sent with it).
    #[allow(clippy::too_many_arguments)] // as `act`
    pub async fn act_all(
        &self,
        reference: &str,
        commands: Vec<Command>,
        caller: &Caller,
        at: Option<DateTime<Utc>>,
        expected_version: Option<u64>,
        idem: Option<&IdempotencyKey>,
        render: &(dyn Fn(&Case) -> StoredReply + Send + Sync),
    ) -> Result<Written, ServiceError> {
        if let Some(w) = self.replay(idem).await? {
            return Ok(w);
        }
        for _ in 0..CONFLICT_RETRIES {
            let case = self
                .store
                .load(reference)
                .await?
                .ok_or(ServiceError::NotFound)?;
            if let Some(expected) = expected_version {
                if expected != case.version {
                    return Err(ServiceError::StaleVersion {
                        expected,
                        actual: case.version,
                    });
                }
            }
            let now = self.clock.now();
            let actor = Actor {
                by: caller.by().to_string(),
                at: at.unwrap_or(now),
                now,
            };
            let mut next = case.clone();
            let mut events = Vec::new();
            for command in &commands {
                let (after, more) =
                    execute_as(&next, command.clone(), &actor, caller, &self.rules)?;
                next = after;
                events.extend(more);
            }
            let reply = render(&next);
            match self
                .persist(case.version, next.clone(), events, idem, reply.clone(), now)
                .await
            {
                Ok(()) => {
                    return Ok(Written {
                        case: Some(next),
                        reply,
                        access_code: None,
                    })
                }
                Err(StoreError::VersionConflict) => {
                    if let Some(expected) = expected_version {
                        let actual = self
                            .store
                            .load(reference)
                            .await?
                            .map(|c| c.version)
                            .unwrap_or(expected);
                        return Err(ServiceError::StaleVersion { expected, actual });
                    }
                    continue;
                }
                Err(StoreError::DuplicateKey) => {
                    return self.replay(idem).await?.ok_or(ServiceError::KeyReused)
                }
                Err(e) => return Err(e.into()),
            }
        }
        Err(ServiceError::Unavailable(
            "the case is being changed by others; try again".into(),
        ))
    }

    /// Logs a service request.
    pub async fn create_service_request(
        &self,
        mut request: ServiceRequest,
        idem: Option<&IdempotencyKey>,
        render: &(dyn Fn(&ServiceRequest) -> StoredReply + Send + Sync),
    ) -> Result<Written, ServiceError> {
        if let Some(w) = self.replay(idem).await? {
            return Ok(w);
        }
        let now = self.clock.now();
        if request.logged_at > now {
            return Err(CommandError::InFuture {
                at: request.logged_at,
            }
            .into());
        }
        request.recorded_at = now;
        request.id = self
            .store
            .next_service_request_id(london_date(request.logged_at).year())
            .await?;
        let reply = render(&request);
        let record = idem.map(|k| IdempotencyRecord {
            key: k.key.clone(),
            fingerprint: k.fingerprint.clone(),
            reply: reply.clone(),
            created_at: now,
        });
        match self.store.save_service_request(request, record).await {
            Ok(()) => Ok(Written {
                case: None,
                reply,
                access_code: None,
            }),
            Err(StoreError::DuplicateKey) => {
                self.replay(idem).await?.ok_or(ServiceError::KeyReused)
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Drops the timers that fire at once for an alert already sent: a later write to an
    /// overdue case would otherwise hand its breach alert to the scheduler again on every
    /// change. Should the check fail, every timer stays (sending again is harmless: an alert
    /// goes out once, by its id), and so one read, which may be a moment stale
    /// ([`CaseStore::sent_among`]), asks for all of them.
    async fn unsent(&self, timers: Vec<alert::Timer>, now: DateTime<Utc>) -> Vec<alert::Timer> {
        let due: Vec<String> = timers
            .iter()
            .filter(|t| t.fire_at <= now)
            .map(|t| t.alert.id())
            .collect();
        if due.is_empty() {
            return timers;
        }
        let sent = self.store.sent_among(&due).await.unwrap_or_default();
        timers
            .into_iter()
            .filter(|t| !(t.fire_at <= now && sent.contains(&t.alert.id())))
            .collect()
    }

    /// Makes the scheduled alerts of every open case whose next landlord deadline, or next
    /// reminder (an update owed, an adjustments' or a restriction's review), is within
    /// [`RECONCILE_HORIZON_DAYS`] (or has passed) match its plan again. A case is saved before
    /// its schedules are synced, so a sync that failed (a timeout, a crash in between) would
    /// leave an alert unscheduled; run on a timer, this pass repairs that before the alert is
    /// due. Where timers live in the store with their case (the local server), there is nothing
    /// to repair and the scheduler's sync does nothing.
    ///
    /// It also re-syncs the cases that may have closed lately and still have a letter to email
    /// (issued in the last [`LETTER_RETRY_DAYS`]): their final letter is queued again every
    /// pass until it goes, and once it has waited [`LETTER_FLAG_AFTER_MINUTES`] the complaints
    /// team is told, as for an open case's letters (and as the local timer loop does). A case
    /// that may have closed lately and has a reminder (an adjustments' or a restriction's
    /// review, recorded on it closed or kept from before) is re-synced too: a review's schedule
    /// lost when the case was last written is back within the hour.
    pub async fn reconcile_alerts(&self) -> Result<Reconciled, ServiceError> {
        let now = self.clock.now();
        let today = london_date(now);
        let horizon = today + chrono::Duration::days(RECONCILE_HORIZON_DAYS);
        // Every open case, read once: those whose next landlord deadline falls before the
        // horizon (the list's "overdue" filter asked as of the horizon's date, worked out here
        // on the case as read), or which has a reminder due by then (the next update owed to
        // the resident, the review of its adjustments or of a restriction: not landlord
        // deadlines, so a case whose next deadline is far off, or which has none, may still
        // have one).
        let cases = self
            .store
            .list(&CaseQuery {
                status: None,
                owner: None,
                overdue: false,
                today: Some(today),
                limit: RECONCILE_MAX_CASES,
            })
            .await?
            .into_iter()
            .filter(|c| {
                // A case whose index cannot be worked out is kept: the pass reports it.
                let due_soon = self
                    .index(c, now)
                    .map_or(true, |i| i.next_due.is_some_and(|d| d < horizon));
                due_soon
                    || alert::reminders(c, &self.rules)
                        .iter()
                        .any(|a| london_date(a.at) <= horizon)
            })
            .collect::<Vec<_>>();
        let open: std::collections::BTreeSet<String> =
            cases.iter().map(|c| c.reference.clone()).collect();
        let since = now - chrono::Duration::days(LETTER_RETRY_DAYS + RECONCILE_CLOSED_MARGIN_DAYS);
        let closed = self.store.closed_since(since).await?;
        // A closed case comes into the pass for a letter still being emailed, or for a
        // reminder (an adjustments' or a restriction's review outlives the complaint): a case
        // written lately whose schedules were not all made gets them back.
        let closed = closed.into_iter().filter(|c| {
            !open.contains(&c.reference)
                && (!letter_timers(c, now).is_empty()
                    || !alert::reminders(c, &self.rules).is_empty())
        });
        let mut plans = Vec::new();
        for case in cases.into_iter().chain(closed) {
            let timers = self.timers(&case, now)?;
            let timers = self.unsent(timers, now).await;
            plans.push((case.reference, timers));
        }
        let failed = self.scheduler.sync_all(&plans).await;
        for (reference, e) in &failed {
            tracing::warn!(%reference, error = %e, "alert reconciliation failed for a case");
        }
        Ok(Reconciled {
            cases: plans.len() - failed.len(),
            failed: failed.into_iter().map(|(reference, _)| reference).collect(),
        })
    }

    /// Handles a fired timer: a deadline alert or a letter's email. Errors mean "try again later".
    pub async fn fire(&self, notice: &Notice) -> Result<FireOutcome, ServiceError> {
        match notice {
            Notice::Alert(a) => self.fire_alert(a).await,
            Notice::Letter(l) => self.send_letter(l).await,
        }
    }

    /// Emails one copy of a letter, once: the letter as kept on the case. It is marked sent
    /// only after the notifier accepted it; a failure is retried (the error says so), and once
    /// a letter has waited [`LETTER_FLAG_AFTER_MINUTES`] the complaints team is told, once,
    /// to send it another way.
    pub async fn send_letter(&self, d: &LetterDelivery) -> Result<FireOutcome, ServiceError> {
        let id = d.id();
        if self.store.alert_sent(&id).await? {
            return Ok(FireOutcome::AlreadySent);
        }
        let Some(case) = self.store.load(&d.reference).await? else {
            return Ok(FireOutcome::NoCase);
        };
        let now = self.clock.now();
        let Some(email) = letter_email(&case, d, &self.settings.landlord) else {
            return Ok(FireOutcome::Skipped(Skip::NoLongerPlanned));
        };
        match self.notifier.send(&email).await {
            Ok(()) => {
                self.store.mark_alert_sent(&id, now).await?;
                Ok(FireOutcome::Sent)
            }
            Err(NotifyError(e)) => {
                let issued_at = case
                    .letters
                    .iter()
                    .find(|l| l.number == d.letter)
                    .map(|l| l.issued_at)
                    .unwrap_or(now);
                if now - issued_at >= chrono::Duration::minutes(LETTER_FLAG_AFTER_MINUTES) {
                    self.flag_unsent_letter(&case, d, &e, now).await;
                }
                Err(ServiceError::Unavailable(e))
            }
        }
    }

    /// Tells the complaints team, once, that a letter's email has not gone (best effort: the
    /// letter's own retries go on either way, and the case page shows it unsent).
    async fn flag_unsent_letter(
        &self,
        case: &Case,
        d: &LetterDelivery,
        error: &str,
        now: DateTime<Utc>,
    ) {
        let id = format!("{}.unsent", d.id());
        if !matches!(self.store.alert_sent(&id).await, Ok(false)) {
            return;
        }
        let url = self.settings.case_page(&case.reference);
        let email = crate::alert::AlertEmail {
            alert_id: id.clone(),
            to: vec![self.settings.addresses.complaints_team.clone()],
            subject: format!(
                "[{} complaints] {}: letter {} has not been emailed",
                self.settings.landlord, case.reference, d.letter
            ),
            body: format!(
                "Letter {letter} on case {reference} could not be emailed for {minutes} minutes or more. It will keep being retried.\n\nPlease print and post it, or contact the resident another way, and note it on the case.\n\nLast error: {error}\n\nOpen the case: {url}\n\nThis message carries no personal details of the resident.\n",
                letter = d.letter,
                reference = case.reference,
                minutes = LETTER_FLAG_AFTER_MINUTES,
            ),
            ..Default::default()
        };
        if self.notifier.send(&email).await.is_ok() {
            let _ = self.store.mark_alert_sent(&id, now).await;
        }
    }

    /// Handles a fired alert timer: sends it unless it was sent before, is no longer planned,
    /// or was overtaken by a later alert of the same deadline. Errors mean "try again later".
    pub async fn fire_alert(&self, alert: &Alert) -> Result<FireOutcome, ServiceError> {
        let id = alert.id();
        if self.store.alert_sent(&id).await? {
            return Ok(FireOutcome::AlreadySent);
        }
        let Some(case) = self.store.load(&alert.reference).await? else {
            return Ok(FireOutcome::NoCase);
        };
        let now = self.clock.now();
        let plan = self.plan(&case, now)?;
        if let Err(skip) = alert::check_fired(alert, &plan, now) {
            return Ok(FireOutcome::Skipped(skip));
        }
        let url = self.settings.case_page(&case.reference);
        let email = alert::render(
            &case,
            alert,
            &self.settings.addresses,
            &self.rules.calendar,
            now,
            &url,
            &self.settings.landlord,
        );
        self.notifier
            .send(&email)
            .await
            .map_err(|NotifyError(e)| ServiceError::Unavailable(e))?;
        self.store.mark_alert_sent(&id, now).await?;
        Ok(FireOutcome::Sent)
    }
}
