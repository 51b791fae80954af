//! Deadline alerts: a reminder two working days before a landlord deadline, a "due today"
//! alert on the day and a breach alert the next working day, each at 09:00 Europe/London.
//! Alerts that should already have gone out collapse into the latest, sent at once.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::calendar::Calendar;
use crate::case::Case;
use crate::deadline::{Deadline, DeadlineKind, DeadlineStatus, DeadlineStep};
use crate::london::{london_date, nine_am};

/// Which of a deadline's three alerts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AlertKind {
    /// Two working days before the due date.
    Reminder,
    /// On the due date.
    DueToday,
    /// The working day after an unmet due date; escalated to the Head of Tenant Services.
    Breach,
}

impl AlertKind {
    /// The snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            AlertKind::Reminder => "reminder",
            AlertKind::DueToday => "due_today",
            AlertKind::Breach => "breach",
        }
    }
}

/// One planned alert of one deadline of one case.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Alert {
    /// The case.
    pub reference: String,
    /// The deadline it is about.
    pub deadline: DeadlineKind,
    /// The due date it was planned for (an extension gives new alerts).
    pub due: NaiveDate,
    /// Reminder, due today or breach.
    pub kind: AlertKind,
    /// The planned moment: 09:00 Europe/London on a working day.
    pub at: DateTime<Utc>,
}

impl Alert {
    /// A stable identity: the same case, deadline, due date and kind always give the same id,
    /// so a timer re-created or an event delivered twice sends one email.
    pub fn id(&self) -> String {
        format!(
            "{}.{}.{}.{}",
            self.reference,
            self.deadline,
            self.due.format("%Y%m%d"),
            self.kind.as_str()
        )
    }
}

/// Every alert of the unmet landlord deadlines of a case, in time order.
pub fn plan(reference: &str, deadlines: &[Deadline], calendar: &Calendar) -> Vec<Alert> {
    let mut out = Vec::new();
    for d in deadlines {
        if !d.kind.is_alerted()
            || !matches!(d.status, DeadlineStatus::Pending | DeadlineStatus::Breached)
        {
            continue;
        }
        let days = [
            (
                AlertKind::Reminder,
                calendar.subtract_working_days(d.due, 2),
            ),
            (AlertKind::DueToday, calendar.working_day_on_or_after(d.due)),
            (AlertKind::Breach, calendar.next_working_day(d.due)),
        ];
        for (kind, day) in days {
            out.push(Alert {
                reference: reference.into(),
                deadline: d.kind,
                due: d.due,
                kind,
                at: nine_am(day),
            });
        }
    }
    out.sort_by_key(|a| a.at);
    out
}

/// Every reminder of a case (see [`DeadlineStep::is_reminder`]): an update due to the resident,
/// the review of their adjustments, the review of a restriction. Each has one alert, "due
/// today", at 09:00 on its date (the next working day when that is not one).
pub fn reminders(case: &Case, rules: &crate::case::Rules) -> Vec<Alert> {
    [
        crate::updates::reminder(case, rules),
        crate::adjustments::reminder(case),
        crate::restriction::reminder(case),
    ]
    .into_iter()
    .flatten()
    .map(|(deadline, due)| Alert {
        reference: case.reference.clone(),
        deadline,
        due,
        kind: AlertKind::DueToday,
        at: nine_am(rules.calendar.working_day_on_or_after(due)),
    })
    .collect()
}

/// The email of one copy of a letter (see [`crate::letter`]), sent by the same timers as the
/// alerts so that it is retried until it goes, and goes once.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LetterDelivery {
    /// The case.
    pub reference: String,
    /// The letter's number on the case.
    pub letter: u16,
    /// Which copy: an index into the letter's recipients.
    pub copy: u16,
}

impl LetterDelivery {
    /// A stable identity: `CMP-2026-00001.letter2.copy1`.
    pub fn id(&self) -> String {
        format!(
            "{}.letter{}.copy{}",
            self.reference,
            self.letter,
            usize::from(self.copy) + 1
        )
    }
}

/// What a timer delivers: a deadline alert to staff, or a letter's email to a resident or
/// their representative.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Notice {
    /// A deadline alert.
    Alert(Alert),
    /// A letter's email.
    Letter(LetterDelivery),
}

