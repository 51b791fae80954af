//! The whole case as staff see it (everything but secrets): `GET /staff/complaints/{reference}`,
//! the answer to every change, and the staff case page.

use std::collections::HashSet;

use chrono::{DateTime, NaiveDate, Utc};
use p3_domain::case::{Case, OmbudsmanRecord, Rules, StageRecord, StageRequest, Withdrawal};
use p3_domain::casefile::{
    ActionSource, CompensationOffer, Completion, ContactPreferences, PointsRevision, Reassignment,
    SupportNeeds, TrackedAction,
};
use p3_domain::complaint::{Channel, Representative, Tenure};
use p3_domain::correspondence::CorrespondenceEntry;
use p3_domain::deadline::{self, Deadline, DeadlineStatus, DeadlineStep};
use p3_domain::event::ExclusionGround;
use p3_domain::london::london_date;
use p3_domain::note::CaseNote;
use p3_domain::HOUSING_OMBUDSMAN;
use serde::Serialize;
use serde_json::Value;

use super::parts::{LetterView, ResponseView};

/// The staff view of a case.
#[derive(Debug, Serialize)]
pub struct StaffCase<'c> {
    /// `CMP-2026-00001`.
    pub reference: &'c str,
    /// Its version (the ETag).
    pub version: u64,
    /// Where it stands today (`received`, `acknowledged`, `stage2_requested`…).
    pub status: String,
    /// The stage it is at.
    pub stage: u8,
    /// The complaints procedure it follows.
    pub procedure: &'c str,
    /// How it came in.
    pub channel: &'c Channel,
    /// What it is about.
    pub category: &'c Option<String>,
    /// The resident's tenure.
    pub tenure: &'c Tenure,
    /// The complaint in the resident's words.
    pub description: &'c str,
    /// What the resident wants.
    pub desired_outcome: &'c Option<String>,
    /// The resident's name.
    pub name: &'c Option<String>,
    /// Their email.
    pub email: &'c Option<String>,
    /// Their phone.
    pub phone: &'c Option<String>,
    /// Their address.
    pub address: &'c Option<String>,
    /// Their postcode.
    pub postcode: &'c Option<String>,
    /// Their tenancy reference.
    pub tenancy_reference: &'c Option<String>,
    /// Someone acting for the resident, by name.
    pub representative_name: Option<&'c str>,
    /// And how they are related.
    pub representative_relationship: Option<&'c String>,
    /// When it was received.
    pub received_at: DateTime<Utc>,
    /// The London date it was received.
    pub received_on: NaiveDate,
    /// The service request it grew out of.
    pub service_request: &'c Option<String>,
    /// Resolved when it was received.
    pub resolved_at_first_contact: bool,
    /// Its Investigating Manager.
    pub owner: Option<&'c str>,
    /// Its Stage 2 reviewer.
    pub reviewer: Option<&'c str>,
    /// The points of the complaint as acknowledged at Stage 1.
    pub complaint_points: &'c [String],
    /// Every deadline and where it stands.
    pub deadlines: Vec<Deadline>,
    /// The landlord's next deadline.
    pub next_deadline: Option<Deadline>,
    /// Each stage.
    pub stages: Vec<StageView<'c>>,
    /// Each stage's response.
    pub responses: Vec<ResponseView<'c>>,
    /// Whether the Stage 2 request came after its window.
    pub stage2_request_late: Option<bool>,
    /// The resident's withdrawal.
    pub withdrawal: &'c Option<Withdrawal>,
    /// A refusal on an exclusion ground.
    pub refusal: Option<RefusalView<'c>>,
    /// What the Ombudsman did.
    pub ombudsman: &'c [OmbudsmanRecord],
    /// How to reach the Housing Ombudsman, once the resident may go there.
    pub housing_ombudsman: Option<&'static str>,
    /// Everything that happened, as events (without the complaint's own fields).
    pub history: Vec<Value>,
    /// Someone acting for the resident.
    pub representative: &'c Option<Representative>,
    /// How the resident wants to hear from the landlord.
    pub contact: &'c ContactPreferences,
    /// The resident's support needs.
    pub needs: &'c Option<SupportNeeds>,
    /// The letters.
    pub letters: Vec<LetterView<'c>>,
    /// What the landlord promised to do.
    pub actions: Vec<ActionView<'c>>,
    /// Offers of compensation.
    pub compensation: Vec<CompensationView<'c>>,
    /// Internal notes, oldest first: staff only, never in the resident's view (left out while
    /// there are none, so earlier answers read as they always have).
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    pub notes: &'c [CaseNote],
    /// What was sent or said outside our letters, in the order logged (left out while empty).
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    pub correspondence: &'c [CorrespondenceEntry],
    /// The files kept with the case, in the order added (left out while there are none).
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    pub attachments: &'c [p3_domain::attachment::Attachment],
    /// The interval of updates agreed with the resident, in working days (left out until one
    /// is agreed).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub update_interval_working_days: Option<u32>,
    /// When the next update to the resident is due (left out when none is: no interval, the
    /// stage not yet acknowledged or already answered).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_update_due: Option<NaiveDate>,
    /// A restriction for unacceptable behaviour, in force or lifted (left out when none).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub restriction: Option<&'c p3_domain::restriction::Restriction>,
}

