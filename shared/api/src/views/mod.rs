//! How a case looks from outside: the staff view (everything, minus secrets) and the
//! resident's view (their own case's stage, dates and responses).

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use p3_domain::case::{Case, IssuedResponse, Rules};
use p3_domain::deadline::{self, Deadline, DeadlineStep};
use p3_domain::letter::Delivery;
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

/// The email deliveries of a case's letters that have gone (their ids, see
/// [`p3_domain::letter::LetterRecord::delivery_id`]), as the store records them.
pub async fn sent_letter_copies(
    store: &dyn p3_domain::ports::CaseStore,
    case: &Case,
) -> HashSet<String> {
    let mut sent = HashSet::new();
    for l in &case.letters {
        for (i, a) in l.to.iter().enumerate() {
            if a.delivery != Delivery::Email {
                continue;
            }
            let id = l.delivery_id(&case.reference, i);
            if matches!(store.alert_sent(&id).await, Ok(true)) {
                sent.insert(id);
            }
        }
    }
    sent
}

/// The letters on a case: what each is, to whom it goes and how, and (for staff) whether each
/// emailed copy has gone.
fn letters_json(case: &Case, sent: Option<&HashSet<String>>) -> Vec<Value> {
    case.letters
        .iter()
        .map(|l| {
            let mut v = json!({
                "number": l.number,
                "kind": l.kind,
                "stage": l.stage,
                "issued_at": l.issued_at,
                "issued_on": london_date(l.issued_at),
                "subject": l.subject,
            });
            if let Some(sent) = sent {
                v["url"] = json!(format!(
                    "/staff/complaints/{}/letters/{}",
                    crate::html::urlencode(&case.reference),
                    l.number
                ));
                v["to"] =
                    l.to.iter()
                        .enumerate()
                        .map(|(i, a)| {
                            let mut c = json!({
                                "role": a.role,
                                "name": a.name,
                                "delivery": a.delivery,
                            });
                            if a.delivery == Delivery::Email {
                                c["email"] = json!(a.email);
                                c["email_sent"] =
                                    json!(sent.contains(&l.delivery_id(&case.reference, i)));
                            }
                            c
                        })
                        .collect();
            }
            v
        })
        .collect()
}

fn actions_json(case: &Case, deadlines: &[Deadline]) -> Vec<Value> {
    case.actions
        .iter()
        .map(|a| {
            let status = deadlines
                .iter()
                .find(|d| d.kind.step == DeadlineStep::Action(a.number))
                .map(|d| json!(d.status))
                .unwrap_or(Value::Null);
            let mut v = json!({
                "number": a.number,
                "source": a.source,
                "description": a.description,
                "owner": a.owner,
                "due": a.due,
                "stage": a.stage,
                "promised_at": a.promised_at,
                "status": status,
                "completed": a.completed,
            });
            if let p3_domain::casefile::ActionSource::Response { stage } = a.source {
                v["source"] = json!("response");
                v["response_stage"] = json!(stage);
            } else {
                v["source"] = json!("ombudsman_order");
            }
            v
        })
        .collect()
}

fn compensation_json(case: &Case) -> Vec<Value> {
    case.compensation
        .iter()
        .map(|o| {
            json!({
                "number": o.number,
                "amount_pence": o.amount_pence,
                "amount": p3_domain::casefile::pounds(o.amount_pence),
                "reason": o.reason,
                "stage": o.stage,
                "state": o.state(),
                "offered_at": o.offered_at,
                "answered_at": o.answer.map(|(at, _)| at),
                "accepted": o.answer.map(|(_, yes)| yes),
                "paid_at": o.paid.as_ref().map(|(at, _)| *at),
                "payment_reference": o.paid.as_ref().and_then(|(_, r)| r.clone()),
            })
        })
        .collect()
}

/// The whole case for staff, with no emailed letter marked sent (see [`staff_case_with`]).
pub fn staff_case(case: &Case, rules: &Rules, now: DateTime<Utc>) -> Value {
    staff_case_with(case, rules, now, &HashSet::new())
}

/// The whole case for staff; `sent` holds the ids of the letter emails that have gone (see
/// [`sent_letter_copies`]).
pub fn staff_case_with(
    case: &Case,
    rules: &Rules,
    now: DateTime<Utc>,
    sent: &HashSet<String>,
) -> Value {
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
    let mut v = json!({
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
    });
    v["representative"] = json!(case.complaint.representative);
    v["contact"] = json!(case.contact);
    v["needs"] = json!(case.needs);
    v["letters"] = json!(letters_json(case, Some(sent)));
    v["actions"] = json!(actions_json(case, &deadlines));
    v["compensation"] = json!(compensation_json(case));
    if let Some(stages) = v["stages"].as_array_mut() {
        for (out, s) in stages.iter_mut().zip(&case.stages) {
            out["point_revisions"] = json!(s.point_revisions);
            out["reassignments"] = json!(s.reassignments);
        }
    }
    v
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
        "letters": letters_json(case, None),
        "can_request_stage2": can_escalate,
        "stage2_request_by": if can_escalate { window } else { None },
        "housing_ombudsman": HOUSING_OMBUDSMAN,
    })
}
