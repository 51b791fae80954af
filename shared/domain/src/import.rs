//! Bringing the cases of the landlord's previous system in: one row per complaint, each step
//! with the date it really happened. The case is built through the same commands as any other
//! (so the same rules judge the order of steps, the extension limits and who may review), but
//! this is the one path allowed to write a whole history in the past: its events are marked
//! `imported`, and no letters are issued for them (the resident had those letters from the
//! previous system). Reading the file is the host's business; this module takes its rows as text.

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, Utc};
use sha2::{Digest, Sha256};

use crate::alert::{Alert, AlertAddresses, AlertEmail, AlertKind, Notice};
use crate::case::{check_at, record, Actor, Case, Command, CommandError, Rules};
use crate::complaint::{Channel, ComplaintForm};
use crate::event::{CaseEvent, Outcome, RequestedThrough, StageResponse};
use crate::london::london_date;
use crate::policy::HOUSING;
use crate::ports::{CaseWrite, IdempotencyRecord};
use crate::service::{Service, ServiceError};

/// The columns an import file may have, in the order of the steps they record.
pub const COLUMNS: [&str; 23] = [
    "reference",
    "received_at",
    "channel",
    "category",
    "name",
    "email",
    "phone",
    "address",
    "postcode",
    "description",
    "desired_outcome",
    "stage1_acknowledged_at",
    "investigating_manager",
    "stage1_extension_working_days",
    "stage1_extension_reason",
    "stage1_responded_at",
    "stage1_outcome",
    "stage2_requested_at",
    "stage2_acknowledged_at",
    "reviewer",
    "stage2_responded_at",
    "stage2_outcome",
    "withdrawn_at",
];

/// Who imported events are recorded as done by, where the previous system does not say.
pub const BY: &str = "import";

/// The response text of an imported stage response: the letter itself is in the previous system.
pub const RESPONSE_SUMMARY: &str =
    "Imported from the previous complaints system; the response letter is held there.";

/// Prefix of the references made for rows that bring none.
pub const DERIVED_PREFIX: &str = "IMP";

/// One row of an import file: its number as a spreadsheet shows it (the header is row 1) and
/// its values by column. A blank value means "did not happen" or "not known".
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Row {
    /// The row's number (the first complaint is row 2).
    pub number: usize,
    values: BTreeMap<&'static str, String>,
}

impl Row {
    /// A row with no values yet.
    pub fn new(number: usize) -> Row {
        Row {
            number,
            values: BTreeMap::new(),
        }
    }

    /// Sets a column's value; `false` when the column is not one of [`COLUMNS`].
    pub fn set(&mut self, column: &str, value: &str) -> bool {
        match COLUMNS.iter().find(|c| **c == column) {
            Some(c) => {
                self.values.insert(c, value.to_string());
                true
            }
            None => false,
        }
    }

    /// The trimmed value of a column, `None` when blank or absent.
    pub fn get(&self, column: &str) -> Option<&str> {
        self.values
            .get(column)
            .map(|v| v.trim())
            .filter(|v| !v.is_empty())
    }
}

/// What is wrong with one value of one row.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("row {row}, {column}: {message}")]
pub struct RowError {
    /// The row's number (the header is row 1).
    pub row: usize,
    /// The column at fault.
    pub column: String,
    /// What is wrong, in plain words.
    pub message: String,
}

/// A row turned into a case, ready to store.
#[derive(Debug, Clone)]
pub struct Imported {
    /// The row it came from.
    pub row: usize,
    /// The case as the previous system left it, every event marked imported.
    pub case: Case,
    /// What recognises the row on a later run (see [`identity`]).
    pub identity: String,
}

struct Errors {
    row: usize,
    list: Vec<RowError>,
}

impl Errors {
    fn add(&mut self, column: &str, message: impl Into<String>) {
        self.list.push(RowError {
            row: self.row,
            column: column.into(),
            message: message.into(),
        });
    }
}

