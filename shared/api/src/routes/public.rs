//! Public routes, no login: the complaint form, its submission (form or JSON), the resident's
//! view of their case with its access code, and their request for the next stage (`stage_request`).

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::Extension;
use http::{HeaderMap, StatusCode};
use p3_domain::access;
use p3_domain::attachment::MAX_RESIDENT_FILES;
use p3_domain::case::CommandError;
use p3_domain::case::{Case, Command, NewCase};
use p3_domain::complaint::{Channel, ComplaintForm};
use p3_domain::event::RequestedThrough;
use p3_domain::policy::HOUSING;
use p3_domain::ports::{ResidentPage, StoredReply};
use p3_domain::resident_asks::AsksForm;
use p3_domain::resident_files::ResidentFiles;
use p3_domain::service::IdempotencyKey;
use p3_domain::service::ServiceError;
use p3_domain::validation::{self, ValidationErrors};
use serde::Deserialize;
use serde_json::json;

use crate::body::{self, wants_html, BodyKind};
use crate::extract::{Path, Query};
use crate::html;
use crate::http::cookies::private_page;
use crate::http::csp::allow_upload_script;
use crate::http::csrf::{csrf_of, form_matches_cookie, set_csrf_cookie};
use crate::http::random::random_hex;
use crate::http::replay::{self, response as reply};
use crate::limit::Allowance;
use crate::problem::Problem;
use crate::views::ResidentCase;
use crate::{views, AppState, ClientAddr};

mod downloads;
pub(crate) mod file_step;
mod pages;
mod stage_request;
pub(crate) mod uploads;

pub(crate) use downloads::resident_file;
pub(crate) use file_step::{complaint_files, stage2_files, stage3_files};
use pages::{case_problem_page, form_page_for, next_stage_timescales, too_many_page, Limited};
pub(crate) use stage_request::{request_stage2, request_stage3, stage2_page, stage3_page};

type Result<T> = std::result::Result<T, Problem>;

fn client(addr: Option<Extension<ClientAddr>>) -> String {
    addr.map(|Extension(a)| crate::limit::client_key(&a.0))
        .unwrap_or_else(|| "unknown".into())
}

/// `GET /?attachments=`: the complaint form, whatever the Accept header, with the files the
/// files step carried to it (`file_step`).
pub(crate) async fn form(
    State(st): State<AppState>,
    axum::extract::RawQuery(q): axum::extract::RawQuery,
    headers: HeaderMap,
) -> Result<Response> {
    let csrf = csrf_of(&headers);
    let mut page = form_page_for(
        &st,
        csrf.clone(),
        random_hex(16),
        Default::default(),
        Default::default(),
    );
    let slots = file_step::slots_in(&file_step::query_pairs(q.as_deref()));
    page.files = file_step::carried_files(st.inbox.as_ref(), &slots).await?;
    let mut res = allow_upload_script(
        html::form_response(StatusCode::OK, &page),
        st.inbox.as_ref(),
    );
    if !page.files.is_empty() {
        res = private_page(res);
    }
    set_csrf_cookie(&st, &headers, &mut res, &csrf);
    Ok(res)
}

fn form_field(fields: &[(String, String)], name: &str) -> Option<String> {
    fields
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.clone())
}

/// The optional questions of the public form, from its fields (the consent is a checkbox).
fn asks_of_form(get: &dyn Fn(&str) -> Option<String>) -> AsksForm {
    AsksForm {
        representative_name: get("representative_name"),
        representative_relationship: get("representative_relationship"),
        representative_email: get("representative_email"),
        representative_address: get("representative_address"),
        representative_consent: get("representative_consent").map(|v| v == "true"),
        adjustments: get("adjustments"),
        contact_method: get("contact_method"),
        letter_format: get("letter_format"),
        language: get("language"),
    }
}

