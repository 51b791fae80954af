//! Letters at the edge: the printable letter page.

use p3_domain::case::Case;
use p3_domain::casefile::LetterFormat;
use p3_domain::letter::{Addressee, Delivery, Landlord, Letter, Role};

use crate::html::urlencode;

fn copy_label(a: &Addressee) -> String {
    let who = match a.role {
        Role::Resident => "The resident's copy",
        Role::Representative => "The representative's copy",
    };
    match (a.delivery, &a.email) {
        (Delivery::Email, Some(e)) => format!("{who}: emailed to {e}; print it only if asked"),
        _ => format!("{who}: print and post"),
    }
}

/// The printable letter (`templates/letters/print.html`).
#[derive(askama::Template)]
#[template(path = "letters/print.html")]
struct PrintPage<'a> {
    number: u16,
    subject: &'a str,
    landlord: &'a str,
    reference: &'a str,
    reference_url: String,
    kind: String,
    notes: Vec<String>,
    /// The landlord's address lines, phone and email, under its name.
    from: Vec<String>,
    large: bool,
    copies: Vec<Copy>,
    dated: String,
    /// The letter's body, escaped when the letter was written.
    body: &'a str,
}

/// One addressee's copy.
struct Copy {
    label: String,
    /// Their name and postal address lines (or their email when there is no address).
    to: Vec<String>,
}

/// `GET /staff/complaints/{reference}/letters/{number}`: the letter as kept on the case, one
/// printed copy for each addressee (their name and postal address above the date, the subject
/// and the letter), in large print when the resident needs it. What staff must do before it
/// goes is shown on screen and never printed. The template escapes everything but the letter's
/// own body (already escaped when it was written).
pub fn print_page(case: &Case, letter: &Letter, landlord: &Landlord) -> String {
    use askama::Template;
    let large = letter.format == LetterFormat::LargePrint;
    let mut notes: Vec<String> = letter.production_notes.clone();
    if large {
        notes.insert(
            0,
            "Large print: print this letter as it is shown here.".into(),
        );
    }
    let mut from: Vec<String> = Vec::new();
    if let Some(a) = &landlord.address {
        from.extend(a.lines().map(str::to_string));
    }
    if let Some(p) = &landlord.phone {
        from.push(format!("Phone: {p}"));
    }
    if let Some(e) = &landlord.email {
        from.push(format!("Email: {e}"));
    }
    let copies = letter
        .to
        .iter()
        .map(|a| {
            let mut to: Vec<String> = a.name.iter().cloned().collect();
            if let Some(address) = &a.address {
                to.extend(
                    address
                        .lines()
                        .map(str::trim)
                        .filter(|l| !l.is_empty())
                        .map(str::to_string),
                );
            } else if let Some(e) = &a.email {
                to.push(e.clone());
            }
            Copy {
                label: copy_label(a),
                to,
            }
        })
        .collect();
    PrintPage {
        number: letter.number,
        subject: &letter.subject,
        landlord: &landlord.name,
        reference: &case.reference,
        reference_url: urlencode(&case.reference),
        kind: letter.kind.label(letter.stage),
        notes,
        from,
        large,
        copies,
        dated: letter.dated.format("%-d %B %Y").to_string(),
        body: &letter.html,
    }
    .render()
    .unwrap_or_default()
}
