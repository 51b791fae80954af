//! Each letter of the pack as its own printable document, as it went to the resident.

use askama::Template;
use p3_domain::case::Case;
use p3_domain::letter::Letter;

use super::content_security_policy;
use super::pack::{given, rendered, STYLE};

/// One letter as a printable document: the landlord, the addressees, the date, the reference,
/// the subject and the letter as it was issued.
#[derive(Template)]
#[template(path = "evidence/letter.html")]
struct LetterPage<'a> {
    title: String,
    csp: String,
    style: &'static str,
    landlord: &'a str,
    addressees: Vec<AddresseeView>,
    dated: String,
    reference: &'a str,
    subject: &'a str,
    html: &'a str,
}

struct AddresseeView {
    representative: bool,
    name: Option<String>,
    address: Option<String>,
    email: Option<String>,
}

/// The file name of a letter in the zip: `letter-01-stage1-acknowledgement.html`.
pub(super) fn letter_file(l: &Letter) -> String {
    format!(
        "letter-{:02}-stage{}-{}.html",
        l.number,
        l.stage,
        l.kind.as_str().replace('_', "-")
    )
}

pub(super) fn letter_document(case: &Case, l: &Letter, landlord: &str) -> String {
    rendered(&LetterPage {
        title: format!("{}: letter {}: {}", case.reference, l.number, l.subject),
        csp: content_security_policy(),
        style: STYLE,
        landlord,
        addressees: l
            .to
            .iter()
            .map(|a| AddresseeView {
                representative: a.role == p3_domain::letter::Role::Representative,
                name: given(a.name.as_deref()),
                address: a.address.clone(),
                email: a.email.clone(),
            })
            .collect(),
        dated: l.dated.format("%A %-d %B %Y").to_string(),
        reference: &case.reference,
        subject: &l.subject,
        html: &l.html,
    })
}
