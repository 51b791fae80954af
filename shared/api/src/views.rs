//! How a case looks from outside: the staff view (everything, minus secrets) and the
//! resident's view (their own case's stage, dates and responses).

use chrono::{DateTime, Utc};
use p3_domain::case::{Case, IssuedResponse, Rules};
use p3_domain::deadline::{self, DeadlineStep};
use p3_domain::london::london_date;
use p3_domain::HOUSING_OMBUDSMAN;
use serde_json::{json, Value};

fn response_json(stage: u8, r: &IssuedResponse) -> Value {
    json!({
        "stage": stage,
        "issued_at": r.at,
        "issued_on": london_date(r.at),
        "issued_by": r.by,
        "first_contact_resolution": r.first_contact,
        "outcome": r.response.outcome,
        "summary": r.response.summary,
        "remedy": r.response.remedy,
        "point_decisions": r.response.point_decisions,
        "actions": r.response.actions,
        "housing_ombudsman": HOUSING_OMBUDSMAN,
    })
}

fn history_json(case: &Case) -> Vec<Value> {
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

/// The whole case for staff.
pub fn staff_case(case: &Case, rules: &Rules, now: DateTime<Utc>) -> Value {
    let today = london_date(now);
    let policy = rules.policy_of(case).ok();
    let deadlines = policy
        .map(|p| deadline::deadlines(case, p, &rules.calendar, today))
        .unwrap_or_default();
    let status = policy
        .map(|p| case.status(p, &rules.calendar, today).name())
        .unwrap_or_else(|| "unknown".into());
    let r = &case.complaint.resident;
    let stage1 = case.stage(1);
    let closed = status == "closed";
    let next = deadline::next_landlord_deadline(&deadlines).cloned();
    json!({
        "reference": case.reference,
        "version": case.version,
        "status": status,
        "stage": case.current_stage().number,
        "procedure": case.procedure,
        "channel": case.complaint.channel,
        "category": case.complaint.category,
        "tenure": case.complaint.tenure,
        "description": case.complaint.description,
        "desired_outcome": case.complaint.desired_outcome,
        "name": r.name,
        "email": r.email,
        "phone": r.phone,
        "address": r.address,
        "postcode": r.postcode,
        "tenancy_reference": r.tenancy_reference,
        "representative_name": case.complaint.representative.as_ref().map(|x| &x.name),
        "representative_relationship": case.complaint.representative.as_ref().and_then(|x| x.relationship.as_ref()),
        "received_at": case.received_at,
        "received_on": case.received_on(),
        "service_request": case.service_request,
        "resolved_at_first_contact": case.resolved_at_first_contact(),
        "owner": case.owner(),
        "reviewer": case.reviewer().or_else(|| case.stage(2).and_then(|s| s.acknowledgement.as_ref()).map(|a| a.handler.as_str())),
        "complaint_points": stage1.and_then(|s| s.acknowledgement.as_ref()).map(|a| a.complaint_points.clone()).unwrap_or_default(),
        "deadlines": deadlines,
        "next_deadline": next,
        "stages": case.stages.iter().map(|s| json!({
            "stage": s.number,
            "started_at": s.started_at,
            "started_on": s.started_on(),
            "request": s.request,
            "acknowledged_at": s.acknowledgement.as_ref().map(|a| a.at),
            "handler": s.acknowledgement.as_ref().map(|a| &a.handler),
            "complaint_points": s.acknowledgement.as_ref().map(|a| a.complaint_points.clone()).unwrap_or_default(),
            "extensions": s.extensions,
            "responded_at": s.response.as_ref().map(|r| r.at),
        })).collect::<Vec<_>>(),
        "responses": case.stages.iter().filter_map(|s| s.response.as_ref().map(|r| response_json(s.number, r))).collect::<Vec<_>>(),
        "stage2_request_late": case.stage(2).and_then(|s| s.request.as_ref()).map(|r| r.late),
        "withdrawal": case.withdrawal,
        "refusal": case.refusal.as_ref().map(|x| json!({
            "at": x.at, "stage": x.stage, "ground": x.ground, "explanation": x.explanation,
            "housing_ombudsman": HOUSING_OMBUDSMAN,
        })),
        "ombudsman": case.ombudsman,
        "housing_ombudsman": if closed || case.refusal.is_some() || !case.ombudsman.is_empty() { Some(HOUSING_OMBUDSMAN) } else { None },
        "history": history_json(case),
    })
}

/// What the resident sees of their own case: no staff names, no internal history.
pub fn resident_case(case: &Case, rules: &Rules, now: DateTime<Utc>) -> Value {
    let today = london_date(now);
    let policy = rules.policy_of(case).ok();
    let deadlines = policy
        .map(|p| deadline::deadlines(case, p, &rules.calendar, today))
        .unwrap_or_default();
    let status = policy
        .map(|p| case.status(p, &rules.calendar, today).name())
        .unwrap_or_else(|| "unknown".into());
    let can_escalate = policy.is_some_and(|p| {
        let s = case.current_stage();
        s.response.is_some()
            && s.number < p.last_stage()
            && case.withdrawal.is_none()
            && case.refusal.is_none()
    });
    let window = deadlines
        .iter()
        .find(|d| {
            d.kind.step == DeadlineStep::RequestWindow
                && d.kind.stage == case.current_stage().number + 1
        })
        .map(|d| d.due);
    json!({
        "reference": case.reference,
        "status": status,
        "stage": case.current_stage().number,
        "received_on": case.received_on(),
        "deadlines": deadlines.iter().filter(|d| d.kind.step != DeadlineStep::ResponseCode).map(|d| json!({
            "kind": d.kind, "due": d.due, "status": d.status,
        })).collect::<Vec<_>>(),
        "responses": case.stages.iter().filter_map(|s| s.response.as_ref().map(|r| {
            let mut v = response_json(s.number, r);
            if let Some(o) = v.as_object_mut() { o.remove("issued_by"); }
            v
        })).collect::<Vec<_>>(),
        "can_request_stage2": can_escalate,
        "stage2_request_by": if can_escalate { window } else { None },
        "housing_ombudsman": HOUSING_OMBUDSMAN,
    })
}
