//! Server-rendered pages: plain HTML that works without JavaScript, styled only by the
//! landlord's own stylesheet (`/assets/app.css`, so the Content-Security-Policy needs no inline
//! styles), with every value a resident or a member of staff typed escaped. This module holds
//! the layout, the form components (labels, hints, the error summary pattern; their markup is
//! in the macros of `templates/components/`) and the resident pages; the staff pages are in
//! `pages`.

use axum::response::{IntoResponse, Response};
use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use http::{header, HeaderValue};
use p3_domain::complaint::ComplaintForm;
use p3_domain::london::{london_date, london_instant};
use p3_domain::validation::ValidationErrors;
use p3_domain::HOUSING_OMBUDSMAN;

/// The stylesheet, built into the binary: no build step at run time.
pub const STYLESHEET: &str = include_str!("../../../assets/app.css");

/// The landlord's icon for browser tabs (so no browser asks for `/favicon.ico`).
pub const ICON: &str = include_str!("../../../assets/icon.svg");

/// A built-in asset with its type and `Cache-Control` (not personal, so it may be cached).
fn asset(body: &'static str, content_type: &'static str, cache: &'static str) -> Response {
    let mut res = body.into_response();
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    res
}

/// `GET /assets/icon.svg`.
pub(crate) async fn icon() -> Response {
    asset(ICON, "image/svg+xml", "public, max-age=86400")
}

/// `GET /assets/app.css`: the stylesheet.
pub(crate) async fn stylesheet() -> Response {
    asset(
        STYLESHEET,
        "text/css; charset=utf-8",
        "public, max-age=3600",
    )
}

/// The resident pages' one script: their files straight into the upload inbox (see the file).
pub const UPLOAD_SCRIPT: &str = include_str!("../../../assets/upload.js");

/// `GET /assets/upload.js`: the upload script. Not personal, so it may be cached (briefly, so
/// a new release's script follows its pages).
pub(crate) async fn upload_script() -> Response {
    asset(
        UPLOAD_SCRIPT,
        "text/javascript; charset=utf-8",
        "public, max-age=3600",
    )
}

mod asks;
mod components;
mod files;
mod form;
mod resident;
mod words;

pub(crate) use asks::*;
pub(crate) use components::*;
pub use files::CarriedFile;
pub(crate) use files::*;
pub use form::*;
pub use resident::*;
pub use words::*;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_resident_reads_tracked_actions_in_words() {
        assert_eq!(
            resident_deadline_label(&"stage1_action2".parse().unwrap()),
            "We complete action 2"
        );
        assert_eq!(
            resident_deadline_label(&"stage1_response".parse().unwrap()),
            "We send our full response"
        );
    }

    #[test]
    fn a_resident_reads_whether_they_asked_in_time_and_whether_we_were_late() {
        use p3_domain::deadline::DeadlineStatus::*;
        let tag = |kind: &str, status| resident_deadline_tag(&kind.parse().unwrap(), &status);
        assert_eq!(tag("stage2_request_window", Pending), ("Open", "tag--grey"));
        assert_eq!(
            tag("stage2_request_window", Expired),
            ("Date passed", "tag--grey")
        );
        assert_eq!(tag("stage1_response", Expired), ("Expired", "tag--grey"));
        assert_eq!(
            tag("stage1_response", Breached),
            ("Late: not done yet", "tag--red")
        );
        assert_eq!(tag("stage1_action1", MetLate), ("Done late", "tag--yellow"));
    }

    #[test]
    fn escaping_covers_markup_and_quotes() {
        assert_eq!(
            esc("<b a=\"1\" b='2'>&</b>"),
            "&lt;b a=&quot;1&quot; b=&#39;2&#39;&gt;&amp;&lt;/b&gt;"
        );
    }

    #[test]
    fn london_times_follow_summer_time() {
        let summer = DateTime::parse_from_rfc3339("2026-07-01T09:30:00Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(london_datetime(summer), "1 July 2026 at 10:30");
        let winter = DateTime::parse_from_rfc3339("2026-01-05T23:30:00Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(london_datetime(winter), "5 January 2026 at 23:30");
        let late_summer = DateTime::parse_from_rfc3339("2026-07-01T23:30:00Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(london_datetime(late_summer), "2 July 2026 at 00:30");
    }

    #[test]
    fn the_form_keeps_values_escaped_and_lists_errors_in_page_order() {
        let mut errors = ValidationErrors::new();
        errors.add("email", "Enter an email address");
        errors.add("description", "Enter a description");
        let page = FormPage {
            values: ComplaintForm {
                name: Some("<script>x</script>".into()),
                ..Default::default()
            },
            errors,
            ..Default::default()
        };
        let options = category_options(&page.categories);
        let html = askama::Template::render(&form::FormTemplate::new(&page, &options)).unwrap();
        assert!(html.contains("&lt;script&gt;x&lt;/script&gt;"));
        assert!(!html.contains("<script>"));
        let d = html.find("href=\"#description\"").unwrap();
        let e = html.find("href=\"#email\"").unwrap();
        assert!(d < e, "errors follow the order of the page");
        assert!(html.contains("<title>Error: Make a complaint"));
        assert!(
            !html.contains("style="),
            "no inline styles: the CSP forbids them"
        );
    }
}
