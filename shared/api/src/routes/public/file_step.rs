//! Residents' files without JavaScript (issue 15 items 5 and 7): the files step. Without the
//! upload script a page's form would post its files through the service, which on AWS takes
//! about 4.5 MB in all (API Gateway and Lambda). So each page that takes files links to a step
//! of its own (`GET /complaints/files` for the complaint form, `GET
//! /complaints/{reference}/stage2/files?code=` and `/stage3/files` for a review request) where
//! each file is posted by a form that IS an upload inbox form (an S3 presigned POST on AWS,
//! `POST /uploads/{slot}` locally), one file at a time, up to five of 10 MB. The inbox sends
//! the browser back to the step with the new slot added to the `attachments` in its address;
//! the step lists what arrived (name and size, [`UploadInbox::describe`]) and "Continue"
//! carries the slots to the form, which posts only text and slot names, as the script does.
//! Files come first, so nothing typed is lost. Slot ids are unguessable and are the only thing
//! about a file an address carries (every page answers `Referrer-Policy: no-referrer`); S3
//! adds the object's key, which ends with the file's name, to its redirect, so the step sends
//! the browser on to its own address without it.

use axum::extract::RawQuery;
use chrono::Duration;
use p3_domain::attachment::{new_id, size_label, MAX_RESIDENT_FILES};
use p3_domain::inbox::{carried_slots, UploadInbox, FORM_LIFETIME_MINUTES};
use p3_domain::ports::StoreError;

use super::*;
use crate::html::{request_files_step, with_slots, CarriedFile, FilesStep, StepFile};
use crate::http::csp::allow_inbox_forms;

/// What S3 adds to a form's redirect once the file is in: `key` ends with the file's name.
const FROM_S3: [&str; 3] = ["bucket", "key", "etag"];

/// A query string's pairs, decoded.
pub(crate) fn query_pairs(raw: Option<&str>) -> Vec<(String, String)> {
    form_urlencoded::parse(raw.unwrap_or("").as_bytes())
        .into_owned()
        .collect()
}

/// The slots a page's address carries (`attachments`), cleaned ([`carried_slots`]).
pub(crate) fn slots_in(pairs: &[(String, String)]) -> Vec<String> {
    carried_slots(
        pairs
            .iter()
            .filter(|(k, _)| k == p3_domain::resident_files::FIELD)
            .map(|(_, v)| v.as_str()),
    )
}

/// The files that arrived in `slots`, in order; a slot that holds nothing (expired, swept, or
/// never filled) is left out.
pub(crate) async fn carried_files(
    inbox: &dyn UploadInbox,
    slots: &[String],
) -> Result<Vec<CarriedFile>> {
    let mut files = Vec::new();
    for slot in carried_slots(slots.iter().map(String::as_str)) {
        let arrived = inbox.describe(&slot).await.or_else(|e| match e {
            StoreError::Refused(_) => Ok(None),
            e => Err(ServiceError::from(e)),
        })?;
        if let Some(a) = arrived {
            files.push(CarriedFile {
                slot,
                filename: a.filename,
                size: size_label(a.size),
            });
        }
    }
    Ok(files)
}

/// The slots a form sent that are still worth carrying once the request was refused with
/// `errors`: those whose own file (`attachments[i]`) was not at fault; none when the fault is
/// with the files as a whole (too many).
pub(crate) fn kept_after(slots: &[String], errors: &ValidationErrors) -> Vec<String> {
    let field = p3_domain::resident_files::FIELD;
    if errors.errors.iter().any(|e| e.field == field) {
        return Vec::new();
    }
    slots
        .iter()
        .enumerate()
        .filter(|(i, _)| errors.message_for(&format!("{field}[{i}]")).is_none())
        .map(|(_, s)| s.clone())
        .collect()
}

/// Which form the files step feeds.
enum Step {
    /// The public complaint form.
    Complaint,
    /// A review request for `stage` of case `reference`, opened with `code`.
    Request {
        reference: String,
        code: String,
        stage: u8,
    },
}

impl Step {
    /// The step's own address carrying `slots`.
    fn page(&self, slots: &[&str]) -> String {
        match self {
            Step::Complaint => with_slots("/complaints/files", slots.iter().copied()),
            Step::Request {
                reference,
                code,
                stage,
            } => {
                let files: Vec<CarriedFile> = slots
                    .iter()
                    .map(|s| CarriedFile {
                        slot: s.to_string(),
                        ..Default::default()
                    })
                    .collect();
                request_files_step(reference, code, *stage, &files)
            }
        }
    }

    /// The form the files go on to, carrying `slots`.
    fn form(&self, slots: &[&str]) -> String {
        match self {
            Step::Complaint => with_slots("/", slots.iter().copied()),
            Step::Request {
                reference,
                code,
                stage,
            } => with_slots(
                &format!(
                    "/complaints/{}/stage{stage}?code={}",
                    html::urlencode(reference),
                    html::urlencode(code)
                ),
                slots.iter().copied(),
            ),
        }
    }
}