impl Notice {
    /// The stable id: the alert's or the delivery's (both start with the case reference).
    pub fn id(&self) -> String {
        match self {
            Notice::Alert(a) => a.id(),
            Notice::Letter(l) => l.id(),
        }
    }

    /// The case it is about.
    pub fn reference(&self) -> &str {
        match self {
            Notice::Alert(a) => &a.reference,
            Notice::Letter(l) => &l.reference,
        }
    }
}

impl Notice {
    /// The deadline alert, when it is one.
    pub fn as_alert(&self) -> Option<&Alert> {
        match self {
            Notice::Alert(a) => Some(a),
            Notice::Letter(_) => None,
        }
    }
}

impl From<Alert> for Notice {
    fn from(a: Alert) -> Self {
        Notice::Alert(a)
    }
}

/// A timer to set: what to deliver and the moment to fire it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Timer {
    /// The alert or letter to send.
    pub alert: Notice,
    /// When to fire: the alert's moment, or now if that has passed.
    pub fire_at: DateTime<Utc>,
}

/// The timers to hold for a plan at `now`: future alerts at their moment; of each deadline's
/// alerts whose moment has passed, only the latest, fired at once.
pub fn timers(plan: &[Alert], now: DateTime<Utc>) -> Vec<Timer> {
    let mut out: Vec<Timer> = Vec::with_capacity(plan.len());
    for a in plan {
        if a.at > now {
            out.push(Timer {
                alert: Notice::Alert(a.clone()),
                fire_at: a.at,
            });
            continue;
        }
        if superseded(plan, a, now) {
            continue;
        }
        out.push(Timer {
            alert: Notice::Alert(a.clone()),
            fire_at: now,
        });
    }
    out
}

fn superseded(plan: &[Alert], a: &Alert, now: DateTime<Utc>) -> bool {
    plan.iter()
        .any(|b| b.deadline == a.deadline && b.due == a.due && b.at > a.at && b.at <= now)
}

/// Why an alert that fired is not sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Skip {
    /// The deadline was met, cancelled or moved, or the case closed: the alert is no longer planned.
    NoLongerPlanned,
    /// A later alert of the same deadline has also fallen due; only that one goes out.
    Superseded,
    /// Fired before its moment (a clock skew or an early delivery); its timer will come again.
    Early,
}

/// Decides, when a timer fires, whether its alert still goes out: it must still be in the
/// case's current plan, due, and not overtaken by a later alert of the same deadline.
pub fn check_fired(alert: &Alert, current_plan: &[Alert], now: DateTime<Utc>) -> Result<(), Skip> {
    let Some(planned) = current_plan
        .iter()
        .find(|p| p.deadline == alert.deadline && p.due == alert.due && p.kind == alert.kind)
    else {
        return Err(Skip::NoLongerPlanned);
    };
    if planned.at > now {
        return Err(Skip::Early);
    }
    if superseded(current_plan, planned, now) {
        return Err(Skip::Superseded);
    }
    Ok(())
}

/// Where alerts go: the complaints team (while a case is unassigned) and the Head of Tenant
/// Services (breaches).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AlertAddresses {
    /// The complaints team's shared mailbox.
    pub complaints_team: String,
    /// The Head of Tenant Services.
    pub head_of_tenant_services: String,
}

impl Default for AlertAddresses {
    fn default() -> Self {
        AlertAddresses {
            complaints_team: "complaints-team@p3housing.invalid".into(),
            head_of_tenant_services: "head-of-tenant-services@p3housing.invalid".into(),
        }
    }
}

/// An email, ready for a notifier: an alert to staff (which holds no personal data of the
/// resident), or a copy of a letter to the resident or their representative.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct AlertEmail {
    /// The alert's stable id (also the idempotency key of the send).
    pub alert_id: String,
    /// Recipients.
    pub to: Vec<String>,
    /// Names the reference, the deadline and the kind of alert.
    pub subject: String,
    /// Plain-text body.
    pub body: String,
    /// The letter this email is a copy of: what a host needs to attach the letter as a
    /// document (a PDF, `{reference}-letter-{number}.pdf`) before the notifier sends it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enclosure: Option<Box<Enclosure>>,
    /// Files sent with the text: the host adds the letter's PDF here.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attachments: Vec<EmailAttachment>,
}

