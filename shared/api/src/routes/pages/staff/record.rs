//! The case page's notes, correspondence log and attachments, with their three forms: the typed
//! section of `templates/staff/case_record.html` (each form in its own include under
//! `templates/staff/case/`). The note and correspondence forms post like every other form on
//! the page (see [`super::case_action`]): `note` to the notes route, `correspondence` to the
//! correspondence route, each through the same domain command as its JSON route. The file form
//! posts multipart to its own route ([`super::upload`]).

use askama::Template;
use chrono::{DateTime, Utc};
use p3_domain::correspondence::{CorrespondenceChannel, CorrespondenceEntry, Direction};
use p3_domain::note::CaseNote;
use serde_json::{json, Map, Value};

use super::case::form::{Ctl, Input};
use super::input;
use super::{get, random_hex, text, Attempt, SignedIn};
use crate::auth::Role;
use crate::html::{london_datetime, urlencode};
use crate::views::StaffCase;

/// The forms of this section, as the page's path names them.
pub(super) const ACTIONS: [&str; 2] = ["note", "correspondence"];

/// The channels, in the order the form offers them.
const CHANNELS: [(CorrespondenceChannel, &str); 6] = [
    (CorrespondenceChannel::Email, "Email"),
    (CorrespondenceChannel::Letter, "Letter"),
    (CorrespondenceChannel::Phone, "Phone call"),
    (CorrespondenceChannel::InPerson, "In person"),
    (
        CorrespondenceChannel::Online,
        "Online (web form, portal, social media)",
    ),
    (CorrespondenceChannel::Other, "Another way"),
];

/// What the banner says once a form's record is added.
pub(super) fn done_message(action: &str) -> Option<&'static str> {
    match action {
        "note" => Some("Note added"),
        "correspondence" => Some("Correspondence logged"),
        _ => None,
    }
}

/// The section of the case page.
#[derive(Template)]
#[template(path = "staff/case_record.html")]
pub(super) struct RecordSection<'a> {
    url_reference: String,
    csrf: &'a str,
    version: u64,
    notes: Vec<NoteRow>,
    correspondence: Vec<CorrespondenceRow>,
    attachments: Vec<AttachmentRow>,
    /// (value, label) of the direction radios.
    directions: [(&'static str, &'static str); 2],
    /// `None` when the role may not add one.
    note_form: Option<NoteForm>,
    correspondence_form: Option<CorrespondenceForm<'a>>,
    attachment_form: Option<AttachmentForm>,
}

/// The "Add a file" form.
struct AttachmentForm {
    open: bool,
    hint: String,
    file_error: Option<String>,
    description: Input,
    /// The upload inbox's form, when the host's inbox hands them out: the file then goes
    /// straight into the inbox ([`super::inbox_file`]).
    inbox: Option<InboxPost>,
}

/// Where the "Add a file" form posts the file straight into the upload inbox.
struct InboxPost {
    url: String,
    fields: Vec<(String, String)>,
    /// How long the form lasts, and what to do when it has expired.
    lasts: String,
}

impl RecordSection<'_> {
    /// True when the page offers the "Add a file" form (the role may add files).
    pub(super) fn takes_files(&self) -> bool {
        self.attachment_form.is_some()
    }

    /// Makes the "Add a file" form post straight into the upload inbox with `form`.
    pub(super) fn post_into_inbox(&mut self, form: p3_domain::inbox::UploadForm) {
        if let Some(f) = &mut self.attachment_form {
            f.inbox = Some(InboxPost {
                url: form.url,
                fields: form.fields,
                lasts: super::inbox_file::lifetime_hint(),
            });
        }
    }
}

/// A file kept with the case, as the Attachments table shows it.
struct AttachmentRow {
    id: String,
    filename: String,
    content_type: String,
    size: String,
    by: String,
    when: String,
    description: String,
}

fn attachment_rows(files: &[p3_domain::attachment::Attachment]) -> Vec<AttachmentRow> {
    files
        .iter()
        .map(|a| AttachmentRow {
            id: a.id.clone(),
            filename: a.filename.clone(),
            content_type: a.content_type.clone(),
            size: p3_domain::attachment::size_label(a.size),
            by: a.by.clone(),
            when: when(a.added_at),
            description: a.description.clone(),
        })
        .collect()
}

struct NoteRow {
    number: u64,
    when: String,
    by: String,
    text: String,
    corrects: Option<u64>,
    corrected_by: Vec<u64>,
}

struct CorrespondenceRow {
    number: u64,
    when: String,
    /// "Received by email", "Sent or said by phone"…
    what: String,
    summary: String,
    /// (id, file name) of the case's files it names.
    attachments: Vec<(String, String)>,
    logged: String,
    by: String,
}

struct NoteForm {
    open: bool,
    key: String,
    text: Input,
    corrects: Option<Input>,
}

