//! The page around every body (`templates/base.html`): title, header with the staff
//! navigation, main, footer. Every page's template extends it and carries a [`Chrome`].

use askama::Template;
use axum::response::{Html, IntoResponse, Response};
use http::StatusCode;

use crate::html::{humanise, monthly_report_link, Header};
use crate::http::cookies::private_page;

/// What the layout shows around a page's body.
pub(crate) struct Chrome<'a> {
    /// The page's title (before ` - {landlord} complaints`).
    pub title: &'a str,
    /// The landlord's name.
    pub landlord: &'a str,
    /// Where the brand links to.
    pub home: &'static str,
    /// The service's name in the header.
    pub service: &'static str,
    /// The signed-in member of staff's navigation, on staff pages.
    pub staff: Option<StaffNav<'a>>,
}

/// The staff navigation: the sections, who is signed in, and sign-out.
pub(crate) struct StaffNav<'a> {
    /// Display name.
    pub name: &'a str,
    /// Role, in words.
    pub role: String,
    /// The session's CSRF token, for the sign-out form.
    pub csrf: &'a str,
    /// `cases` or `report`: which link is the current page.
    pub current: &'a str,
    /// The monthly report's link.
    pub report_href: String,
}

impl<'a> Chrome<'a> {
    /// The layout of a page titled `title` with `header`.
    pub(crate) fn new(title: &'a str, landlord: &'a str, header: &Header<'a>) -> Self {
        let (home, service, staff) = match header {
            Header::Public => ("/", "Complaints", None),
            Header::Staff(None) => ("/staff", "Complaints: staff", None),
            Header::Staff(Some(s)) => (
                "/staff/cases",
                "Complaints: staff",
                Some(StaffNav {
                    name: s.name,
                    role: humanise(s.role),
                    csrf: s.csrf,
                    current: s.current,
                    report_href: monthly_report_link(None),
                }),
            ),
        };
        Chrome {
            title,
            landlord,
            home,
            service,
            staff,
        }
    }
}

/// A page whose body is already HTML (the pages not yet made from their own template).
#[derive(Template)]
#[template(path = "page.html")]
pub(crate) struct RawPage<'a> {
    pub chrome: Chrome<'a>,
    pub body: &'a str,
}

/// A rendered page as a private (uncached) HTML answer; a template that fails to render (it
/// cannot, short of running out of memory) is a 500.
pub(crate) fn respond(status: StatusCode, page: &impl Template) -> Response {
    match page.render() {
        Ok(html) => {
            let mut res = Html(html).into_response();
            *res.status_mut() = status;
            private_page(res)
        }
        Err(e) => {
            tracing::error!(error = %e, "a page did not render");
            crate::problem::Problem::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "The page could not be shown",
            )
            .into_response()
        }
    }
}