fn time(row: &Row, column: &str, e: &mut Errors, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let v = row.get(column)?;
    match DateTime::parse_from_rfc3339(v) {
        Ok(t) => {
            let t = t.with_timezone(&Utc);
            if t > now {
                e.add(column, format!("`{v}` is in the future"));
                return None;
            }
            Some(t)
        }
        Err(_) => {
            e.add(
                column,
                format!("`{v}` is not an RFC 3339 time, like 2025-03-14T10:30:00Z"),
            );
            None
        }
    }
}

fn outcome(row: &Row, column: &str, e: &mut Errors) -> Option<Outcome> {
    let v = row.get(column)?;
    match v {
        "upheld" => Some(Outcome::Upheld),
        "partly_upheld" => Some(Outcome::PartlyUpheld),
        "not_upheld" => Some(Outcome::NotUpheld),
        _ => {
            e.add(
                column,
                format!("`{v}` is not an outcome: upheld, partly_upheld or not_upheld"),
            );
            None
        }
    }
}

fn channel(v: &str) -> Option<Channel> {
    serde_json::from_value(serde_json::Value::String(v.to_string())).ok()
}

/// Whether a kept reference can serve as one here: it becomes part of the case's web address.
fn valid_reference(r: &str) -> bool {
    (1..=40).contains(&r.len())
        && r.chars().next().is_some_and(|c| c.is_ascii_alphanumeric())
        && r.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

/// What recognises a complaint on a later run of the same file, whether or not it brought a
/// reference: the SHA-256 (hex) of when it was received and what it says, from whom, as the
/// case holds them. The later steps are left out, so a newer export of the same complaint
/// with more steps done is still the same complaint.
pub fn identity(case: &Case) -> String {
    let r = &case.complaint.resident;
    let mut h = Sha256::new();
    for part in [
        case.received_at
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        r.name.clone().unwrap_or_default(),
        r.email.clone().unwrap_or_default(),
        r.phone.clone().unwrap_or_default(),
        r.postcode.clone().unwrap_or_default(),
        case.complaint.description.clone(),
    ] {
        h.update(part.as_bytes());
        h.update([0u8]);
    }
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// The reference given to a row that brings none: `IMP-` and the London year of receipt, then
/// the first 12 hex digits of its [`identity`], so a later run finds the same one.
pub fn derived_reference(received_at: DateTime<Utc>, identity: &str) -> String {
    format!(
        "{DERIVED_PREFIX}-{}-{}",
        london_date(received_at).year(),
        identity[..12].to_ascii_uppercase()
    )
}

/// True when the case was brought in by an import.
pub fn is_imported(case: &Case) -> bool {
    case.history.first().is_some_and(|e| e.imported)
}

/// The steps of a row in the order they happen, with the column that dates each.
struct Step {
    column: &'static str,
    at: DateTime<Utc>,
    by: String,
    command: Command,
}

/// Builds the case a row describes, or every error in it (each naming the row and column).
/// `now` is when the import runs: every step must have happened by then.
pub fn build(
    row: &Row,
    rules: &Rules,
    categories: &[String],
    now: DateTime<Utc>,
) -> Result<Imported, Vec<RowError>> {
    let mut e = Errors {
        row: row.number,
        list: Vec::new(),
    };
    let received_at = time(row, "received_at", &mut e, now);
    if row.get("received_at").is_none() {
        e.add(
            "received_at",
            "is needed: when the complaint reached the landlord",
        );
    }
    let channel = match row.get("channel") {
        None => {
            e.add(
                "channel",
                "is needed: web, phone, email, letter, in_person, social_media, survey or representative",
            );
            None
        }
        Some(v) => {
            let c = channel(v);
            if c.is_none() {
                e.add("channel", format!("`{v}` is not a channel: web, phone, email, letter, in_person, social_media, survey or representative"));
            }
            c
        }
    };
    let form = ComplaintForm {
        name: row.get("name").map(str::to_string),
        email: row.get("email").map(str::to_string),
        phone: row.get("phone").map(str::to_string),
        address: row.get("address").map(str::to_string),
        postcode: row.get("postcode").map(str::to_string),
        tenancy_reference: None,
        description: row.get("description").map(str::to_string),
        desired_outcome: row.get("desired_outcome").map(str::to_string),
        category: row.get("category").map(str::to_string),
        tenure: None,
    };
    let details = match form.validate(channel.unwrap_or(Channel::Letter), categories) {
        Ok(d) => Some(d),
        Err(v) => {
            for f in v.errors {
                e.add(&f.field, f.message);
            }
            None
        }
    };
    let reference = row.get("reference");
    if let Some(r) = reference {
        if !valid_reference(r) {
            e.add(
                "reference",
                "must be 1 to 40 letters, digits, `-`, `_` or `.`, starting with a letter or digit",
            );
        }
    }

    let ack1 = time(row, "stage1_acknowledged_at", &mut e, now);
    let im = row.get("investigating_manager").map(str::to_string);
    let ext_days = row.get("stage1_extension_working_days").and_then(|v| {
        let n = v.parse::<u32>().ok().filter(|n| *n > 0);
        if n.is_none() {
            e.add(
                "stage1_extension_working_days",
                format!("`{v}` is not a whole number of working days"),
            );
        }
        n
    });
    let ext_reason = row.get("stage1_extension_reason").map(str::to_string);
    let resp1 = time(row, "stage1_responded_at", &mut e, now);
    let out1 = outcome(row, "stage1_outcome", &mut e);
    let req2 = time(row, "stage2_requested_at", &mut e, now);
    let ack2 = time(row, "stage2_acknowledged_at", &mut e, now);
    let reviewer = row.get("reviewer").map(str::to_string);
    let resp2 = time(row, "stage2_responded_at", &mut e, now);
    let out2 = outcome(row, "stage2_outcome", &mut e);
    let withdrawn = time(row, "withdrawn_at", &mut e, now);

    // What a step needs before it, and what goes with it.
    let given = |c: &str| row.get(c).is_some();
    for (column, needs) in [
        ("investigating_manager", "stage1_acknowledged_at"),
        ("stage1_acknowledged_at", "investigating_manager"),
        ("stage1_extension_working_days", "stage1_extension_reason"),
        ("stage1_extension_reason", "stage1_extension_working_days"),
        ("stage1_responded_at", "stage1_acknowledged_at"),
        ("stage1_responded_at", "stage1_outcome"),
        ("stage1_outcome", "stage1_responded_at"),
        ("stage2_requested_at", "stage1_responded_at"),
        ("stage2_acknowledged_at", "stage2_requested_at"),
        ("stage2_acknowledged_at", "reviewer"),
        ("reviewer", "stage2_acknowledged_at"),
        ("stage2_responded_at", "stage2_acknowledged_at"),
        ("stage2_responded_at", "stage2_outcome"),
        ("stage2_outcome", "stage2_responded_at"),
    ] {
        if given(column) && !given(needs) {
            e.add(column, format!("is given, so {needs} is needed too"));
        }
    }
    // Each step on or after the one before it; a withdrawal after every other step.
    let order = [
        ("received_at", received_at),
        ("stage1_acknowledged_at", ack1),
        ("stage1_responded_at", resp1),
        ("stage2_requested_at", req2),
        ("stage2_acknowledged_at", ack2),
        ("stage2_responded_at", resp2),
    ];
    let mut previous: Option<(&str, DateTime<Utc>)> = None;
    for (column, at) in order {
        let Some(at) = at else { continue };
        if let Some((before, t)) = previous {
            if at < t {
                e.add(column, format!("is before {before} ({t})"));
            }
        }
        previous = Some((column, at));
    }
    if let (Some(w), Some((before, t))) = (withdrawn, previous) {
        if w < t {
            e.add(
                "withdrawn_at",
                format!("is before {before} ({t}): nothing can happen after a withdrawal"),
            );
        }
    }
    let (Some(received_at), Some(details), true) = (received_at, details, e.list.is_empty()) else {
        return Err(e.list);
    };

    // The case, built by the commands staff would have run.
    let provisional = Case {
        received_at,
        complaint: details.clone(),
        ..Case::empty("")
    };
    let identity = identity(&provisional);
    let reference = reference
        .map(str::to_string)
        .unwrap_or_else(|| derived_reference(received_at, &identity));
    let actor = |at: DateTime<Utc>, by: &str| Actor {
        by: by.to_string(),
        at,
        now,
    };
    let mut case = Case::empty(&reference);
    let opened = actor(received_at, BY);
    if let Err(err) = check_at(&opened, None) {
        e.add("received_at", err.to_string());
        return Err(e.list);
    }
    let mut received = record(
        1,
        &opened,
        CaseEvent::Received {
            procedure: HOUSING.into(),
            complaint: details,
            service_request: None,
            access_code_hash: None,
        },
        &rules.calendar,
    );
    received.imported = true;
    received.recorded_late = false;
    case.apply(received);

    let mut steps = Vec::new();
    if let (Some(at), Some(im)) = (ack1, &im) {
        steps.push(Step {
            column: "stage1_acknowledged_at",
            at,
            by: BY.into(),
            command: Command::Acknowledge {
                investigating_manager: Some(im.clone()),
                reviewer: None,
                complaint_points: Vec::new(),
                responsible_for: None,
                not_responsible_for: None,
            },
        });
    }
    if let (Some(days), Some(reason)) = (ext_days, ext_reason) {
        // The previous system gives no date for an extension: it is recorded at the earliest
        // moment it can have been agreed, the acknowledgement (or receipt, before one).
        steps.push(Step {
            column: "stage1_extension_working_days",
            at: ack1.unwrap_or(received_at),
            by: im.clone().unwrap_or_else(|| BY.into()),
            command: Command::Extend {
                working_days: days,
                reason,
            },
        });
    }
    let response = |o: Option<Outcome>| StageResponse {
        outcome: o.unwrap_or(Outcome::Upheld),
        summary: RESPONSE_SUMMARY.into(),
        remedy: None,
        point_decisions: Vec::new(),
        actions: Vec::new(),
        compensation_pence: None,
        learning: None,
    };
    if let (Some(at), Some(im)) = (resp1, &im) {
        steps.push(Step {
            column: "stage1_responded_at",
            at,
            by: im.clone(),
            command: Command::Respond {
                stage: 1,
                response: response(out1),
            },
        });
    }
    if let Some(at) = req2 {
        steps.push(Step {
            column: "stage2_requested_at",
            at,
            by: BY.into(),
            command: Command::RequestNextStage {
                reason: None,
                through: RequestedThrough::Staff,
            },
        });
    }
    if let (Some(at), Some(rv)) = (ack2, &reviewer) {
        steps.push(Step {
            column: "stage2_acknowledged_at",
            at,
            by: BY.into(),
            command: Command::Acknowledge {
                investigating_manager: None,
                reviewer: Some(rv.clone()),
                complaint_points: Vec::new(),
                responsible_for: None,
                not_responsible_for: None,
            },
        });
    }
    if let (Some(at), Some(rv)) = (resp2, &reviewer) {
        steps.push(Step {
            column: "stage2_responded_at",
            at,
            by: rv.to_ascii_lowercase(),
            command: Command::Respond {
                stage: 2,
                response: response(out2),
            },
        });
    }
    if let Some(at) = withdrawn {
        steps.push(Step {
            column: "withdrawn_at",
            at,
            by: BY.into(),
            command: Command::Withdraw { reason: None },
        });
    }
    for step in steps {
        let a = actor(step.at, &step.by);
        match case.decide_as_recorded(step.command, &a, rules) {
            Ok(events) => {
                for event in events {
                    let mut rec = record(case.version + 1, &a, event, &rules.calendar);
                    rec.imported = true;
                    rec.recorded_late = false;
                    case.apply(rec);
                }
            }
            Err(CommandError::Invalid(v)) => {
                for f in v.errors {
                    let column = match f.field.as_str() {
                        "investigating_manager" | "reviewer" => f.field.clone(),
                        "working_days" => "stage1_extension_working_days".into(),
                        "reason" => "stage1_extension_reason".into(),
                        _ => step.column.into(),
                    };
                    e.add(&column, f.message);
                }
                return Err(e.list);
            }
            Err(err) => {
                e.add(step.column, err.to_string());
                return Err(e.list);
            }
        }
    }
    Ok(Imported {
        row: row.number,
        case,
        identity,
    })
}

/// An imported case as it is stored: the case with its query fields and the alert timers
/// still to come, and the alerts whose moment had already passed at the import (listed once
/// in the import's summary instead of sent one by one).
#[derive(Debug, Clone)]
pub struct Prepared {
    /// The write, as any new case is saved (no idempotency record).
    pub write: CaseWrite,
    /// Alerts already due at the import: recorded as covered by the summary, never sent alone.
    pub passed: Vec<Alert>,
}

/// The write of an imported case at `now`: its index, its future timers, and the alerts that
/// would have gone out at once.
pub fn prepare(
    service: &Service,
    case: Case,
    now: DateTime<Utc>,
) -> Result<Prepared, ServiceError> {
    let index = service.index(&case, now)?;
    let mut timers = Vec::new();
    let mut passed = Vec::new();
    for t in service.timers(&case, now)? {
        match t.alert {
            Notice::Alert(a) if t.fire_at <= now => passed.push(a),
            _ => timers.push(t),
        }
    }
    let events = case.history.clone();
    Ok(Prepared {
        write: CaseWrite {
            case,
            index,
            new_events: events,
            expected_version: 0,
            timers,
            idempotency: None::<IdempotencyRecord>,
        },
        passed,
    })
}

/// The one email to the complaints team listing the imported cases whose alerts had already
/// passed: each case with its deadline, the due date and whether it is overdue or due soon.
/// Like every alert, it names references only, no personal details.
pub fn overdue_email(
    id: &str,
    landlord: &str,
    addresses: &AlertAddresses,
    base_url: &str,
    passed: &[Alert],
) -> AlertEmail {
    let mut lines = String::new();
    for a in passed {
        let state = match a.kind {
            AlertKind::Breach => "OVERDUE",
            AlertKind::DueToday => "due today",
            AlertKind::Reminder => "due soon",
        };
        lines.push_str(&format!(
            "{}  {}  due {}  {}\n",
            a.reference,
            a.deadline.label(),
            a.due.format("%-d %B %Y"),
            state
        ));
    }
    let overdue = passed
        .iter()
        .filter(|a| a.kind == AlertKind::Breach)
        .count();
    let link = if base_url.is_empty() {
        "Open the staff pages to see them.".to_string()
    } else {
        format!(
            "Open the cases: {}/staff/cases",
            base_url.trim_end_matches('/')
        )
    };
    AlertEmail {
        alert_id: id.to_string(),
        to: vec![addresses.complaints_team.clone()],
        subject: format!(
            "[{landlord} complaints] Imported cases: {} deadline(s) past or near, {overdue} overdue",
            passed.len()
        ),
        body: format!(
            "Cases brought in from the previous system have deadlines whose alerts had already passed when they were imported. They are listed here once instead of one alert each; later alerts of the same deadlines will come as usual.\n\n{lines}\n{link}\n\nThis message carries no personal details of the residents.\n"
        ),
        ..AlertEmail::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn row(values: &[(&str, &str)]) -> Row {
        let mut r = Row::new(2);
        for (c, v) in values {
            assert!(r.set(c, v), "{c}");
        }
        r
    }

    fn categories() -> Vec<String> {
        crate::complaint::DEFAULT_CATEGORIES
            .iter()
            .map(|s| s.to_string())
            .collect()
    }

    fn base() -> Vec<(&'static str, &'static str)> {
        vec![
            ("received_at", "2025-10-06T10:00:00Z"),
            ("channel", "phone"),
            ("name", "Ada Resident"),
            ("email", "ada@example.org"),
            ("description", "The boiler has failed."),
        ]
    }

    #[test]
    fn a_two_stage_history_is_built_through_the_commands_without_letters() {
        let mut v = base();
        v.extend([
            ("stage1_acknowledged_at", "2025-10-08T10:00:00Z"),
            ("investigating_manager", "ian@p3.example"),
            ("stage1_extension_working_days", "5"),
            ("stage1_extension_reason", "Waiting for a surveyor"),
            ("stage1_responded_at", "2025-10-24T10:00:00Z"),
            ("stage1_outcome", "partly_upheld"),
            ("stage2_requested_at", "2025-10-28T10:00:00Z"),
            ("stage2_acknowledged_at", "2025-10-29T10:00:00Z"),
            ("reviewer", "hannah@p3.example"),
            ("stage2_responded_at", "2025-11-20T10:00:00Z"),
            ("stage2_outcome", "upheld"),
        ]);
        let built = build(
            &row(&v),
            &Rules::default(),
            &categories(),
            at("2026-01-05T09:00:00Z"),
        )
        .unwrap();
        let c = &built.case;
        assert!(c.reference.starts_with("IMP-2025-"), "{}", c.reference);
        assert!(c.letters.is_empty());
        assert!(c.history.iter().all(|e| e.imported));
        // Months old, imported now: the import says so, and is not "recorded late".
        assert!(c.history.iter().all(|e| !e.recorded_late));
        assert_eq!(c.stages.len(), 2);
        assert_eq!(c.stage(1).unwrap().extended_by(), 5);
        assert_eq!(
            c.stage(2)
                .unwrap()
                .response
                .as_ref()
                .unwrap()
                .response
                .outcome,
            Outcome::Upheld
        );
        assert_eq!(c.history.last().unwrap().at, at("2025-11-20T10:00:00Z"));
    }

    #[test]
    fn the_same_row_gets_the_same_derived_reference() {
        let now = at("2026-01-05T09:00:00Z");
        let a = build(&row(&base()), &Rules::default(), &categories(), now).unwrap();
        let b = build(&row(&base()), &Rules::default(), &categories(), now).unwrap();
        assert_eq!(a.case.reference, b.case.reference);
        assert_eq!(identity(&a.case), a.identity);
    }

    #[test]
    fn steps_out_of_order_and_unknown_values_name_their_columns() {
        let mut v = base();
        v.extend([
            ("channel", "pigeon"),
            ("stage1_acknowledged_at", "2025-10-01T10:00:00Z"),
            ("investigating_manager", "ian@p3.example"),
            ("stage1_outcome", "maybe"),
        ]);
        let errs = build(
            &row(&v),
            &Rules::default(),
            &categories(),
            at("2026-01-05T09:00:00Z"),
        )
        .unwrap_err();
        let cols: Vec<&str> = errs.iter().map(|e| e.column.as_str()).collect();
        assert!(cols.contains(&"channel"), "{errs:?}");
        assert!(cols.contains(&"stage1_acknowledged_at"), "{errs:?}");
        assert!(cols.contains(&"stage1_outcome"), "{errs:?}");
        assert!(errs.iter().all(|e| e.row == 2));
    }

    #[test]
    fn an_extension_over_the_limit_is_refused() {
        let mut v = base();
        v.extend([
            ("stage1_acknowledged_at", "2025-10-08T10:00:00Z"),
            ("investigating_manager", "ian@p3.example"),
            ("stage1_extension_working_days", "11"),
            ("stage1_extension_reason", "Long"),
        ]);
        let errs = build(
            &row(&v),
            &Rules::default(),
            &categories(),
            at("2026-01-05T09:00:00Z"),
        )
        .unwrap_err();
        assert_eq!(errs[0].column, "stage1_extension_working_days", "{errs:?}");
    }

    #[test]
    fn a_stage2_reviewer_must_not_be_the_investigating_manager() {
        let mut v = base();
        v.extend([
            ("stage1_acknowledged_at", "2025-10-08T10:00:00Z"),
            ("investigating_manager", "ian@p3.example"),
            ("stage1_responded_at", "2025-10-10T10:00:00Z"),
            ("stage1_outcome", "upheld"),
            ("stage2_requested_at", "2025-10-13T10:00:00Z"),
            ("stage2_acknowledged_at", "2025-10-14T10:00:00Z"),
            ("reviewer", "ian@p3.example"),
        ]);
        let errs = build(
            &row(&v),
            &Rules::default(),
            &categories(),
            at("2026-01-05T09:00:00Z"),
        )
        .unwrap_err();
        assert_eq!(errs[0].column, "reviewer", "{errs:?}");
    }
}