struct CorrespondenceForm<'a> {
    open: bool,
    key: String,
    direction: String,
    direction_error: Option<&'a str>,
    channel: Input,
    at: Input,
    summary: Input,
    /// (id, label, ticked) of the case's files, to name those it came with.
    files: Vec<(String, String, bool)>,
    files_error: Option<&'a str>,
}

fn channel_label(c: CorrespondenceChannel) -> &'static str {
    CHANNELS
        .iter()
        .find(|(x, _)| *x == c)
        .map(|(_, l)| *l)
        .unwrap_or("Another way")
}

fn when(t: DateTime<Utc>) -> String {
    london_datetime(t)
}

fn note_rows(notes: &[CaseNote]) -> Vec<NoteRow> {
    notes
        .iter()
        .map(|n| NoteRow {
            number: n.number,
            when: when(n.at),
            by: n.by.clone(),
            text: n.text.clone(),
            corrects: n.corrects,
            corrected_by: n.corrected_by.clone(),
        })
        .collect()
}

fn correspondence_rows(
    entries: &[CorrespondenceEntry],
    files: &[p3_domain::attachment::Attachment],
) -> Vec<CorrespondenceRow> {
    let name = |id: &String| {
        files
            .iter()
            .find(|a| &a.id == id)
            .map_or_else(|| id.clone(), |a| a.filename.clone())
    };
    entries
        .iter()
        .map(|c| {
            let how = channel_label(c.channel).to_lowercase();
            CorrespondenceRow {
                number: c.number,
                when: when(c.at),
                what: match c.direction {
                    Direction::Inbound => format!("Received: {how}"),
                    Direction::Outbound => format!("Sent or said: {how}"),
                },
                summary: c.summary.clone(),
                attachments: c
                    .attachments
                    .iter()
                    .map(|id| (id.clone(), name(id)))
                    .collect(),
                logged: when(c.recorded_at),
                by: c.by.clone(),
            }
        })
        .collect()
}

/// The section for the staff view of a case, with what the form just posted (`attempt`) kept in
/// its fields.
pub(super) fn section<'a>(
    who: &'a SignedIn,
    view: &StaffCase,
    attempt: &'a Attempt,
) -> RecordSection<'a> {
    let notes = view.notes;
    let entries = view.correspondence;
    let may_write = who.staff.role.includes(Role::Officer);
    let field = |form: &str, name: &str, label: &str, hint: &str, control: Ctl| Input {
        hint: hint.to_string(),
        control,
        ..input(attempt, form, name, label)
    };
    let mut corrects_options = vec![(String::new(), "It is not a correction".to_string())];
    corrects_options.extend(notes.iter().map(|n| {
        let start: String = n.text.chars().take(60).collect();
        let more = if n.text.chars().count() > 60 {
            "…"
        } else {
            ""
        };
        (
            n.number.to_string(),
            format!("Note {}: {start}{more}", n.number),
        )
    }));
    let mut channel_options = vec![(String::new(), "Choose how".to_string())];
    channel_options.extend(
        CHANNELS
            .iter()
            .map(|(c, l)| (c.as_str().to_string(), l.to_string())),
    );
    RecordSection {
        url_reference: urlencode(view.reference),
        csrf: &who.csrf,
        version: view.version,
        notes: note_rows(notes),
        correspondence: correspondence_rows(entries, view.attachments),
        attachments: attachment_rows(view.attachments),
        directions: [
            (
                Direction::Inbound.as_str(),
                "Received from the resident, their representative or a contractor",
            ),
            (Direction::Outbound.as_str(), "Sent or said by us"),
        ],
        note_form: may_write.then(|| NoteForm {
            open: attempt.action == "note",
            key: random_hex(16),
            text: field(
                "note",
                "text",
                "Note",
                "Up to 10,000 characters. Staff only: the resident never sees notes.",
                Ctl::TextArea(4),
            ),
            corrects: (!notes.is_empty()).then(|| {
                field(
                    "note",
                    "corrects",
                    "Does it correct a note?",
                    "If this note corrects an earlier one, choose it. The earlier note is kept as it was.",
                    Ctl::Select(corrects_options),
                )
            }),
        }),
        correspondence_form: may_write.then(|| CorrespondenceForm {
            open: attempt.action == "correspondence",
            key: random_hex(16),
            direction: attempt.value("correspondence", "direction"),
            direction_error: attempt.error("correspondence-direction"),
            channel: field(
                "correspondence",
                "channel",
                "How",
                "",
                Ctl::Select(channel_options),
            ),
            at: Input {
                class: "input--medium",
                ..field(
                    "correspondence",
                    "at",
                    "When was it sent, received or said? (optional)",
                    "Leave blank if it is now. UK time; it cannot be in the future or before the last event.",
                    Ctl::Input("datetime-local"),
                )
            },
            summary: field(
                "correspondence",
                "summary",
                "Summary",
                "What was sent or said, and by whom. Up to 10,000 characters.",
                Ctl::TextArea(4),
            ),
            files: view
                .attachments
                .iter()
                .map(|a| {
                    let ticked = attempt.action == "correspondence"
                        && attempt
                            .fields
                            .iter()
                            .any(|(k, v)| k == "attachments" && v == &a.id);
                    let label = format!(
                        "{} ({}, added {})",
                        a.filename,
                        p3_domain::attachment::size_label(a.size),
                        when(a.added_at)
                    );
                    (a.id.clone(), label, ticked)
                })
                .collect(),
            files_error: attempt.error("correspondence-attachments"),
        }),
        attachment_form: may_write.then(|| AttachmentForm {
            open: attempt.action == "attachment",
            hint: format!(
                "{}, up to {} MB. The kind is told from the file itself.",
                p3_domain::attachment::TAKEN,
                p3_domain::attachment::MAX_FILE_BYTES / (1024 * 1024)
            ),
            file_error: attempt.error("attachment-file").map(str::to_string),
            description: field(
                "attachment",
                "description",
                "What is it? (optional)",
                "For example: photo of the damp in the back bedroom, taken by the resident. Up to 1,000 characters.",
                Ctl::TextArea(2),
            ),
            inbox: None,
        }),
    }
}