/// `POST /complaints`: a new complaint from the public form (303 to the confirmation page) or
/// as JSON (201 with the case and its access code).
pub(crate) async fn submit(
    State(st): State<AppState>,
    addr: Option<Extension<ClientAddr>>,
    request: axum::extract::Request,
) -> Result<Response> {
    let headers = request.headers().clone();
    let with_files = crate::http::multipart::is_multipart(&headers);
    let kind = if with_files {
        Some(BodyKind::Form)
    } else {
        body::kind_of(&headers)
    };
    let kind = kind.ok_or_else(|| {
        Problem::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported-media-type",
            "Send the complaint as application/json or a form",
        )
    })?;
    let who = client(addr);
    match st.form_limit.take(&who).await {
        Ok(Allowance::Refused { wait }) => {
            if kind == BodyKind::Form && wants_html(&headers) {
                return Ok(too_many_page(&st, wait, Limited::Form));
            }
            return Err(Problem::too_many(wait));
        }
        Ok(Allowance::Allowed { left: 0 }) => {
            tracing::warn!(client = %who, "complaints from this client reached the form's limit");
        }
        Ok(Allowance::Allowed { .. }) => {}
        // Fail open: a limit that cannot be counted must not turn away every resident (the
        // block for all the per-client limit exists to avoid). The route's throttle and the
        // optional WAF rule still hold a flood back, and the complaint itself needs the store.
        Err(e) => tracing::warn!(error = %e, "the public form's limit was not applied"),
    }
    let (raw, mut posted) = read_form(&headers, request, with_files).await?;
    let (form, asks, idem_key, is_form, csrf, slots) = match kind {
        BodyKind::Json => {
            // The public route takes the complaint's own fields and the optional questions
            // (representative, adjustments, contact) and ignores any others.
            let f: ComplaintForm = body::parse_json(&raw)?;
            let a: AsksForm = body::parse_json(&raw)?;
            let slots = uploads::slots_of(&raw)?;
            let key = crate::routes::json::staff::idempotency_header(&headers)?;
            (f, a, key, false, None, slots)
        }
        BodyKind::Form => {
            let fields = std::mem::take(&mut posted.fields);
            let get = |n: &str| form_field(&fields, n);
            let f = ComplaintForm {
                name: get("name"),
                email: get("email"),
                phone: get("phone"),
                address: get("address"),
                postcode: get("postcode"),
                tenancy_reference: get("tenancy_reference"),
                description: get("description"),
                desired_outcome: get("desired_outcome"),
                category: get("category"),
                tenure: get("tenure"),
            };
            let a = asks_of_form(&get);
            let key = crate::routes::json::staff::idempotency_header(&headers)?
                .or_else(|| get("idempotency_key"));
            let csrf = Some(get("csrf_token").unwrap_or_default());
            (f, a, key, true, csrf, uploads::slots_posted(&fields))
        }
    };
    if let Some(token) = &csrf {
        let ok = form_matches_cookie(&headers, token);
        if !ok {
            return Ok(html::message_response(
                StatusCode::FORBIDDEN,
                "Your session has expired",
                "For your security, please go back to the complaint form, reload it, and send your complaint again.",
                &st.service.settings.landlord,
                "/",
                "Go to the complaint form",
            ));
        }
    }
    let values = form.clone();
    let asked = asks.clone();
    let (values_again, asked_again, key_again) = (values.clone(), asked.clone(), idem_key.clone());
    let email = validation::clean(form.email.clone());
    let checked = match (
        form.validate(Channel::Web, &st.service.settings.categories),
        asks.validate(email.as_deref()),
    ) {
        (Ok(d), Ok(a)) => Ok((d, a)),
        (Err(e), Ok(_)) | (Ok(_), Err(e)) => Err(e),
        (Err(mut e), Err(more)) => {
            e.errors.extend(more.errors);
            Err(e)
        }
    };
    let (details, asks) = match checked {
        Ok(ok) => ok,
        Err(errors) if is_form => {
            let mut page = form_page_for(
                &st,
                csrf.unwrap_or_default(),
                idem_key.unwrap_or_else(|| random_hex(16)),
                values,
                errors,
            );
            page.asks = asked;
            page.files = file_step::carried_files(st.inbox.as_ref(), &slots).await?;
            return Ok(allow_upload_script(
                html::form_response(StatusCode::UNPROCESSABLE_ENTITY, &page),
                st.inbox.as_ref(),
            ));
        }
        Err(errors) => return Err(Problem::invalid(errors)),
    };
    let idem = match idem_key
        .map(|k| k.trim().to_string())
        .filter(|k| !k.is_empty())
    {
        Some(k) if k.len() > 200 => {
            return Err(Problem::field(
                "Idempotency-Key",
                "must be 1 to 200 characters",
            ))
        }
        Some(k) => Some(IdempotencyKey {
            key: format!("public POST /complaints {k}"),
            fingerprint: body::fingerprint(
                "POST",
                "/complaints",
                if is_form { b"form" } else { &raw },
            ),
        }),
        None => None,
    };
    let new = NewCase {
        procedure: HOUSING.into(),
        complaint: details,
        service_request: None,
        access_code_hash: None,
        first_contact_resolution: None,
    };
    let rules = st.service.rules.clone();
    let clock = st.service.clock.clone();
    let render = move |c: &Case, code: &str| {
        if is_form {
            StoredReply::ToResident {
                reference: c.reference.clone(),
                access_code: code.to_string(),
                page: ResidentPage::Confirmation,
            }
        } else {
            let mut v = views::resident_case(c, &rules, clock.now());
            v["access_code"] = json!(code);
            StoredReply::Created(replay::view(&c.reference, None, &v))
        }
    };
    let slots_sent = slots.clone();
    let files = ResidentFiles {
        inbox: st.inbox.as_ref(),
        store: st.attachments.as_ref(),
        slots,
        sent: posted.files,
    };
    let result = st
        .service
        .create_case_with_files(new, asks, files, idem.as_ref(), &render)
        .await;
    let w = match result {
        Ok(w) => w,
        Err(ServiceError::Command(CommandError::Invalid(errors))) if is_form => {
            let kept = file_step::kept_after(&slots_sent, &errors);
            let mut page = form_page_for(
                &st,
                csrf.unwrap_or_default(),
                key_again.unwrap_or_else(|| random_hex(16)),
                values_again,
                uploads::on_the_page(errors),
            );
            page.asks = asked_again;
            page.files = file_step::carried_files(st.inbox.as_ref(), &kept).await?;
            return Ok(allow_upload_script(
                html::form_response(StatusCode::UNPROCESSABLE_ENTITY, &page),
                st.inbox.as_ref(),
            ));
        }
        Err(e) => return Err(e.into()),
    };
    if let Some(c) = &w.case {
        tracing::info!(reference = %c.reference, channel = "web", "complaint received");
    }
    Ok(private_page(reply(w.reply)))
}

