//! The resident's request for the next stage, from their case page or its own page:
//! `/complaints/{reference}/stage2` (the next stage, as it always was) and `/stage3` (Stage 3
//! only, for a support-services complaint answered at Stage 2).

use super::*;

/// `GET /complaints/{reference}/stage2?code=`: the page for asking for the next stage (Stage 2,
/// or Stage 3 of a support-services complaint answered at Stage 2).
pub(crate) async fn stage2_page(
    st: State<AppState>,
    addr: Option<Extension<ClientAddr>>,
    reference: Path<String>,
    q: Query<CodeQuery>,
    raw: axum::extract::RawQuery,
    headers: HeaderMap,
) -> Result<Response> {
    stage_page(st, addr, reference, q, raw, headers, Wanted::Next).await
}

/// `GET /complaints/{reference}/stage3?code=`: the page for asking for Stage 3 (the
/// support-services procedure's last stage).
pub(crate) async fn stage3_page(
    st: State<AppState>,
    addr: Option<Extension<ClientAddr>>,
    reference: Path<String>,
    q: Query<CodeQuery>,
    raw: axum::extract::RawQuery,
    headers: HeaderMap,
) -> Result<Response> {
    stage_page(st, addr, reference, q, raw, headers, Wanted::Stage(3)).await
}

/// Which stage a resident's request route asks for: `/stage2` the next one, whatever it is (as
/// it always has), `/stage3` that stage only.
#[derive(Clone, Copy)]
enum Wanted {
    Next,
    Stage(u8),
}

impl Wanted {
    /// The stage the page is about for `case`.
    fn stage(self, case: &Case) -> u8 {
        match self {
            Wanted::Next => case.current_stage().number + 1,
            Wanted::Stage(n) => n,
        }
    }

    /// The domain command asking for it.
    fn command(self, reason: Option<String>) -> Command {
        let through = RequestedThrough::Resident;
        match self {
            Wanted::Next => Command::RequestNextStage { reason, through },
            Wanted::Stage(stage) => Command::RequestStage {
                stage,
                reason,
                through,
            },
        }
    }
}

/// The request page, with the files the files step carried to it (`?attachments=`).
async fn stage_page(
    State(st): State<AppState>,
    addr: Option<Extension<ClientAddr>>,
    Path(reference): Path<String>,
    Query(q): Query<CodeQuery>,
    axum::extract::RawQuery(raw): axum::extract::RawQuery,
    headers: HeaderMap,
    wanted: Wanted,
) -> Result<Response> {
    let who = client(addr);
    let case = match case_with_code(&st, &who, &reference, q.code.as_deref()).await {
        Ok(c) => c,
        Err(p) if matches!(p.status, 404 | 429) => return Ok(case_problem_page(&st, p)),
        Err(p) => return Err(p),
    };
    let view = ResidentCase::of(&case, &st.service.rules, st.service.clock.now());
    let csrf = csrf_of(&headers);
    let slots = super::file_step::slots_in(&super::file_step::query_pairs(raw.as_deref()));
    let carried = super::file_step::carried_files(st.inbox.as_ref(), &slots).await?;
    let form = html::Stage2Form {
        code: q.code.as_deref().unwrap_or(""),
        csrf: &csrf,
        reason: "",
        errors: &ValidationErrors::new(),
        timescales: &next_stage_timescales(&st, &case),
        stage: wanted.stage(&case),
        files: &carried,
    };
    let res = html::stage2_response(StatusCode::OK, &view, &form, &st.service.settings.landlord);
    let mut res = with_form_script(&st, &view, form.stage, res);
    set_csrf_cookie(&st, &headers, &mut res, &csrf);
    Ok(res)
}

/// The page's policy lets the upload script run only when the page shows the request form
/// (the resident can ask for `stage` now); otherwise it keeps the strict one, no script.
fn with_form_script(st: &AppState, view: &ResidentCase, stage: u8, res: Response) -> Response {
    if view.can_request_stage2 && view.stage + 1 == stage {
        allow_upload_script(res, st.inbox.as_ref())
    } else {
        res
    }
}

#[derive(Deserialize, Default)]
struct StageRequestJson {
    reason: Option<String>,
    /// Inbox slots of the files sent with the request (`POST /complaints/uploads`).
    attachments: Option<Vec<String>>,
}

/// `POST /complaints/{reference}/stage2?code=`: the resident asks for the next stage.
pub(crate) async fn request_stage2(
    st: State<AppState>,
    addr: Option<Extension<ClientAddr>>,
    reference: Path<String>,
    q: Query<CodeQuery>,
    request: axum::extract::Request,
) -> Result<Response> {
    request_stage(st, addr, reference, q, request, Wanted::Next).await
}

/// `POST /complaints/{reference}/stage3?code=`: the resident asks for Stage 3; refused (409)
/// unless it is their complaint's next stage.
pub(crate) async fn request_stage3(
    st: State<AppState>,
    addr: Option<Extension<ClientAddr>>,
    reference: Path<String>,
    q: Query<CodeQuery>,
    request: axum::extract::Request,
) -> Result<Response> {
    request_stage(st, addr, reference, q, request, Wanted::Stage(3)).await
}

