//! `GET /staff/cases`: the open complaints, next deadline first, with their filters and the
//! links to the reports. Reads the [`CaseList`] view from the Service and renders
//! `templates/staff/cases.html`.

use askama::Template;
use axum::extract::{RawQuery, State};
use axum::response::Response;
use chrono::{NaiveDate, Utc};
use http::StatusCode;
use p3_domain::london::{london_date, Month};
use serde::Deserialize;

use super::layout::{respond, Chrome};
use super::staff::SignedIn;
use super::urgency::{deadline_label, status_words, Urgency};
use crate::auth::Role;
use crate::html::{monthly_report_link, urlencode, Control, Field, Header, StaffHeader};
use crate::problem::Problem;
use crate::views::{CaseList, CaseSummary, ListQuery};
use crate::AppState;

#[derive(Deserialize, Default)]
struct Filters {
    status: Option<String>,
    owner: Option<String>,
    overdue: Option<String>,
}

const FILTER_STATUSES: [(&str, &str); 6] = [
    ("", "Any open status"),
    ("received", "Received, not acknowledged"),
    ("acknowledged", "Stage 1 being investigated"),
    ("responded", "Responded"),
    ("stage2_requested", "Stage 2 requested"),
    ("stage2_acknowledged", "Stage 2 being reviewed"),
];

/// The links to last month's and this month's reports, and a field for another month.
struct ReportLinks<'a> {
    last_month: String,
    last_month_href: String,
    this_month: String,
    this_month_href: String,
    month_field: Field<'a>,
}

impl ReportLinks<'_> {
    fn new() -> Self {
        let this_month = Month::of(london_date(Utc::now()));
        let last_month = this_month.previous();
        let name = |m: Month| m.first_day().format("%B %Y").to_string();
        let ym = |m: Month| m.first_day().format("%Y-%m").to_string();
        ReportLinks {
            last_month: name(last_month),
            last_month_href: monthly_report_link(Some(&ym(last_month))),
            this_month: name(this_month),
            this_month_href: monthly_report_link(Some(&ym(this_month))),
            month_field: Field {
                hint: "For example, 2026-03",
                class: "input--medium",
                attrs: "inputmode=\"numeric\" spellcheck=\"false\"",
                ..Field::new("report-month", "month", "Another month")
            },
        }
    }
}

/// The case list page.
#[derive(Template)]
#[template(path = "staff/cases.html")]
struct CasesPage<'a> {
    chrome: Chrome<'a>,
    st: &'a AppState,
    today: NaiveDate,
    /// (element id, message) for the error summary.
    errors: Vec<(String, String)>,
    list: CaseList,
    overdue: usize,
    soon: usize,
    status_field: Field<'a>,
    owner_field: Field<'a>,
    only_overdue: bool,
    reports: ReportLinks<'a>,
    /// The links to log a complaint or a service request, for a role that may.
    may_log: bool,
}

impl CasesPage<'_> {
    fn urgency(&self, c: &CaseSummary) -> Urgency {
        match &c.next_deadline {
            Some(d) => Urgency::of(
                &self.st.service.rules.calendar,
                self.today,
                Some(d.due),
                Urgency::status_name(d.status),
            ),
            None => Urgency {
                tag: "Nothing due".into(),
                tag_class: "tag--grey",
                detail: None,
                row_class: "",
            },
        }
    }

    fn url_part(&self, s: &str) -> String {
        urlencode(s)
    }

    fn next_kind(&self, c: &CaseSummary) -> String {
        c.next_deadline
            .as_ref()
            .map(|d| deadline_label(&d.kind.to_string()))
            .unwrap_or_else(|| "-".into())
    }

    fn next_due(&self, c: &CaseSummary) -> String {
        c.next_deadline
            .as_ref()
            .map(|d| self.short_date(&d.due))
            .unwrap_or_else(|| "-".into())
    }

    fn status(&self, c: &CaseSummary) -> String {
        status_words(&c.status)
    }

    fn short_date(&self, d: &NaiveDate) -> String {
        d.format("%a %-d %b %Y").to_string()
    }
}

/// `GET /staff/cases`: the open complaints, next deadline first.
pub(crate) async fn cases_page(
    State(st): State<AppState>,
    who: SignedIn,
    RawQuery(raw): RawQuery,
) -> Response {
    let qs = raw.unwrap_or_default();
    let filters: Filters = serde_urlencoded::from_str(&qs).unwrap_or_default();
    let query: ListQuery = serde_urlencoded::from_str(&qs).unwrap_or_default();
    let now = st.service.clock.now();
    let found = match who.staff.require(Role::Auditor) {
        Ok(()) => match query.parse(london_date(now)) {
            Ok(q) => CaseList::load(&st.service, &q, now)
                .await
                .map_err(Problem::from),
            Err(e) => Err(Problem::invalid(e)),
        },
        Err(p) => Err(p),
    };
    let (list, problem) = match found {
        Ok(list) => (list, None),
        Err(p) => (
            CaseList {
                count: 0,
                cases: Vec::new(),
            },
            Some(p),
        ),
    };
    let errors: Vec<(String, String)> = match &problem {
        None => Vec::new(),
        Some(p) if p.errors.is_empty() => vec![(
            "#filters".into(),
            p.detail.clone().unwrap_or_else(|| p.title.clone()),
        )],
        Some(p) => p
            .errors
            .iter()
            .map(|e| (format!("#filter-{}", e.field), e.message.clone()))
            .collect(),
    };
    let error_of = |field: &str| {
        problem
            .as_ref()
            .and_then(|p| p.errors.iter().find(|e| e.field == field))
            .map(|e| e.message.as_str())
    };

    let mut status_options: Vec<(String, String)> = FILTER_STATUSES
        .iter()
        .map(|(v, t)| (v.to_string(), t.to_string()))
        .collect();
    if let Some(s) = &filters.status {
        if !s.is_empty() && !status_options.iter().any(|(v, _)| v == s) {
            status_options.push((s.clone(), status_words(s)));
        }
    }
    let status_value = filters.status.clone().unwrap_or_default();
    let owner_value = filters.owner.clone().unwrap_or_default();
    let overdue = list.cases.iter().filter(|c| c.overdue).count();
    let soon = list
        .cases
        .iter()
        .filter(|c| c.due_within_two_working_days)
        .count();
    let page = CasesPage {
        may_log: who.staff.role.includes(Role::Officer),
        chrome: Chrome::new(
            "Open complaints",
            &st.service.settings.landlord,
            &Header::Staff(Some(StaffHeader {
                name: &who.staff.name,
                role: who.staff.role.as_str(),
                csrf: &who.csrf,
                current: "cases",
            })),
        ),
        st: &st,
        today: london_date(now),
        overdue,
        soon,
        status_field: Field {
            value: &status_value,
            control: Control::Select(&status_options),
            error: error_of("status"),
            ..Field::new("filter-status", "status", "Status")
        },
        owner_field: Field {
            value: &owner_value,
            control: Control::Input("email"),
            attrs: "spellcheck=\"false\"",
            error: error_of("owner"),
            ..Field::new("filter-owner", "owner", "Owner or reviewer (email)")
        },
        only_overdue: filters.overdue.as_deref() == Some("true"),
        reports: ReportLinks::new(),
        errors,
        list,
    };
    let status = if problem.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    respond(status, &page)
}