/// A form's fields and files: read as `multipart/form-data` (the pages' forms, with up to
/// five files) or as its raw body (JSON or a URL-encoded form, whose fields are parsed here).
async fn read_form(
    headers: &HeaderMap,
    request: axum::extract::Request,
    with_files: bool,
) -> Result<(bytes::Bytes, uploads::Posted)> {
    if with_files {
        let form = crate::http::multipart::read(request, MAX_RESIDENT_FILES).await?;
        return Ok((bytes::Bytes::new(), uploads::Posted::of(form)));
    }
    let raw = body::read_limited(headers, request.into_body()).await?;
    let fields = if body::kind_of(headers) == Some(BodyKind::Form) {
        form_urlencoded::parse(&raw).into_owned().collect()
    } else {
        Vec::new()
    };
    Ok((
        raw,
        uploads::Posted {
            fields,
            files: Vec::new(),
        },
    ))
}

#[derive(Deserialize)]
pub(crate) struct CodeQuery {
    code: Option<String>,
}

/// Loads a case only if the code matches; anything else is the same 404, so a stranger
/// cannot tell whether a reference exists. The right code always opens its case, however many
/// wrong guesses came before; a wrong guess counts against its client and its reference, and
/// over either limit is answered 429 instead of 404 (see `docs/network.md` for why every
/// attempt is still checked).
async fn case_with_code(
    st: &AppState,
    who: &str,
    reference: &str,
    code: Option<&str>,
) -> Result<Case> {
    let case = match code {
        Some(code) if !code.trim().is_empty() && reference.len() <= 40 => st
            .service
            .store
            .load(reference)
            .await
            .map_err(p3_domain::service::ServiceError::from)?,
        _ => None,
    };
    let ok = case.filter(|c| {
        let stored = c.access_code_hash.as_deref().unwrap_or("");
        access::verify(code.unwrap_or(""), stored) && !stored.is_empty()
    });
    match ok {
        Some(c) => Ok(c),
        None => Err(wrong_guess(st, who, reference).await),
    }
}