async fn request_stage(
    State(st): State<AppState>,
    addr: Option<Extension<ClientAddr>>,
    Path(reference): Path<String>,
    Query(q): Query<CodeQuery>,
    request: axum::extract::Request,
    wanted: Wanted,
) -> Result<Response> {
    let route = match wanted {
        Wanted::Next => "stage2".to_string(),
        Wanted::Stage(n) => format!("stage{n}"),
    };
    let who = client(addr);
    let headers = request.headers().clone();
    // A page's form with files comes as multipart; JSON names inbox slots instead.
    let with_files = crate::http::multipart::is_multipart(&headers);
    let (raw, mut posted) = read_form(&headers, request, with_files).await?;
    let mut slots = Vec::new();
    let kind = if with_files {
        Some(BodyKind::Form)
    } else {
        body::kind_of(&headers)
    };
    let (reason, is_form) = match kind {
        Some(BodyKind::Json) => {
            let asked = body::parse_json::<StageRequestJson>(&raw)?;
            slots = asked.attachments.unwrap_or_default();
            (asked.reason, false)
        }
        Some(BodyKind::Form) => {
            let fields = std::mem::take(&mut posted.fields);
            let token = form_field(&fields, "csrf_token").unwrap_or_default();
            if !form_matches_cookie(&headers, &token) {
                if wants_html(&headers) {
                    let back = format!(
                        "/complaints/{}?code={}",
                        html::urlencode(&reference),
                        html::urlencode(q.code.as_deref().unwrap_or(""))
                    );
                    return Ok(html::message_response(
                        StatusCode::FORBIDDEN,
                        "Your session has expired",
                        "For your security, please go back to your complaint, reload the page and ask for a review again.",
                        &st.service.settings.landlord,
                        &back,
                        "Back to your complaint",
                    ));
                }
                return Err(Problem::forbidden(
                    "The form has expired; reload the page and try again",
                ));
            }
            slots = uploads::slots_posted(&fields);
            (form_field(&fields, "reason"), true)
        }
        None if raw.is_empty() => (None, false),
        None => {
            return Err(Problem::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported-media-type",
                "Send application/json or a form",
            ))
        }
    };
    let case = match case_with_code(&st, &who, &reference, q.code.as_deref()).await {
        Ok(c) => c,
        Err(p) if is_form && wants_html(&headers) && matches!(p.status, 404 | 429) => {
            return Ok(case_problem_page(&st, p))
        }
        Err(p) => return Err(p),
    };
    let form_reason = if is_form {
        reason.clone().unwrap_or_default()
    } else {
        String::new()
    };
    let idem = crate::routes::json::staff::idempotency_header(&headers)?.map(|k| IdempotencyKey {
        key: format!("resident POST /complaints/{reference}/{route} {k}"),
        fingerprint: body::fingerprint("POST", &route, &raw),
    });
    let rules = st.service.rules.clone();
    let clock = st.service.clock.clone();
    let code = q.code.clone().unwrap_or_default();
    let reference2 = case.reference.clone();
    let render = move |c: &Case| {
        if is_form {
            StoredReply::ToResident {
                reference: reference2.clone(),
                access_code: code.clone(),
                page: ResidentPage::Case,
            }
        } else {
            let v = views::resident_case(c, &rules, clock.now());
            StoredReply::Created(replay::view(&c.reference, None, &v))
        }
    };
    let cmd = wanted.command(reason);
    let slots_sent = slots.clone();
    let files = ResidentFiles {
        inbox: st.inbox.as_ref(),
        store: st.attachments.as_ref(),
        slots,
        sent: posted.files,
    };
    let result = st
        .service
        .act_with_files(&case.reference, cmd, files, idem.as_ref(), &render)
        .await;
    let w = match result {
        Ok(w) => w,
        Err(e) if is_form && wants_html(&headers) => {
            // The same statuses as the API, with the page instead of problem+json.
            let problem = Problem::from(e);
            let status =
                StatusCode::from_u16(problem.status).unwrap_or(StatusCode::UNPROCESSABLE_ENTITY);
            let mut errors = ValidationErrors::new();
            for fe in &problem.errors {
                errors.add(&fe.field, fe.message.clone());
            }
            let kept = super::file_step::kept_after(&slots_sent, &errors);
            let carried = super::file_step::carried_files(st.inbox.as_ref(), &kept).await?;
            let mut errors = uploads::on_the_page(errors);
            if errors.is_empty() {
                errors.add(
                    "reason",
                    problem
                        .detail
                        .clone()
                        .unwrap_or_else(|| "We could not record your request".into()),
                );
            }
            let view = ResidentCase::of(&case, &st.service.rules, st.service.clock.now());
            let csrf = csrf_of(&headers);
            let form = html::Stage2Form {
                code: q.code.as_deref().unwrap_or(""),
                csrf: &csrf,
                reason: &form_reason,
                errors: &errors,
                timescales: &next_stage_timescales(&st, &case),
                stage: wanted.stage(&case),
                files: &carried,
            };
            let res = html::stage2_response(status, &view, &form, &st.service.settings.landlord);
            let mut res = with_form_script(&st, &view, form.stage, res);
            set_csrf_cookie(&st, &headers, &mut res, &csrf);
            return Ok(res);
        }
        Err(e) => return Err(e.into()),
    };
    tracing::info!(reference = %case.reference, route, "next stage requested by resident");
    Ok(private_page(reply(w.reply)))
}
