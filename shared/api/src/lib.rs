//! The HTTP edge of the complaints service, shared by the local server (`p3 serve`) and the
//! Lambda functions: one router per function, all over the domain's [`Service`].
#![warn(missing_docs)]

pub mod annual;
pub mod auth;
pub mod evidence;
pub mod health;
pub mod http;
pub mod letters;
pub mod openapi;
pub mod pdf;
pub mod reports;
mod routes;
pub mod staff_session;
pub mod views;

pub use auth::sign_in;
pub use http::{body, extract, limit, problem};
pub use routes::pages::html;
use routes::{json::staff, pages::staff as pages, public};

use std::sync::Arc;

use ::http::request::Parts;
use axum::extract::FromRequestParts;
use axum::routing::{get, post};
use axum::Router;
use p3_domain::service::Service;

use crate::auth::{AuthError, Authenticator, Role, Staff};
use crate::limit::Limiter;
use crate::problem::Problem;

/// What every handler needs.
#[derive(Clone)]
pub struct AppState {
    /// The domain service over its ports.
    pub service: Service,
    /// Where the attachments' bytes are kept (a folder locally, the S3 bucket on AWS).
    pub attachments: Arc<dyn p3_domain::attachment::AttachmentStore>,
    /// Where residents' files arrive before they are sent with a complaint or a Stage 2
    /// request (a folder of the data dir locally, the S3 bucket on AWS).
    pub inbox: Arc<dyn p3_domain::inbox::UploadInbox>,
    /// Who is calling.
    pub auth: Arc<dyn Authenticator>,
    /// The public form's per-client limit.
    pub form_limit: Arc<dyn Limiter>,
    /// Wrong access-code guesses, per client and per reference.
    pub code_limit: Arc<dyn Limiter>,
}

/// The client's address as the host saw it (socket peer locally, source IP on AWS), used for
/// rate limits. Inserted into request extensions by the host.
#[derive(Debug, Clone)]
pub struct ClientAddr(pub String);

/// Whether the request reached the service over HTTPS: on TLS, or through a trusted proxy that
/// says so. Inserted into request extensions by the local host (which also sets or removes
/// `X-Forwarded-Proto` to match, so an untrusted client cannot claim it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OverHttps(pub bool);

/// True when the request came over HTTPS (then cookies are `Secure`): as the host established
/// it ([`OverHttps`]), else as `X-Forwarded-Proto` says (API Gateway sets it on AWS).
pub fn came_over_https(extensions: &::http::Extensions, headers: &::http::HeaderMap) -> bool {
    match extensions.get::<OverHttps>() {
        Some(OverHttps(https)) => *https,
        None => headers
            .get("x-forwarded-proto")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.eq_ignore_ascii_case("https")),
    }
}

impl FromRequestParts<AppState> for Staff {
    type Rejection = Problem;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        state
            .auth
            .authenticate(parts, state.service.clock.now())
            .map_err(|e| match e {
                AuthError::Missing => Problem::unauthorized("Sign in: a bearer token is required"),
                other => Problem::unauthorized(other.to_string()),
            })
    }
}

impl Staff {
    /// Refuses the request (403) unless the caller's role includes `needed`.
    pub fn require(&self, needed: Role) -> Result<(), Problem> {
        if self.role.includes(needed) {
            Ok(())
        } else {
            Err(Problem::forbidden(format!(
                "This needs the {} role; you have {}",
                needed.as_str(),
                self.role.as_str()
            )))
        }
    }
}

/// `intake`: the form, new complaints, the resident's view, staff intake and service requests,
/// and the API's description (`GET /openapi.json`).
pub fn intake_router() -> Router<AppState> {
    Router::new()
        .route("/", get(public::form))
        .route("/assets/app.css", get(html::stylesheet))
        .route("/assets/icon.svg", get(html::icon))
        .route("/assets/upload.js", get(html::upload_script))
        .route("/openapi.json", get(openapi::serve))
        // The page's form may carry five files: the multipart reader counts them itself.
        .route(
            "/complaints",
            post(public::submit).layer(axum::extract::DefaultBodyLimit::disable()),
        )
        .route("/complaints/uploads", post(public::uploads::forms))
        .route("/complaints/files", get(public::complaint_files))
        .route("/complaints/{reference}", get(public::resident_view))
        .route(
            "/complaints/{reference}/files/{id}",
            get(public::resident_file),
        )
        .route(
            "/complaints/{reference}/confirmation",
            get(public::confirmation),
        )
        .route("/staff/complaints", post(staff::create_complaint))
        .route(
            "/staff/service-requests",
            post(staff::create_service_request),
        )
        .route(
            "/staff/service-requests/{id}/dissatisfaction",
            post(staff::dissatisfaction),
        )
}

