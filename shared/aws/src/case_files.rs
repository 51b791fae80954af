//! The `case-files` function's wiring: the staff pages' routes that read the upload inbox or
//! keep a file ([`p3_api::case_files_router`]): the confirm page the inbox sends the browser to
//! once a file from the case page's "Add a file" is in the bucket (it reads the file from
//! `incoming/{slot}/`), its POST (the file kept under `cases/`, the slot emptied), and the
//! case page's multipart form of hosts without an inbox. A function of its own so that the
//! `pages` package links no S3 client: `pages` only signs the inbox's forms
//! ([`crate::s3_forms::S3PostForms`]), which needs its credentials and SigV4, not S3's calls
//! (issue 17 item 9: `pages` was within 0.11 MB of the 8 MB budget).
//!
//! Staff reach these routes from the pages in a browser (the bucket redirects there): no JWT
//! authorizer, the same session cookie (or bearer token) checked as in `pages`
//! ([`crate::pages::signed_in_app`]). The function signs no one in, so it reads no secret
//! ([`crate::pages::session_only_settings`]).

use std::sync::Arc;

use aws_config::SdkConfig;
use axum::Router;
use p3_domain::inbox::UploadInbox;
use p3_domain::service::Service;

use crate::files::Attachments;
use crate::pages::{session_only_settings, signed_in_app_with_inbox};
use crate::wiring::{aws_config, service_sending_no_email, AwsSettings, WiringError};

/// The `case-files` function's app over a service: [`p3_api::case_files_router`] for staff
/// signed in through the identity provider of `settings` (without `OIDC_ISSUER` it is refused
/// at start, as `pages` is), the files read from `inbox` and kept in `attachments`.
pub fn case_files_app(
    service: Service,
    settings: &AwsSettings,
    attachments: Attachments,
    inbox: Arc<dyn UploadInbox>,
) -> Result<Router, WiringError> {
    signed_in_app_with_inbox(
        p3_api::case_files_router(),
        service,
        settings,
        attachments,
        inbox,
    )
    .map(|(app, _)| app)
}

/// The settings of the `case-files` function through `get` (its environment): the pages'
/// session only, no secret.
pub fn case_files_settings(
    get: impl Fn(&str) -> Option<String>,
) -> Result<AwsSettings, WiringError> {
    session_only_settings(get)
}

/// The `case-files` function, from its environment.
pub async fn case_files() -> Result<Router, WiringError> {
    let settings = case_files_settings(|k| std::env::var(k).ok())?;
    let sdk = aws_config(&settings).await;
    case_files_over(&settings, &sdk).await
}

/// The `case-files` function over `settings` and the SDK's `sdk`: a service that writes cases
/// (sending no email: the letters' copies are the `deadlines` function's), the attachments
/// bucket's store and its inbox.
pub async fn case_files_over(
    settings: &AwsSettings,
    sdk: &SdkConfig,
) -> Result<Router, WiringError> {
    let service = service_sending_no_email(settings, sdk).await;
    let attachments = crate::files::attachments(settings, sdk);
    let inbox = crate::files::upload_inbox(settings, sdk);
    case_files_app(service, settings, attachments, inbox)
}
