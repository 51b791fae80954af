//! Posting an action from a case page (`POST /staff/cases/{reference}/{action}`).

use super::*;

/// The form's `at` (a London wall-clock `datetime-local`) as RFC 3339.
pub(super) fn at_of(fields: &[(String, String)]) -> Result<Option<String>, String> {
    datetime_of(fields, "at")
}

/// The form's field `name` (a London wall-clock `datetime-local`) as RFC 3339.
pub(super) fn datetime_of(
    fields: &[(String, String)],
    name: &str,
) -> Result<Option<String>, String> {
    let Some(v) = text(fields, name) else {
        return Ok(None);
    };
    let parsed = NaiveDateTime::parse_from_str(&v, "%Y-%m-%dT%H:%M")
        .or_else(|_| NaiveDateTime::parse_from_str(&v, "%Y-%m-%dT%H:%M:%S"))
        .or_else(|_| NaiveDateTime::parse_from_str(&v, "%Y-%m-%d %H:%M"))
        .map_err(|_| "Enter the date and time, like 2026-05-14T10:30".to_string())?;
    Ok(Some(
        london_instant(parsed.date(), parsed.time()).to_rfc3339(),
    ))
}

/// Turns a form into the JSON body of the action's API route, or the fields at fault.
pub(super) fn json_body(
    stage: u8,
    action: &str,
    fields: &[(String, String)],
) -> Result<Value, Vec<(String, String)>> {
    let mut errors = Vec::new();
    let mut body = Map::new();
    let id = |name: &str| format!("{action}-{name}");
    match at_of(fields) {
        Ok(Some(at)) => {
            body.insert("at".into(), json!(at));
        }
        Ok(None) => {}
        Err(m) => errors.push((id("at"), m)),
    }
    if let Some(reason) = text(fields, "backdate_reason") {
        body.insert("backdate_reason".into(), json!(reason));
    }
    let put = |body: &mut Map<String, Value>, name: &str| {
        if let Some(v) = text(fields, name) {
            body.insert(name.into(), json!(v));
        }
    };
    match action {
        "acknowledge" => {
            if stage <= 1 {
                put(&mut body, "investigating_manager");
            } else {
                put(&mut body, "reviewer");
            }
            let points: Vec<String> = get(fields, "complaint_points")
                .unwrap_or("")
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .map(str::to_string)
                .collect();
            body.insert("complaint_points".into(), json!(points));
            put(&mut body, "responsible_for");
            put(&mut body, "not_responsible_for");
        }
        "extend" => {
            match text(fields, "working_days").map(|v| v.parse::<u32>()) {
                Some(Ok(n)) => {
                    body.insert("working_days".into(), json!(n));
                }
                Some(Err(_)) => errors.push((
                    id("working_days"),
                    "Enter the number of working days as a whole number, like 5".into(),
                )),
                None => errors.push((
                    id("working_days"),
                    "Enter the number of working days to add".into(),
                )),
            }
            body.insert(
                "reason".into(),
                json!(get(fields, "reason").unwrap_or("").trim()),
            );
        }
        "respond" => {
            match text(fields, "outcome") {
                Some(o) => {
                    body.insert("outcome".into(), json!(o));
                }
                None => errors.push((id("outcome"), "Choose the decision".into())),
            }
            body.insert(
                "summary".into(),
                json!(get(fields, "summary").unwrap_or("").trim()),
            );
            put(&mut body, "remedy");
            let mut decisions = Vec::new();
            for n in 0..50 {
                let Some(point) = text(fields, &format!("point_{n}")) else {
                    break;
                };
                // Points left undecided are left out, for the API to name; a decision without
                // reasons is named here, as the page numbers the points (the API, the body).
                let reason = text(fields, &format!("reason_{n}"));
                if let Some(d) = text(fields, &format!("decision_{n}")) {
                    if reason.is_none() {
                        errors.push((
                            id(&format!("reason_{n}")),
                            format!("Give the reasons for the decision on point {}", n + 1),
                        ));
                    }
                    decisions.push(json!({"point": point, "decision": d, "reason": reason}));
                }
            }
            body.insert("point_decisions".into(), json!(decisions));
            let mut actions = Vec::new();
            for n in 0..3 {
                let description = text(fields, &format!("action_{n}_description"));
                let due = text(fields, &format!("action_{n}_due"));
                match (description, due) {
                    (None, None) => {}
                    (Some(d), Some(due)) => match NaiveDate::parse_from_str(&due, "%Y-%m-%d") {
                        Ok(date) => actions.push(json!({"description": d, "due": date})),
                        Err(_) => errors.push((
                            id(&format!("action_{n}_due")),
                            format!("Enter the date action {} is due, like 2026-06-30", n + 1),
                        )),
                    },
                    (Some(_), None) => errors.push((
                        id(&format!("action_{n}_due")),
                        format!("Enter the date action {} is due", n + 1),
                    )),
                    (None, Some(_)) => errors.push((
                        id(&format!("action_{n}_description")),
                        format!("Describe action {}, or clear its date", n + 1),
                    )),
                }
            }
            body.insert("actions".into(), json!(actions));
        }
        "stage2" | "stage3" | "withdraw" => put(&mut body, "reason"),
        "refuse" => {
            match text(fields, "ground") {
                Some(g) => {
                    body.insert("ground".into(), json!(g));
                }
                None => errors.push((id("ground"), "Choose the exclusion ground".into())),
            }
            body.insert(
                "explanation".into(),
                json!(get(fields, "explanation").unwrap_or("").trim()),
            );
        }
        "ombudsman" => {
            match text(fields, "event") {
                Some(g) => {
                    body.insert("event".into(), json!(g));
                }
                None => errors.push((id("event"), "Choose what happened".into())),
            }
            body.insert(
                "detail".into(),
                json!(get(fields, "detail").unwrap_or("").trim()),
            );
        }
        _ => {}
    }
    if errors.is_empty() {
        Ok(Value::Object(body))
    } else {
        Err(errors)
    }
}