/// `acknowledgement`: both stages.
pub fn acknowledgement_router() -> Router<AppState> {
    Router::new().route(
        "/staff/complaints/{reference}/acknowledgement",
        post(staff::acknowledge),
    )
}

/// `stage1-response`.
pub fn stage1_response_router() -> Router<AppState> {
    Router::new().route(
        "/staff/complaints/{reference}/stage1-response",
        post(staff::stage1_response),
    )
}

/// `stage2`: requests from the resident and staff, and the Stage 2 response; and the same for
/// Stage 3 (the support-services procedure's last stage).
pub fn stage2_router() -> Router<AppState> {
    Router::new()
        .route(
            "/complaints/{reference}/stage2",
            get(public::stage2_page)
                .post(public::request_stage2)
                .layer(axum::extract::DefaultBodyLimit::disable()),
        )
        .route(
            "/staff/complaints/{reference}/stage2",
            post(staff::request_stage2),
        )
        .route(
            "/staff/complaints/{reference}/stage2-response",
            post(staff::stage2_response),
        )
        .route(
            "/complaints/{reference}/stage3",
            get(public::stage3_page)
                .post(public::request_stage3)
                .layer(axum::extract::DefaultBodyLimit::disable()),
        )
        .route(
            "/complaints/{reference}/stage2/files",
            get(public::stage2_files),
        )
        .route(
            "/complaints/{reference}/stage3/files",
            get(public::stage3_files),
        )
        .route(
            "/staff/complaints/{reference}/stage3",
            post(staff::request_stage3),
        )
        .route(
            "/staff/complaints/{reference}/stage3-response",
            post(staff::stage3_response),
        )
}

/// `cases`: lists, reads, extensions, withdrawals, refusals and Ombudsman records (the staff JSON
/// API; the staff pages are the `pages` function's).
pub fn cases_router() -> Router<AppState> {
    Router::new()
        .route("/staff/complaints", get(staff::list))
        .route("/staff/service-requests", get(staff::list_service_requests))
        .route(
            "/staff/service-requests/{id}/closure",
            post(staff::close_service_request),
        )
        .route("/staff/complaints/{reference}", get(staff::get_case))
        .route(
            "/staff/complaints/{reference}/extension",
            post(staff::extend),
        )
        .route(
            "/staff/complaints/{reference}/withdrawal",
            post(staff::withdraw),
        )
        .route("/staff/complaints/{reference}/refusal", post(staff::refuse))
        .route(
            "/staff/complaints/{reference}/ombudsman",
            post(staff::ombudsman),
        )
}