/// What a wrong code (or an unknown reference) answers: 404 while its client and its reference
/// are within their limits of wrong guesses, else 429. Only wrong guesses are counted, after
/// the code is checked, so the right code always opens its case, however many wrong ones came
/// before. The client's limit is taken first, so a client over its own limit cannot use up a
/// resident's reference.
async fn wrong_guess(st: &AppState, who: &str, reference: &str) -> Problem {
    let client_key = format!("client {who}");
    match guess_allowed(st, &client_key).await {
        Ok(Allowance::Refused { wait }) | Err(wait) => return Problem::too_many(wait),
        Ok(Allowance::Allowed { left: 0 }) => {
            tracing::warn!(client = %who, "wrong access codes from this client reached the limit");
        }
        Ok(Allowance::Allowed { .. }) => {}
    }
    let reference: String = reference
        .trim()
        .to_ascii_uppercase()
        .chars()
        .take(40)
        .collect();
    let key = format!("reference {reference}");
    match guess_allowed(st, &key).await {
        Ok(Allowance::Refused { wait }) | Err(wait) => Problem::too_many(wait),
        Ok(Allowance::Allowed { left: 0 }) => {
            // Once per filling of the allowance, not per guess: an attack must not flood the log.
            tracing::warn!(%reference, "wrong access codes for this reference reached the limit");
            Problem::not_found()
        }
        Ok(Allowance::Allowed { .. }) => Problem::not_found(),
    }
}

/// How long a wrong guess is told to wait when its limit cannot be counted.
const UNCOUNTED_GUESS_WAIT: u64 = 60;

/// Counts one wrong guess; `Err(wait)` when the count is unavailable. Fail closed: an access
/// code is all that guards a resident's case, and an outage of the count (one an attacker might
/// provoke) must not open unlimited guessing. It costs residents nothing, since the right code
/// never reaches the limit: a mistyped one is answered 429 instead of 404 for a while.
async fn guess_allowed(st: &AppState, key: &str) -> std::result::Result<Allowance, u64> {
    st.code_limit.take(key).await.map_err(|e| {
        tracing::warn!(error = %e, "a wrong access code was refused: its limit could not be counted");
        UNCOUNTED_GUESS_WAIT
    })
}

/// `GET /complaints/{reference}?code=`: the resident's view (HTML for browsers, else JSON).
pub(crate) async fn resident_view(
    State(st): State<AppState>,
    addr: Option<Extension<ClientAddr>>,
    Path(reference): Path<String>,
    Query(q): Query<CodeQuery>,
    headers: HeaderMap,
) -> Result<Response> {
    let who = client(addr);
    let case = match case_with_code(&st, &who, &reference, q.code.as_deref()).await {
        Ok(c) => c,
        Err(p) if wants_html(&headers) && matches!(p.status, 404 | 429) => {
            return Ok(case_problem_page(&st, p))
        }
        Err(p) => return Err(p),
    };
    let view = ResidentCase::of(&case, &st.service.rules, st.service.clock.now());
    if wants_html(&headers) {
        let csrf = csrf_of(&headers);
        let res = html::case_response(
            &view,
            q.code.as_deref().unwrap_or(""),
            &csrf,
            &st.service.settings.landlord,
        );
        // The review request form (and so the upload script) only while a review can be asked.
        let mut res = if view.can_request_stage2 {
            allow_upload_script(res, st.inbox.as_ref())
        } else {
            res
        };
        set_csrf_cookie(&st, &headers, &mut res, &csrf);
        return Ok(res);
    }
    Ok(private_page(axum::Json(views::json(&view)).into_response()))
}

/// `GET /complaints/{reference}/confirmation?code=`: what the resident sees after sending the form.
pub(crate) async fn confirmation(
    State(st): State<AppState>,
    addr: Option<Extension<ClientAddr>>,
    Path(reference): Path<String>,
    Query(q): Query<CodeQuery>,
    headers: HeaderMap,
) -> Result<Response> {
    let who = client(addr);
    let case = match case_with_code(&st, &who, &reference, q.code.as_deref()).await {
        Ok(c) => c,
        Err(p) if wants_html(&headers) && matches!(p.status, 404 | 429) => {
            return Ok(case_problem_page(&st, p))
        }
        Err(p) => return Err(p),
    };
    let view = ResidentCase::of(&case, &st.service.rules, st.service.clock.now());
    Ok(html::confirmation_response(
        &view,
        q.code.as_deref().unwrap_or(""),
        &st.service.settings.landlord,
    ))
}
