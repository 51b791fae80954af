//! The resident's pages: the confirmation, their case and their request for a review
//! (`templates/resident/`), rendered from the typed [`ResidentCase`].

use askama::Template;
use axum::response::Response;
use http::StatusCode;
use p3_domain::deadline::{DeadlineKind, DeadlineStatus, DeadlineStep};

use super::*;
use crate::routes::pages::layout::{respond, Chrome};
use crate::views::ResidentCase;

/// Plain words for a case status, for residents.
pub(crate) fn resident_status(status: &str) -> String {
    match status {
        "received" => "Received: we will acknowledge it soon".into(),
        "acknowledged" => "Being looked into".into(),
        "responded" => "We have responded".into(),
        "stage2_requested" => "You asked for a review (Stage 2)".into(),
        "stage2_acknowledged" => "Review in progress (Stage 2)".into(),
        "stage3_requested" => "You asked for a final review (Stage 3)".into(),
        "stage3_acknowledged" => "Final review in progress (Stage 3)".into(),
        "closed" => "Closed".into(),
        "withdrawn" => "Withdrawn".into(),
        "refused" => "We could not take this complaint on".into(),
        other => humanise(other),
    }
}

/// What happens at a deadline, in the resident's words.
pub(crate) fn resident_deadline_label(kind: &DeadlineKind) -> String {
    use DeadlineStep::*;
    match (kind.stage, kind.step) {
        (1, Acknowledgement) => "We acknowledge your complaint".into(),
        (1, Response) => "We send our full response".into(),
        (2, RequestWindow) => "You ask for a review (Stage 2), if you want one".into(),
        (2, Acknowledgement) => "We acknowledge your request for a review".into(),
        (2, Response) => "We send our review response".into(),
        (3, RequestWindow) => "You ask for a final review (Stage 3), if you want one".into(),
        (3, Acknowledgement) => "We acknowledge your request for a final review".into(),
        (3, Response) => "We send our final review response".into(),
        (_, Action(n)) => format!("We complete action {n}"),
        _ => humanise(&kind.to_string()),
    }
}

/// Where a deadline stands, in the resident's words, and its tag's class: for their own
/// window to ask for a review, whether they asked in time.
pub(crate) fn resident_deadline_tag(
    kind: &DeadlineKind,
    status: &DeadlineStatus,
) -> (&'static str, &'static str) {
    use DeadlineStatus::*;
    let window = kind.step == DeadlineStep::RequestWindow;
    match (window, *status) {
        (true, Pending) => ("Open", "tag--grey"),
        (true, Met) => ("You asked in time", "tag--green"),
        (true, MetLate) => ("You asked after this date", "tag--grey"),
        (true, Expired) => ("Date passed", "tag--grey"),
        (_, Pending) => ("Not yet due", "tag--grey"),
        (_, Met) => ("Done", "tag--green"),
        (_, MetLate) => ("Done late", "tag--yellow"),
        (_, Breached) => ("Late: not done yet", "tag--red"),
        (_, Cancelled) => ("No longer needed", "tag--grey"),
        (false, Expired) => ("Expired", "tag--grey"),
    }
}

/// A decision (`upheld`, `partly_upheld`, `not_upheld`) in the resident's words.
pub(crate) fn outcome_words(outcome: &str) -> String {
    match outcome {
        "upheld" => "Upheld: we agree with your complaint".into(),
        "partly_upheld" => "Partly upheld: we agree with part of your complaint".into(),
        "not_upheld" => "Not upheld: we do not agree with your complaint".into(),
        other => humanise(other),
    }
}

/// The resident's case page with their access code: `/complaints/{reference}?code=`.
fn case_link(reference: &str, code: &str) -> String {
    format!(
        "/complaints/{}?code={}",
        urlencode(reference),
        urlencode(code)
    )
}

/// Where the request form for `stage` (2 or 3) posts.
fn stage_action(reference: &str, code: &str, stage: u8) -> String {
    format!(
        "/complaints/{}/stage{stage}?code={}",
        urlencode(reference),
        urlencode(code)
    )
}

