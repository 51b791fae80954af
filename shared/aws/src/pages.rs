//! The `pages` function's wiring: the staff pages (sign in and out, the case list, a case and
//! its action forms, the annual cycle's forms). The case page's "Add a file" posts straight
//! into the bucket's upload inbox; what reads the inbox and keeps the file is the
//! `case-files` function's ([`crate::case_files`]), so this package links no S3 client. The printable reports the pages link to are
//! the `report-pages` function's ([`crate::report_pages`]). Their routes have no JWT authorizer (a browser
//! following links sends no Authorization header): staff sign in through the identity provider
//! and the session cookie is checked here on each request ([`crate::oidc`]). The pages apply
//! their commands through the domain's [`Service`], not through the JSON routes, which stay in
//! the `cases` function and the others. The documents staff open from the pages (the letters
//! as printed, the evidence pack) are the `documents` function's ([`crate::documents`]), which
//! checks the same session.

use std::sync::Arc;

use axum::Router;
use p3_api::AppState;
use p3_domain::inbox::UploadInbox;
use p3_domain::service::Service;

use crate::files::Attachments;
use crate::oidc::{OidcAuthenticator, OidcProvider};
use crate::wiring::{
    app_state_for, http_app, reports_from, service_sending_no_email, settings_with_secrets,
    AwsSettings, WiringError,
};

/// The `pages` function's app over a service: the staff pages, signed in through the identity
/// provider of `settings` (`OIDC_ISSUER` and the rest; without it no one could sign in, so it
/// is refused at start).
pub fn pages_app(
    service: Service,
    settings: &AwsSettings,
    attachments: Attachments,
) -> Result<Router, WiringError> {
    let no_inbox = Arc::new(p3_domain::inbox::NoInbox);
    pages_app_with_forms(service, settings, attachments, no_inbox)
}

/// As [`pages_app`], the case page's "Add a file" an upload form from `forms` (on AWS a
/// presigned POST into the bucket, [`crate::files::upload_forms`]).
pub fn pages_app_with_forms(
    service: Service,
    settings: &AwsSettings,
    attachments: Attachments,
    forms: Arc<dyn UploadInbox>,
) -> Result<Router, WiringError> {
    let (app, provider) = signed_in_app_with_inbox(
        p3_api::pages_router(),
        service,
        settings,
        attachments,
        forms,
    )?;
    Ok(app.layer(axum::Extension(p3_api::sign_in::StaffSignIn(provider))))
}

/// `part` served to staff signed in through the identity provider of `settings`: the session
/// cookie (or a bearer token) checked on each request, the provider's keys fetched when a token
/// names one not yet known. Without `OIDC_ISSUER` no one could sign in: refused at start.
pub(crate) fn signed_in_app(
    part: Router<AppState>,
    service: Service,
    settings: &AwsSettings,
    attachments: Attachments,
) -> Result<(Router, Arc<OidcProvider>), WiringError> {
    let no_inbox = Arc::new(p3_domain::inbox::NoInbox);
    signed_in_app_with_inbox(part, service, settings, attachments, no_inbox)
}

/// As [`signed_in_app`], the upload inbox's forms (or the inbox itself) from `inbox`.
pub(crate) fn signed_in_app_with_inbox(
    part: Router<AppState>,
    service: Service,
    settings: &AwsSettings,
    attachments: Attachments,
    inbox: Arc<dyn UploadInbox>,
) -> Result<(Router, Arc<OidcProvider>), WiringError> {
    let oidc = settings
        .staff_sign_in
        .as_ref()
        .ok_or(WiringError::Missing("OIDC_ISSUER"))?;
    let mut state = app_state_for(service, settings);
    state.attachments = attachments;
    state.inbox = inbox;
    let provider = Arc::new(OidcProvider::new(oidc.clone())?);
    state.auth = Arc::new(OidcAuthenticator::new(&provider));
    let app = http_app(part, state).layer(axum::middleware::from_fn_with_state(
        provider.clone(),
        keys_for_session,
    ));
    Ok((app, provider))
}

/// The settings of a function that only checks the pages' session (`documents`,
/// `report-pages`, `case-files`) through `get` (its environment): as every function's, with a key of this
/// instance's own standing for the sign-in's cookie key, which only signs sign-in attempts,
/// none of which such a function starts or completes. It reads no secret.
pub fn session_only_settings(
    get: impl Fn(&str) -> Option<String>,
) -> Result<AwsSettings, WiringError> {
    let mut key = [0u8; 32];
    getrandom::fill(&mut key).expect("the operating system provides randomness");
    let key: String = key.iter().map(|b| format!("{b:02x}")).collect();
    AwsSettings::from_lookup(|k| match k {
        "OIDC_COOKIE_KEY" => Some(key.clone()),
        _ => get(k),
    })
}

/// The `pages` function, from its environment and, for the staff sign-in, Secrets Manager.
pub async fn pages() -> Result<Router, WiringError> {
    let (settings, sdk) = settings_with_secrets(&|k: &str| std::env::var(k).ok()).await?;
    let service = service_sending_no_email(&settings, &sdk).await;
    // The annual cycle's forms read and write the year's records in the table.
    let reporting = reports_from(&settings, &sdk, &service);
    // The case page's "Add a file" is a presigned POST into the bucket's inbox, signed here
    // without an S3 client; the confirm page it leads to, which reads the inbox and keeps the
    // file, is the case-files function's ([`crate::case_files`]). The pages keep no file.
    let forms = crate::files::upload_forms(&settings, &sdk);
    let no_files = Arc::new(p3_domain::attachment::NoAttachments);
    Ok(
        pages_app_with_forms(service, &settings, no_files, forms)?
            .layer(axum::Extension(reporting)),
    )
}

/// Before a request the function checks itself (no JWT authorizer claims) with a session
/// cookie or a bearer token: the provider's keys, if the token names one not yet fetched (the
/// authenticator that checks it cannot wait for the network).
async fn keys_for_session(
    axum::extract::State(provider): axum::extract::State<Arc<OidcProvider>>,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let (parts, body) = req.into_parts();
    let from_authorizer = crate::auth::has_authorizer_claims(&parts);
    let token = p3_api::auth::bearer(&parts)
        .ok()
        .map(str::to_string)
        .or_else(|| p3_api::auth::cookie(&parts, p3_api::sign_in::SESSION_COOKIE));
    if let (false, Some(token)) = (from_authorizer, token) {
        provider.ensure_keys_for(&token).await;
    }
    next.run(axum::extract::Request::from_parts(parts, body))
        .await
}