/// `casefile`: the case file (points, handler, needs, contact preferences, representative,
/// actions, compensation, the Ombudsman's orders, notes, the correspondence log). The letters as
/// printed and the evidence pack are the pages' ([`documents_router`]).
pub fn casefile_router() -> Router<AppState> {
    Router::new()
        .route(
            "/staff/complaints/{reference}/ombudsman/orders",
            post(staff::ombudsman_order),
        )
        .route(
            "/staff/complaints/{reference}/points",
            post(staff::revise_points),
        )
        .route(
            "/staff/complaints/{reference}/reassignment",
            post(staff::reassign),
        )
        .route(
            "/staff/complaints/{reference}/needs",
            post(staff::record_needs),
        )
        .route(
            "/staff/complaints/{reference}/contact-preferences",
            post(staff::contact_preferences),
        )
        .route(
            "/staff/complaints/{reference}/representative",
            post(staff::representative),
        )
        .route(
            "/staff/complaints/{reference}/actions/{number}/completion",
            post(staff::complete_action),
        )
        .route(
            "/staff/complaints/{reference}/compensation",
            post(staff::offer_compensation),
        )
        .route(
            "/staff/complaints/{reference}/compensation/{offer}/answer",
            post(staff::answer_compensation),
        )
        .route(
            "/staff/complaints/{reference}/compensation/{offer}/payment",
            post(staff::pay_compensation),
        )
        .route(
            "/staff/complaints/{reference}/actions/{number}/due",
            post(staff::move_action),
        )
        .route(
            "/staff/complaints/{reference}/update-interval",
            post(staff::update_interval),
        )
        .route(
            "/staff/complaints/{reference}/updates",
            post(staff::send_update),
        )
        .route(
            "/staff/complaints/{reference}/restriction",
            post(staff::restriction),
        )
        .route(
            "/staff/complaints/{reference}/restriction/review",
            post(staff::review_restriction),
        )
        .route("/staff/complaints/{reference}/notes", post(staff::add_note))
        .route(
            "/staff/complaints/{reference}/correspondence",
            post(staff::log_correspondence),
        )
        .route(
            "/staff/complaints/{reference}/attachments",
            // The file's parts are counted as they arrive (`http::multipart`), within 10 MB.
            post(staff::add_attachment).layer(axum::extract::DefaultBodyLimit::disable()),
        )
        .route(
            "/staff/complaints/{reference}/attachments/uploads",
            post(staff::attachment_upload_forms),
        )
}

/// `reporting`: the monthly, quarterly and annual reports and the self-assessment, for staff
/// with any role (the commentary and the governing body's response written by senior
/// managers). Needs the
/// [`reports::Reporting`] extension (where the records come from).
pub fn reporting_router() -> Router<AppState> {
    Router::new()
        .route("/staff/reports/monthly", get(reports::monthly))
        .route("/staff/reports/annual", get(reports::annual))
        .route(
            "/staff/reports/annual/governing-body-response",
            axum::routing::put(annual::put_governing_body_response),
        )
        .route(
            "/staff/reports/self-assessment",
            get(annual::self_assessment).put(annual::put_self_assessment),
        )
        .route("/staff/reports/quarterly", get(annual::quarterly))
}

/// `pages`: the staff pages (sign in and out, open complaints, a case and its action forms).
/// Sign-in is by pasting a token, or through an identity provider when the host adds a
/// [`sign_in::StaffSignIn`] extension (then `/staff/auth/callback` completes it). Each action
/// applies the same domain command as its JSON route, through the [`Service`], not through a
/// JSON handler, so a host can serve the pages without the JSON routes (the `pages` function).
pub fn pages_router() -> Router<AppState> {
    Router::new()
        .route("/staff", get(pages::staff_home))
        .route(
            "/staff/sign-in",
            get(pages::sign_in_page).post(pages::sign_in),
        )
        .route("/staff/auth/callback", get(pages::sign_in_callback))
        .route("/staff/sign-out", post(pages::sign_out))
        .route(
            "/staff/set-password",
            get(pages::accounts::set_password_page).post(pages::accounts::set_password),
        )
        .route("/staff/cases", get(routes::pages::cases_page))
        .route(
            "/staff/complaints/new",
            get(pages::intake::complaint_form).post(pages::intake::log_complaint),
        )
        .route(
            "/staff/service-requests/new",
            get(pages::intake::service_request_form).post(pages::intake::log_service_request),
        )
        .route(
            "/staff/service-requests/review",
            get(pages::service_requests_page),
        )
        .route(
            "/staff/service-requests/{id}/review",
            get(pages::service_request_page).post(pages::review_service_request),
        )
        .route(
            "/staff/self-assessment",
            get(pages::annual_cycle::self_assessment_page_get)
                .post(pages::annual_cycle::self_assessment_post),
        )
        .route(
            "/staff/governing-body-response",
            get(pages::annual_cycle::governing_body_page_get)
                .post(pages::annual_cycle::governing_body_post),
        )
        .route("/staff/cases/{reference}", get(pages::case_page))
        .route(
            "/staff/cases/{reference}/{action}",
            post(pages::case_action),
        )
}