/// The Stage 2 request form's one field.
fn reason_field<'a>(reason: &'a str, error: Option<&'a str>) -> Field<'a> {
    Field {
        hint: "Tell us which parts of our response you disagree with and why. You can leave this blank.",
        value: reason,
        error,
        control: Control::TextArea(6),
        ..Field::new("reason", "reason", "Why are you unhappy with our response? (optional)")
    }
}

/// The file input of the public form and of the Stage 2 request form: up to five files, sent
/// with the form itself (`multipart/form-data`); an error names `attachments`.
pub(crate) fn files_field<'a>(error: Option<&'a str>) -> Field<'a> {
    Field {
        hint: FILES_HINT,
        error,
        control: Control::Input("file"),
        attrs: FILES_ATTRS,
        ..Field::new(
            "attachments",
            "attachments",
            "Photos or documents (optional)",
        )
    }
}

const FILES_HINT: &str = "Up to 5 files, each 10 MB or smaller: photos (JPEG, PNG, HEIC), PDF, Word, Excel, plain text or saved emails.";
const FILES_ATTRS: &str =
    "multiple accept=\".pdf,.png,.jpg,.jpeg,.heic,.heif,.doc,.docx,.xls,.xlsx,.txt,.eml,.msg\"";

/// The confirmation page (`templates/resident/confirmation.html`): the reference, the access
/// code and the dates to expect.
#[derive(Template)]
#[template(path = "resident/confirmation.html")]
struct ConfirmationPage<'a> {
    chrome: Chrome<'a>,
    view: &'a ResidentCase<'a>,
    code: &'a str,
    case_link: String,
}

impl ConfirmationPage<'_> {
    /// The long date of the case's Stage 1 deadline of `step`, or "-".
    fn due(&self, step: DeadlineStep) -> String {
        self.view
            .deadlines
            .iter()
            .find(|d| d.kind == DeadlineKind::new(1, step))
            .map(|d| long_date(d.due))
            .unwrap_or_else(|| "-".into())
    }

    fn acknowledge_by(&self) -> String {
        self.due(DeadlineStep::Acknowledgement)
    }

    fn respond_by(&self) -> String {
        self.due(DeadlineStep::Response)
    }
}

/// The confirmation page of `view`, opened with `code`.
pub(crate) fn confirmation_response(view: &ResidentCase, code: &str, landlord: &str) -> Response {
    respond(
        StatusCode::OK,
        &ConfirmationPage {
            chrome: Chrome::new("Complaint received", landlord, &Header::Public),
            view,
            code,
            case_link: case_link(view.reference, code),
        },
    )
}

/// The resident's case page (`templates/resident/case.html`): stage, dates, letters,
/// responses, how to ask for Stage 2, the Ombudsman.
#[derive(Template)]
#[template(path = "resident/case.html")]
struct CasePage<'a> {
    chrome: Chrome<'a>,
    view: &'a ResidentCase<'a>,
    csrf: &'a str,
    stage2_action: String,
    reason: Field<'a>,
    files: Field<'a>,
    /// The case page carries no files from the files step (its review form links to it).
    carried: Vec<CarriedFile>,
    files_step: String,
    code: &'a str,
}

impl CasePage<'_> {
    /// Where the resident downloads a file they sent.
    fn download(&self, id: &str) -> String {
        resident_file_link(self.view.reference, self.code, id)
    }
}

/// Where a resident downloads a file they sent: `/complaints/{reference}/files/{id}?code=`.
pub(crate) fn resident_file_link(reference: &str, code: &str, id: &str) -> String {
    format!(
        "/complaints/{}/files/{}?code={}",
        urlencode(reference),
        urlencode(id),
        urlencode(code)
    )
}

/// The resident's case page of `view`, opened with `code`, its Stage 2 form carrying `csrf`,
/// handed to `then`.
fn with_case_page<R>(
    view: &ResidentCase,
    code: &str,
    csrf: &str,
    landlord: &str,
    then: impl FnOnce(&CasePage) -> R,
) -> R {
    let title = format!("Your complaint {}", view.reference);
    then(&CasePage {
        chrome: Chrome::new(&title, landlord, &Header::Public),
        view,
        csrf,
        stage2_action: stage_action(view.reference, code, view.stage + 1),
        reason: reason_field("", None),
        files: files_field(None),
        carried: Vec::new(),
        files_step: request_files_step(view.reference, code, view.stage + 1, &[]),
        code,
    })
}