/// Where an API field error is shown on the page: `actions[1].due` is `respond-action_1_due`.
pub(super) fn element_for(action: &str, field: &str) -> String {
    let base = field.split(['[', '.']).next().unwrap_or(field);
    let index = field
        .split('[')
        .nth(1)
        .and_then(|r| r.split(']').next())
        .unwrap_or("0");
    let leaf = field.rsplit('.').next().unwrap_or(field);
    let name = match base {
        "actions" => format!(
            "action_{index}_{}",
            if leaf == "due" { "due" } else { "description" }
        ),
        "point_decisions" if leaf == "reason" => format!("reason_{index}"),
        "point_decisions" => format!("decision_{index}"),
        "complaint_points" => "complaint_points".into(),
        "" | "(body)" => "at".into(),
        other => other.to_string(),
    };
    format!("{action}-{name}")
}

/// `POST /staff/cases/{reference}/{action}`: a form for one of the staff API's case actions.
pub(crate) async fn case_action(
    State(st): State<AppState>,
    Path((reference, action)): Path<(String, String)>,
    who: Result<SignedIn, Response>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, Problem> {
    // An unknown action is no route, signed in or not: checked before the sign-in redirect.
    if !ACTIONS.contains(&action.as_str())
        && !casefile::ACTIONS.contains(&action.as_str())
        && !record::ACTIONS.contains(&action.as_str())
        && !informed::ACTIONS.contains(&action.as_str())
    {
        return Err(Problem::new(
            StatusCode::NOT_FOUND,
            "not-found",
            "No such route",
        ));
    }
    let who = match who {
        Ok(w) => w,
        Err(to_sign_in) => return Ok(to_sign_in),
    };
    let raw = body::read_limited(&headers, body).await?;
    let fields = fields_of(&raw);
    // The form's id: the action, with the item's number for a form about one action or offer.
    let item = casefile::item_of(&action, &fields);
    let form = casefile::form_id(&action, item);
    if !same(get(&fields, "csrf_token").unwrap_or(""), &who.csrf) {
        let attempt = Attempt {
            action: form.clone(),
            fields: fields.clone(),
            errors: vec![(
                format!("#{form}"),
                "This form had expired. Check the complaint below and try again.".into(),
            )],
        };
        return Ok(render_case(&st, &who, &reference, None, &attempt, StatusCode::FORBIDDEN).await);
    }
    let stage = match load_case(&st, &who, &reference).await {
        Ok(loaded) => loaded.case.current_stage().number,
        Err(p) if p.status == 404 => {
            return Ok(render_case(
                &st,
                &who,
                &reference,
                None,
                &Attempt::default(),
                StatusCode::OK,
            )
            .await)
        }
        Err(p) => return Err(p),
    };
    let fail = |status: StatusCode, errors: Vec<(String, String)>| {
        let attempt = Attempt {
            action: form.clone(),
            fields: fields.clone(),
            errors: errors
                .into_iter()
                .map(|(id, m)| (format!("#{id}"), m))
                .collect(),
        };
        (status, attempt)
    };
    let informed_form = informed::ACTIONS.contains(&action.as_str());
    let case_file = casefile::ACTIONS.contains(&action.as_str())
        || record::ACTIONS.contains(&action.as_str())
        || informed_form;
    let json = if case_file {
        let mut body = Map::new();
        let mut errors = Vec::new();
        match at_of(&fields) {
            Ok(Some(at)) => {
                body.insert("at".into(), json!(at));
            }
            Ok(None) => {}
            Err(m) => errors.push((format!("{form}-at"), m)),
        }
        if let Some(reason) = text(&fields, "backdate_reason") {
            body.insert("backdate_reason".into(), json!(reason));
        }
        if informed_form {
            errors.extend(informed::json_body(&action, &fields, &mut body));
        } else if record::ACTIONS.contains(&action.as_str()) {
            errors.extend(record::json_body(&action, &fields, &mut body));
        } else {
            errors.extend(casefile::json_body(&action, &form, &fields, &mut body));
        }
        if errors.is_empty() {
            Ok(Value::Object(body))
        } else {
            Err(errors)
        }
    } else {
        json_body(stage, &action, &fields)
    };
    let json = match json {
        Ok(j) => j,
        Err(errors) => {
            let (status, attempt) = fail(StatusCode::UNPROCESSABLE_ENTITY, errors);
            return Ok(render_case(&st, &who, &reference, None, &attempt, status).await);
        }
    };
    let conditions = Conditions {
        expected: text(&fields, "version")
            .filter(|v| v.bytes().all(|b| b.is_ascii_digit()))
            .map(|v| {
                v.parse::<u64>().map_err(|_| {
                    Problem::field(
                        "If-Match",
                        "must be the case version from its ETag, e.g. \"3\"",
                    )
                })
            })
            .transpose(),
        key: text(&fields, "idempotency_key")
            .filter(|k| k.len() <= 64 && k.bytes().all(|b| b.is_ascii_alphanumeric()))
            .map(|k| format!("page {action} {k}")),
    };
    let body = json.to_string();
    // A form about an item with no number is refused as its JSON route refuses the path.
    let result = match CaseAction::parse(&action, item, stage) {
        Some(Ok(kind)) => {
            kind.perform(
                &st,
                &who.staff,
                &reference,
                stage,
                body.as_bytes(),
                conditions,
            )
            .await
        }
        Some(Err(p)) => Err(p),
        None => Err(Problem::new(
            StatusCode::NOT_FOUND,
            "not-found",
            "No such route",
        )),
    };
    match result {
        Ok(res) if res.status().is_success() => {
            let to = format!("/staff/cases/{}?done={action}", urlencode(&reference));
            Ok(Redirect::to(&to).into_response())
        }
        Ok(res) => {
            let status = res.status();
            let v = json_of(res).await;
            let message = v["detail"]
                .as_str()
                .unwrap_or("The action could not be recorded")
                .to_string();
            let (status, attempt) = fail(status, vec![(form.clone(), message)]);
            Ok(render_case(&st, &who, &reference, None, &attempt, status).await)
        }
        Err(problem) => {
            let status =
                StatusCode::from_u16(problem.status).unwrap_or(StatusCode::UNPROCESSABLE_ENTITY);
            let errors: Vec<(String, String)> = if problem.errors.is_empty() {
                let detail = problem
                    .detail
                    .clone()
                    .unwrap_or_else(|| problem.title.clone());
                let message = match problem.status {
                    412 => "Someone else changed this complaint since you opened it. Check it below, then try again.".to_string(),
                    _ => detail,
                };
                vec![(form.clone(), message)]
            } else {
                problem
                    .errors
                    .iter()
                    .map(|e| {
                        (
                            if informed_form {
                                informed::element_for(&form, &e.field)
                            } else if record::ACTIONS.contains(&action.as_str()) {
                                record::element_for(&form, &e.field)
                            } else if case_file {
                                casefile::element_for(&form, &e.field)
                            } else {
                                element_for(&action, &e.field)
                            },
                            friendly(&e.field, &e.message),
                        )
                    })
                    .collect()
            };
            let (status, attempt) = fail(status, errors);
            Ok(render_case(&st, &who, &reference, None, &attempt, status).await)
        }
    }
}

/// API messages that name a field by its JSON name read oddly on a page; say which field.
pub(super) fn friendly(field: &str, message: &str) -> String {
    let starts_upper = message.chars().next().is_some_and(char::is_uppercase);
    if starts_upper {
        message.to_string()
    } else {
        format!(
            "{}: {message}",
            humanise(field.split(['[', '.']).next().unwrap_or(field))
        )
    }
}