/// The files step: what arrived, a form for the next file while fewer than five did, and
/// "Continue" to the form with the slots.
async fn show(st: &AppState, step: Step, pairs: &[(String, String)]) -> Result<Response> {
    let slots = slots_in(pairs);
    let slot_refs: Vec<&str> = slots.iter().map(String::as_str).collect();
    if pairs.iter().any(|(k, _)| FROM_S3.contains(&k.as_str())) {
        return Ok(private_page(crate::http::download::see_other(
            &step.page(&slot_refs),
        )));
    }
    let files = carried_files(st.inbox.as_ref(), &slots).await?;
    let arrived: Vec<&str> = files.iter().map(|f| f.slot.as_str()).collect();
    let upload = if files.len() < MAX_RESIDENT_FILES {
        let slot = new_id(st.service.random.bytes10());
        let mut next = arrived.clone();
        next.push(&slot);
        // Back to this step with the new slot, once the file is in (S3 wants a full address).
        let redirect = format!(
            "{}{}",
            st.service.settings.base_url.trim_end_matches('/'),
            step.page(&next)
        );
        let expires_at = st.service.clock.now() + Duration::minutes(FORM_LIFETIME_MINUTES);
        match st.inbox.form(&slot, expires_at, Some(&redirect)).await {
            Ok(form) => Some(form),
            Err(StoreError::Refused(why)) => {
                tracing::warn!(%why, "the files step has no upload form");
                None
            }
            Err(e) => return Err(ServiceError::from(e).into()),
        }
    } else {
        None
    };
    let (reference, sent_with, back_text) = match &step {
        Step::Complaint => (None, "your complaint", "Back to the complaint form"),
        Step::Request { reference, .. } => (
            Some(reference.as_str()),
            "your request for a review",
            "Back to your request",
        ),
    };
    let view = FilesStep {
        reference,
        sent_with,
        files: files
            .iter()
            .map(|f| {
                let others: Vec<&str> = arrived.iter().copied().filter(|s| *s != f.slot).collect();
                StepFile {
                    file: f,
                    remove: step.page(&others),
                }
            })
            .collect(),
        upload,
        continue_to: step.form(&arrived),
        back: step.form(&arrived),
        back_text,
    };
    let res = html::files_step_response(&view, &st.service.settings.landlord);
    Ok(private_page(allow_inbox_forms(res, st.inbox.as_ref())))
}

/// `GET /complaints/files?attachments=`: the files step of the complaint form.
pub(crate) async fn complaint_files(
    State(st): State<AppState>,
    RawQuery(q): RawQuery,
) -> Result<Response> {
    show(&st, Step::Complaint, &query_pairs(q.as_deref())).await
}

/// `GET /complaints/{reference}/stage2/files?code=&attachments=`: the files step of the
/// request for the next stage.
pub(crate) async fn stage2_files(
    st: State<AppState>,
    addr: Option<Extension<ClientAddr>>,
    reference: Path<String>,
    q: RawQuery,
) -> Result<Response> {
    request_files(st, addr, reference, q, None).await
}

/// `GET /complaints/{reference}/stage3/files?code=&attachments=`: the files step of the
/// request for Stage 3.
pub(crate) async fn stage3_files(
    st: State<AppState>,
    addr: Option<Extension<ClientAddr>>,
    reference: Path<String>,
    q: RawQuery,
) -> Result<Response> {
    request_files(st, addr, reference, q, Some(3)).await
}

/// The files step of a review request, opened with the case's access code as its page is;
/// while the stage cannot be asked for, the browser is sent to the request page, which says why.
async fn request_files(
    State(st): State<AppState>,
    addr: Option<Extension<ClientAddr>>,
    Path(reference): Path<String>,
    RawQuery(q): RawQuery,
    stage: Option<u8>,
) -> Result<Response> {
    let pairs = query_pairs(q.as_deref());
    let code = pairs
        .iter()
        .find(|(k, _)| k == "code")
        .map(|(_, v)| v.clone());
    let who = client(addr);
    let case = match case_with_code(&st, &who, &reference, code.as_deref()).await {
        Ok(c) => c,
        Err(p) if matches!(p.status, 404 | 429) => return Ok(case_problem_page(&st, p)),
        Err(p) => return Err(p),
    };
    let code = code.unwrap_or_default();
    let view = ResidentCase::of(&case, &st.service.rules, st.service.clock.now());
    let route = stage.unwrap_or(2);
    let stage = stage.unwrap_or(view.stage + 1);
    if !(view.can_request_stage2 && view.stage + 1 == stage) {
        // The request page of the route asked for.
        let page = Step::Request {
            reference: case.reference.clone(),
            code,
            stage: route,
        }
        .form(&[]);
        return Ok(crate::http::download::see_other(&page));
    }
    let step = Step::Request {
        reference: case.reference.clone(),
        code,
        stage,
    };
    show(&st, step, &pairs).await
}
