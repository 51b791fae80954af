//! The `report-pages` function's wiring: the printable reports the staff pages link to (the
//! monthly report, the quarterly summary, the annual report, the self-assessment with its
//! evidence), as HTML. A function of their own so that the reports' renderers are not in the
//! `pages` package, which keeps room to grow under the 8 MB budget (issue 17 item 9).
//!
//! Staff open them from the pages in a browser, without an Authorization header: no JWT
//! authorizer, the same session cookie (or bearer token) checked as in `pages`
//! ([`crate::pages::signed_in_app`]). The function signs no one in, so it reads no secret
//! ([`crate::pages::session_only_settings`]); it changes no case, sends no email and keeps no
//! file: its role may only read the table and its indexes.

use aws_config::SdkConfig;
use axum::Router;
use p3_api::reports::Reporting;
use p3_domain::service::Service;

use crate::pages::{session_only_settings, signed_in_app};
use crate::wiring::{aws_config, reports_from, service_changing_no_case, AwsSettings, WiringError};

/// The `report-pages` function's app over a service: the printable reports
/// ([`p3_api::report_pages_router`]) read from `reporting`, for staff signed in through the
/// identity provider of `settings` (without `OIDC_ISSUER` it is refused at start, as `pages`
/// is).
pub fn report_pages_app(
    service: Service,
    settings: &AwsSettings,
    reporting: Reporting,
) -> Result<Router, WiringError> {
    let no_files = std::sync::Arc::new(p3_domain::attachment::NoAttachments);
    let (app, _) = signed_in_app(p3_api::report_pages_router(), service, settings, no_files)?;
    Ok(app.layer(axum::Extension(reporting)))
}

/// The settings of the `report-pages` function through `get` (its environment): the pages'
/// session only, no secret.
pub fn report_pages_settings(
    get: impl Fn(&str) -> Option<String>,
) -> Result<AwsSettings, WiringError> {
    session_only_settings(get)
}

/// The `report-pages` function, from its environment.
pub async fn report_pages() -> Result<Router, WiringError> {
    let settings = report_pages_settings(|k| std::env::var(k).ok())?;
    let sdk = aws_config(&settings).await;
    report_pages_over(&settings, &sdk).await
}

/// The `report-pages` function over `settings` and the SDK's `sdk`: a service that only reads
/// the table, and the reports read through its month indexes, as the reporting function reads
/// them.
pub async fn report_pages_over(
    settings: &AwsSettings,
    sdk: &SdkConfig,
) -> Result<Router, WiringError> {
    let service = service_changing_no_case(settings, sdk).await;
    let reporting = reports_from(settings, sdk, &service);
    report_pages_app(service, settings, reporting)
}