/// One stage of a case.
#[derive(Debug, Serialize)]
pub struct StageView<'c> {
    /// Its number.
    pub stage: u8,
    /// Receipt or request.
    pub started_at: DateTime<Utc>,
    /// Its London date.
    pub started_on: NaiveDate,
    /// The request, for later stages.
    pub request: &'c Option<StageRequest>,
    /// When it was acknowledged.
    pub acknowledged_at: Option<DateTime<Utc>>,
    /// Who handles it.
    pub handler: Option<&'c String>,
    /// The points as acknowledged.
    pub complaint_points: &'c [String],
    /// What the landlord is responsible for (left out when not recorded).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub responsible_for: Option<&'c String>,
    /// What the landlord is not responsible for (left out when not recorded).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub not_responsible_for: Option<&'c String>,
    /// Extensions agreed.
    pub extensions: &'c [p3_domain::case::Extension],
    /// When it was answered.
    pub responded_at: Option<DateTime<Utc>>,
    /// Changes of the points.
    pub point_revisions: &'c [PointsRevision],
    /// Changes of handler.
    pub reassignments: &'c [Reassignment],
}

impl<'c> StageView<'c> {
    fn of(s: &'c StageRecord) -> Self {
        let ack = s.acknowledgement.as_ref();
        StageView {
            stage: s.number,
            started_at: s.started_at,
            started_on: s.started_on(),
            request: &s.request,
            acknowledged_at: ack.map(|a| a.at),
            handler: ack.map(|a| &a.handler),
            complaint_points: ack.map(|a| a.complaint_points.as_slice()).unwrap_or(&[]),
            responsible_for: ack.and_then(|a| a.responsible_for.as_ref()),
            not_responsible_for: ack.and_then(|a| a.not_responsible_for.as_ref()),
            extensions: &s.extensions,
            responded_at: s.response.as_ref().map(|r| r.at),
            point_revisions: &s.point_revisions,
            reassignments: &s.reassignments,
        }
    }
}

/// A refusal, with where the resident may go next.
#[derive(Debug, Serialize)]
pub struct RefusalView<'c> {
    /// When.
    pub at: DateTime<Utc>,
    /// At which stage.
    pub stage: u8,
    /// The ground.
    pub ground: &'c ExclusionGround,
    /// What the resident was told.
    pub explanation: &'c str,
    /// How to reach the Housing Ombudsman.
    pub housing_ombudsman: &'static str,
}

/// A promised action and where its deadline stands.
#[derive(Debug, Serialize)]
pub struct ActionView<'c> {
    /// Its number on the case.
    pub number: u16,
    /// `response` or `ombudsman_order`.
    pub source: &'static str,
    /// The stage whose response promised it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub response_stage: Option<u8>,
    /// What.
    pub description: &'c str,
    /// Who does it.
    pub owner: &'c str,
    /// By when.
    pub due: NaiveDate,
    /// At which stage.
    pub stage: u8,
    /// When it was promised.
    pub promised_at: DateTime<Utc>,
    /// Where its deadline stands.
    pub status: Option<DeadlineStatus>,
    /// When and how it was done.
    pub completed: &'c Option<Completion>,
}

impl<'c> ActionView<'c> {
    fn of(a: &'c TrackedAction, deadlines: &[Deadline]) -> Self {
        let (source, response_stage) = match a.source {
            ActionSource::Response { stage } => ("response", Some(stage)),
            _ => ("ombudsman_order", None),
        };
        ActionView {
            number: a.number,
            source,
            response_stage,
            description: &a.description,
            owner: &a.owner,
            due: a.due,
            stage: a.stage,
            promised_at: a.promised_at,
            status: deadlines
                .iter()
                .find(|d| d.kind.step == DeadlineStep::Action(a.number))
                .map(|d| d.status),
            completed: &a.completed,
        }
    }
}

/// An offer of compensation and where it stands.
#[derive(Debug, Serialize)]
pub struct CompensationView<'c> {
    /// Its number on the case.
    pub number: u16,
    /// In pence.
    pub amount_pence: u64,
    /// In pounds, as written (`£50.00`).
    pub amount: String,
    /// Why.
    pub reason: &'c str,
    /// At which stage.
    pub stage: Option<u8>,
    /// `offered`, `accepted`, `declined`, `paid`.
    pub state: &'static str,
    /// When it was offered.
    pub offered_at: DateTime<Utc>,
    /// When the resident answered.
    pub answered_at: Option<DateTime<Utc>>,
    /// Whether they accepted.
    pub accepted: Option<bool>,
    /// When it was paid.
    pub paid_at: Option<DateTime<Utc>>,
    /// The payment's reference.
    pub payment_reference: Option<&'c String>,
}

