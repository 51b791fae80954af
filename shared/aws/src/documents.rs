//! The `documents` function's wiring: the documents staff open from the pages, the letters as
//! printed and the evidence pack, as HTML and, with p3-api's feature `pdf` (which this crate's
//! feature `pdf` turns on, and the function's crate asks for), as PDF (`?format=pdf`). A
//! function of its own so that the PDF writer (krilla and a font) is in no other package but
//! this one and `deadlines` (the letters' email copies), and `pages` keeps room to grow.
//!
//! Staff reach these routes from the pages in a browser, without an Authorization header: no
//! JWT authorizer, the same session cookie (or bearer token) checked as in `pages`
//! ([`crate::pages`]). The function signs no one in (the sign-in routes are the pages'), so it
//! needs neither the provider's client secret nor the sign-in's cookie key: it reads no secret.
//! It changes no case and sends no email: its role may only read the table.

use axum::Router;
use p3_domain::service::Service;

use crate::files::Attachments;
use crate::pages::signed_in_app;
use crate::wiring::{aws_config, service_changing_no_case, AwsSettings, WiringError};

/// The `documents` function's app over a service: the letters as printed and the evidence pack
/// ([`p3_api::documents_router`]), for staff signed in through the identity provider of
/// `settings` (without `OIDC_ISSUER` it is refused at start, as `pages` is).
/// The files and the evidence pack's zip are read from `attachments`.
pub fn documents_app(
    service: Service,
    settings: &AwsSettings,
    attachments: Attachments,
) -> Result<Router, WiringError> {
    signed_in_app(p3_api::documents_router(), service, settings, attachments).map(|(app, _)| app)
}

/// The settings of the `documents` function through `get` (its environment): as every
/// function's that only checks the pages' session ([`crate::pages::session_only_settings`]).
pub fn documents_settings(
    get: impl Fn(&str) -> Option<String>,
) -> Result<AwsSettings, WiringError> {
    crate::pages::session_only_settings(get)
}

/// The `documents` function, from its environment.
pub async fn documents() -> Result<Router, WiringError> {
    let settings = documents_settings(|k| std::env::var(k).ok())?;
    let sdk = aws_config(&settings).await;
    let service = service_changing_no_case(&settings, &sdk).await;
    let attachments = crate::files::attachments(&settings, &sdk);
    documents_app(service, &settings, attachments)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_function_needs_no_cookie_key_and_reads_no_secret() {
        let vars = std::collections::HashMap::from([
            ("TABLE_NAME", "t"),
            ("QUEUE_URL", "q"),
            ("QUEUE_ARN", "arn:q"),
            ("DLQ_ARN", "arn:d"),
            ("SCHEDULE_GROUP", "g"),
            ("SCHEDULER_ROLE_ARN", "arn:r"),
            ("MAIL_FROM", "complaints@p3.example"),
            ("EXPORT_BUCKET", "b"),
            ("BASE_URL", "https://complaints.example"),
            ("OIDC_ISSUER", "https://idp.example"),
            ("OIDC_CLIENT_ID", "pages"),
        ]);
        let get = |k: &str| vars.get(k).map(|v| v.to_string());
        let settings = documents_settings(get).expect("settings without the cookie key");
        let sign_in = settings.staff_sign_in.expect("the session is checked");
        assert_eq!(sign_in.client_id, "pages");
        assert!(sign_in.client_secret.is_none());
        // Each instance has a key of its own, never one from the environment.
        let again = documents_settings(get).unwrap().staff_sign_in.unwrap();
        assert_ne!(sign_in.cookie_key, again.cookie_key);
        // Without the issuer no one could be signed in: refused at start, as in `pages`.
        let without = documents_settings(|k| (k != "OIDC_ISSUER").then(|| get(k)).flatten());
        let settings = without.expect("settings");
        assert!(settings.staff_sign_in.is_none());
    }
}