/// The resident's case page of `view` as HTML, opened with `code`, its Stage 2 form carrying
/// `csrf`.
pub fn case_page(
    view: &ResidentCase,
    code: &str,
    csrf: &str,
    landlord: &str,
) -> askama::Result<String> {
    with_case_page(view, code, csrf, landlord, |page| page.render())
}

/// The resident's case page as a 200 answer (see [`case_page`]).
pub(crate) fn case_response(
    view: &ResidentCase,
    code: &str,
    csrf: &str,
    landlord: &str,
) -> Response {
    with_case_page(view, code, csrf, landlord, |page| {
        respond(StatusCode::OK, page)
    })
}

/// The page for asking for a Stage 2 review (`templates/resident/stage2.html`), with the error
/// summary when the request failed.
#[derive(Template)]
#[template(path = "resident/stage2.html")]
struct Stage2Page<'a> {
    chrome: Chrome<'a>,
    view: &'a ResidentCase<'a>,
    /// (element id with its #, message) for the error summary.
    errors: Vec<(String, String)>,
    csrf: &'a str,
    /// What the resident is told to expect at Stage 2, or empty.
    timescales: &'a str,
    stage2_action: String,
    reason: Field<'a>,
    files: Field<'a>,
    back: String,
    /// The stage the page asks for.
    stage: u8,
    /// The files added on the files step (or sent before an error), carried as slots.
    carried: &'a [CarriedFile],
    files_step: String,
    /// Whether to link to the files step (not once the resident typed a reason).
    offer_files_step: bool,
}

impl Stage2Page<'_> {
    /// Whether the resident can ask for this page's stage now.
    fn can_ask(&self) -> bool {
        self.view.can_request_stage2 && self.view.stage + 1 == self.stage
    }

    /// Why a review cannot be asked for now.
    fn why_not(&self) -> &'static str {
        match self.view.status.as_str() {
            "stage2_requested" | "stage2_acknowledged" | "stage3_requested"
            | "stage3_acknowledged" => {
                "You have already asked for a review. We will write to you by the dates on your complaint page."
            }
            "received" | "acknowledged" => {
                "You can ask for a review once we have sent our response to your complaint."
            }
            _ => "A review cannot be asked for on this complaint now. If you are unhappy, you can contact the Housing Ombudsman.",
        }
    }
}

/// What the Stage 2 request page shows besides the case.
pub(crate) struct Stage2Form<'a> {
    /// The access code the page was opened with.
    pub code: &'a str,
    /// The CSRF token of the form.
    pub csrf: &'a str,
    /// The reason as typed, kept after an error.
    pub reason: &'a str,
    /// What went wrong, if the request failed.
    pub errors: &'a ValidationErrors,
    /// What the resident is told to expect at the next stage, or empty.
    pub timescales: &'a str,
    /// The stage the page asks for (2 or 3).
    pub stage: u8,
    /// The files carried from the files step.
    pub files: &'a [CarriedFile],
}

/// The Stage 2 request page of `view` as an answer with `status`.
pub(crate) fn stage2_response(
    status: StatusCode,
    view: &ResidentCase,
    form: &Stage2Form,
    landlord: &str,
) -> Response {
    let errors = form.errors;
    respond(
        status,
        &Stage2Page {
            chrome: Chrome::new(
                if errors.is_empty() {
                    "Ask for a review"
                } else {
                    "Error: Ask for a review"
                },
                landlord,
                &Header::Public,
            ),
            view,
            errors: summary_items(errors, &["reason", "attachments"], ""),
            csrf: form.csrf,
            timescales: form.timescales,
            stage2_action: stage_action(view.reference, form.code, form.stage),
            reason: reason_field(form.reason, errors.message_for("reason")),
            files: files_field(errors.message_for("attachments")),
            back: case_link(view.reference, form.code),
            stage: form.stage,
            carried: form.files,
            files_step: request_files_step(view.reference, form.code, form.stage, form.files),
            offer_files_step: errors.is_empty() && form.reason.is_empty(),
        },
    )
}