/// The letter an email is a copy of, as kept on the case, addressed to that copy's recipient
/// only (so the document attached holds no other recipient's address).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Enclosure {
    /// The case's reference.
    pub reference: String,
    /// The letter, with `to` holding the one recipient of this copy.
    pub letter: crate::letter::Letter,
}

/// A file sent with an email.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EmailAttachment {
    /// Its name, as the recipient saves it.
    pub filename: String,
    /// Its media type (`application/pdf`).
    pub content_type: String,
    /// Its bytes.
    pub content: Vec<u8>,
}

/// Renders the email for an alert: to the stage's handler (or the complaints team while
/// unassigned) and, for a breach, also to the Head of Tenant Services.
pub fn render(
    case: &Case,
    alert: &Alert,
    addresses: &AlertAddresses,
    calendar: &Calendar,
    now: DateTime<Utc>,
    case_url: &str,
    landlord: &str,
) -> AlertEmail {
    let handler = match alert.deadline.step {
        // A tracked action's alerts go to its owner.
        DeadlineStep::Action(n) => case
            .actions
            .iter()
            .find(|a| a.number == n)
            .map(|a| a.owner.clone()),
        // The case owner: the Stage 1 Investigating Manager, else whoever handles it now.
        DeadlineStep::AdjustmentReview | DeadlineStep::RestrictionReview => case
            .owner()
            .or_else(|| case.current_handler())
            .map(str::to_string),
        _ => case
            .stage(alert.deadline.stage)
            .and_then(|s| s.acknowledgement.as_ref())
            .map(|a| a.handler.clone()),
    };
    let mut to = vec![handler
        .clone()
        .unwrap_or_else(|| addresses.complaints_team.clone())];
    // A restriction's review is also the business of whoever imposed it.
    if let (DeadlineStep::RestrictionReview, Some(r)) = (alert.deadline.step, &case.restriction) {
        if !to.contains(&r.by) {
            to.push(r.by.clone());
        }
    }
    if alert.kind == AlertKind::Breach && !to.contains(&addresses.head_of_tenant_services) {
        to.push(addresses.head_of_tenant_services.clone());
    }
    let today = london_date(now);
    let label = match alert.deadline.step {
        DeadlineStep::Action(n)
            if case.actions.iter().any(|a| {
                a.number == n && a.source == crate::casefile::ActionSource::OmbudsmanOrder
            }) =>
        {
            format!("Ombudsman order (action {n})")
        }
        _ => alert.deadline.label(),
    };
    let due = alert.due.format("%A %-d %B %Y");
    let (headline, when) = match alert.kind {
        AlertKind::Reminder => {
            let left = calendar.working_days_between(today, alert.due).max(0);
            (
                format!("Reminder: {label} due {due}"),
                format!("{left} working day(s) left"),
            )
        }
        AlertKind::DueToday => (format!("Due today: {label}"), "due today".to_string()),
        AlertKind::Breach => {
            let over = calendar.working_days_between(alert.due, today).max(1);
            (
                format!("BREACH: {label} missed (was due {due})"),
                format!("{over} working day(s) overdue"),
            )
        }
    };
    let subject = format!("[{landlord} complaints] {}: {headline}", case.reference);
    let body = format!(
        "{headline}\n\nCase: {reference}\nStage: {stage}\nDeadline: {label}\nDue: {due}\nStatus: {when}\nOwner: {owner}\n\nOpen the case: {case_url}\n\n{escalation}This alert carries no personal details of the resident; open the case to see them.\n",
        reference = case.reference,
        stage = alert.deadline.stage,
        owner = handler.as_deref().unwrap_or("unassigned (complaints team)"),
        escalation = if alert.kind == AlertKind::Breach {
            "This breach has been escalated to the Head of Tenant Services.\n\n"
        } else {
            ""
        },
    );
    AlertEmail {
        alert_id: alert.id(),
        to,
        subject,
        body,
        ..AlertEmail::default()
    }
}