/// `case-files`: the staff pages' routes that read the upload inbox or keep a file (the case
/// page's "Add a file": its confirm page, where the inbox sends the browser once the file is
/// in, and the multipart form of hosts without an inbox), signed in as for any page. A router
/// of their own so that the `pages` function links no S3 client (it only signs the inbox's
/// forms).
pub fn case_files_router() -> Router<AppState> {
    Router::new()
        .route(
            "/staff/cases/{reference}/attachments",
            // The case page's file form: parts counted as they arrive, within 10 MB.
            post(pages::upload::add_file).layer(axum::extract::DefaultBodyLimit::disable()),
        )
        .route(
            "/staff/cases/{reference}/attachments/new",
            get(pages::confirm_page).post(pages::confirm),
        )
}

/// `report-pages`: the printable reports the staff pages link to (the monthly report, the
/// quarterly summary, the annual report, the self-assessment with its evidence), HTML only,
/// signed in as for any page (the session cookie). A router of their own so that a host can
/// serve the pages without the reports' renderers (the `pages` function) and the reports
/// without the pages' forms (the `report-pages` function).
pub fn report_pages_router() -> Router<AppState> {
    Router::new()
        .route("/staff/monthly-report", get(reports::monthly_page))
        .route("/staff/quarterly-report", get(annual::quarterly_page))
        .route("/staff/annual-report", get(annual::annual_page))
        .route(
            "/staff/self-assessment/evidence",
            get(annual::self_assessment_page),
        )
}

/// `documents`: the letters as printed and the evidence pack, which staff open from the pages in
/// a browser (with the session cookie, or a bearer token): served with the pages.
pub fn documents_router() -> Router<AppState> {
    Router::new()
        .route(
            "/staff/complaints/{reference}/letters/{number}",
            get(staff::letter_page),
        )
        .route(
            "/staff/complaints/{reference}/evidence",
            get(evidence::evidence),
        )
        .route(
            "/staff/complaints/{reference}/attachments/{id}",
            get(staff::attachment_file),
        )
}

/// `health`: whether the service can take writes (for load balancers and monitoring). Needs
/// the [`health::Health`] extension; the local server adds it.
pub fn health_router() -> Router<AppState> {
    Router::new().route("/healthz", get(health::healthz))
}

/// Every route: what the local server serves.
pub fn router(state: AppState) -> Router {
    let all = Router::new()
        .merge(health_router())
        .merge(intake_router())
        .merge(acknowledgement_router())
        .merge(stage1_response_router())
        .merge(stage2_router())
        .merge(cases_router())
        .merge(casefile_router())
        .merge(pages_router())
        .merge(case_files_router())
        .merge(report_pages_router())
        .merge(documents_router())
        .merge(reporting_router());
    serve_part(all, state)
}

/// Serves a part of the routes (one Lambda function's, or all of them locally) the same way
/// everywhere: problem+json for unknown routes and methods, the security headers, the state.
pub fn serve_part(part: Router<AppState>, state: AppState) -> Router {
    part.fallback(|| async {
        Problem::new(::http::StatusCode::NOT_FOUND, "not-found", "No such route")
    })
    .method_not_allowed_fallback(|| async {
        Problem::new(
            ::http::StatusCode::METHOD_NOT_ALLOWED,
            "method-not-allowed",
            "That method is not allowed here",
        )
    })
    .layer(axum::middleware::from_fn(security_headers))
    .with_state(state)
}

/// The headers every answer carries (no sniffing, no referrer, a strict policy, no caching
/// unless the handler says otherwise); a host's own routes layer it too.
pub async fn security_headers(
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use ::http::header::{self, HeaderValue};
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    // No inline script or style anywhere: pages take their styles from /assets/app.css. A
    // handler that needs a narrower exception (a hash of one inline stylesheet) sets its own.
    if !h.contains_key(header::CONTENT_SECURITY_POLICY) {
        h.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static("default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"),
        );
    }
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    if !h.contains_key(header::CACHE_CONTROL) {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    res
}