/// Where an API field error is shown: the field's element, or the form itself for a field
/// the form does not have (a malformed body).
pub(super) fn element_for(form: &str, field: &str) -> String {
    let on_the_form: &[&str] = match form {
        "note" => &["text", "corrects"],
        "correspondence" => &["direction", "channel", "at", "summary", "attachments"],
        "attachment" => &["file", "description"],
        _ => &[],
    };
    if on_the_form.contains(&field) {
        format!("{form}-{field}")
    } else {
        form.to_string()
    }
}

/// Turns a form of this section into its API body (the `at` is already in it), or the fields
/// at fault (by element id).
pub(super) fn json_body(
    action: &str,
    fields: &[(String, String)],
    body: &mut Map<String, Value>,
) -> Vec<(String, String)> {
    let mut errors = Vec::new();
    let required = |body: &mut Map<String, Value>, name: &str| {
        body.insert(name.into(), json!(get(fields, name).unwrap_or("").trim()));
    };
    match action {
        "note" => {
            required(body, "text");
            match text(fields, "corrects").map(|v| v.parse::<u64>()) {
                None => {}
                Some(Ok(n)) => {
                    body.insert("corrects".into(), json!(n));
                }
                Some(Err(_)) => errors.push((
                    "note-corrects".into(),
                    "Choose the note this corrects from the list".into(),
                )),
            }
        }
        "correspondence" => {
            for (name, what) in [
                ("direction", "Choose whether it was received or sent"),
                ("channel", "Choose how it was sent or said"),
            ] {
                match text(fields, name) {
                    Some(v) => {
                        body.insert(name.into(), json!(v));
                    }
                    None => errors.push((format!("correspondence-{name}"), what.into())),
                }
            }
            required(body, "summary");
            let files: Vec<&str> = fields
                .iter()
                .filter(|(k, v)| k == "attachments" && !v.is_empty())
                .map(|(_, v)| v.as_str())
                .collect();
            if !files.is_empty() {
                body.insert("attachments".into(), json!(files));
            }
        }
        _ => {}
    }
    errors
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_land_on_the_fields_the_forms_have() {
        assert_eq!(element_for("note", "text"), "note-text");
        assert_eq!(element_for("note", "corrects"), "note-corrects");
        assert_eq!(element_for("note", "(body)"), "note");
        assert_eq!(
            element_for("correspondence", "summary"),
            "correspondence-summary"
        );
        assert_eq!(
            element_for("correspondence", "attachments"),
            "correspondence-attachments"
        );
        assert_eq!(element_for("attachment", "file"), "attachment-file");
        assert_eq!(element_for("correspondence", "(body)"), "correspondence");
    }

    #[test]
    fn a_form_becomes_the_api_body() {
        let f = |pairs: &[(&str, &str)]| -> Vec<(String, String)> {
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect()
        };
        let mut body = Map::new();
        let errors = json_body(
            "note",
            &f(&[("text", " A note "), ("corrects", "3")]),
            &mut body,
        );
        assert!(errors.is_empty());
        assert_eq!(
            Value::Object(body),
            json!({"text": "A note", "corrects": 3})
        );
        let mut body = Map::new();
        let errors = json_body("correspondence", &f(&[("summary", "Rang")]), &mut body);
        let ids: Vec<&str> = errors.iter().map(|(id, _)| id.as_str()).collect();
        assert_eq!(ids, ["correspondence-direction", "correspondence-channel"]);
        let mut body = Map::new();
        let errors = json_body(
            "correspondence",
            &f(&[
                ("direction", "inbound"),
                ("channel", "email"),
                ("summary", "Photos"),
                ("attachments", "aa"),
                ("attachments", "bb"),
            ]),
            &mut body,
        );
        assert!(errors.is_empty());
        assert_eq!(body["attachments"], json!(["aa", "bb"]));
    }
}