impl<'c> CompensationView<'c> {
    fn of(o: &'c CompensationOffer) -> Self {
        CompensationView {
            number: o.number,
            amount_pence: o.amount_pence,
            amount: p3_domain::casefile::pounds(o.amount_pence),
            reason: &o.reason,
            stage: o.stage,
            state: o.state(),
            offered_at: o.offered_at,
            answered_at: o.answer.map(|(at, _)| at),
            accepted: o.answer.map(|(_, yes)| yes),
            paid_at: o.paid.as_ref().map(|(at, _)| *at),
            payment_reference: o.paid.as_ref().and_then(|(_, r)| r.as_ref()),
        }
    }
}

fn history(case: &Case) -> Vec<Value> {
    case.history
        .iter()
        .map(|e| {
            let mut v = serde_json::to_value(e).unwrap_or(Value::Null);
            if let Some(o) = v.as_object_mut() {
                // The complaint's own fields are shown once, at the top; the code's hash never.
                o.remove("complaint");
                o.remove("access_code_hash");
            }
            v
        })
        .collect()
}

impl<'c> StaffCase<'c> {
    /// The case as staff see it on `now`; `sent` holds the ids of the letter emails that have
    /// gone (see [`super::sent_letter_copies`]).
    pub fn of(case: &'c Case, rules: &Rules, now: DateTime<Utc>, sent: &HashSet<String>) -> Self {
        Self::build(case, rules, now, sent, true)
    }

    /// The view for the case page, which shows the history from the case's typed events: its
    /// `history` is left empty (it is the JSON's copy of them).
    pub fn for_page(
        case: &'c Case,
        rules: &Rules,
        now: DateTime<Utc>,
        sent: &HashSet<String>,
    ) -> Self {
        Self::build(case, rules, now, sent, false)
    }

    fn build(
        case: &'c Case,
        rules: &Rules,
        now: DateTime<Utc>,
        sent: &HashSet<String>,
        with_history: bool,
    ) -> Self {
        let today = london_date(now);
        let policy = rules.policy_of(case).ok();
        let deadlines = policy
            .map(|p| deadline::deadlines(case, p, &rules.calendar, today))
            .unwrap_or_default();
        let status = policy
            .map(|p| case.status(p, &rules.calendar, today).name())
            .unwrap_or_else(|| "unknown".into());
        let r = &case.complaint.resident;
        let representative = case.complaint.representative.as_ref();
        let closed = status == "closed";
        let next_deadline = deadline::next_landlord_deadline(&deadlines).cloned();
        StaffCase {
            reference: &case.reference,
            version: case.version,
            stage: case.current_stage().number,
            procedure: &case.procedure,
            channel: &case.complaint.channel,
            category: &case.complaint.category,
            tenure: &case.complaint.tenure,
            description: &case.complaint.description,
            desired_outcome: &case.complaint.desired_outcome,
            name: &r.name,
            email: &r.email,
            phone: &r.phone,
            address: &r.address,
            postcode: &r.postcode,
            tenancy_reference: &r.tenancy_reference,
            representative_name: representative.map(|x| x.name.as_str()),
            representative_relationship: representative.and_then(|x| x.relationship.as_ref()),
            received_at: case.received_at,
            received_on: case.received_on(),
            service_request: &case.service_request,
            resolved_at_first_contact: case.resolved_at_first_contact(),
            owner: case.owner(),
            reviewer: case.reviewer().or_else(|| {
                case.stage(2)
                    .and_then(|s| s.acknowledgement.as_ref())
                    .map(|a| a.handler.as_str())
            }),
            complaint_points: case
                .stage(1)
                .and_then(|s| s.acknowledgement.as_ref())
                .map(|a| a.complaint_points.as_slice())
                .unwrap_or(&[]),
            next_deadline,
            stages: case.stages.iter().map(StageView::of).collect(),
            responses: ResponseView::all(case, true),
            stage2_request_late: case
                .stage(2)
                .and_then(|s| s.request.as_ref())
                .map(|r| r.late),
            withdrawal: &case.withdrawal,
            refusal: case.refusal.as_ref().map(|x| RefusalView {
                at: x.at,
                stage: x.stage,
                ground: &x.ground,
                explanation: &x.explanation,
                housing_ombudsman: HOUSING_OMBUDSMAN,
            }),
            ombudsman: &case.ombudsman,
            housing_ombudsman: (closed || case.refusal.is_some() || !case.ombudsman.is_empty())
                .then_some(HOUSING_OMBUDSMAN),
            history: if with_history {
                history(case)
            } else {
                Vec::new()
            },
            representative: &case.complaint.representative,
            contact: &case.contact,
            needs: &case.needs,
            letters: LetterView::all(case, Some(sent)),
            actions: case
                .actions
                .iter()
                .map(|a| ActionView::of(a, &deadlines))
                .collect(),
            compensation: case.compensation.iter().map(CompensationView::of).collect(),
            notes: &case.notes,
            correspondence: &case.correspondence,
            attachments: &case.attachments,
            update_interval_working_days: case.update_interval,
            next_update_due: p3_domain::updates::next_update_due(case, rules),
            restriction: case.restriction.as_ref(),
            status,
            deadlines,
        }
    }
}
