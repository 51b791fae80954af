//! Letters at the edge: the printable letter page.

use p3_domain::case::Case;
use p3_domain::casefile::LetterFormat;
use p3_domain::letter::{Addressee, Delivery, Landlord, Letter, Role};

use crate::html::{esc, urlencode};

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

/// `GET /staff/complaints/{reference}/letters/{number}`: the letter as kept on the case, one
/// printed copy for each addressee (their name and postal address above the date, the subject
/// and the letter), in large print when the resident needs it. What staff must do before it
/// goes is shown on screen and never printed. Everything but the letter's own body (already
/// escaped when it was written) is escaped here.
pub fn print_page(case: &Case, letter: &Letter, landlord: &Landlord) -> String {
    let large = letter.format == LetterFormat::LargePrint;
    let mut notes: Vec<String> = letter.production_notes.clone();
    if large {
        notes.insert(
            0,
            "Large print: print this letter as it is shown here.".into(),
        );
    }
    let mut from = format!("<p class=\"letter__landlord\">{}</p>", esc(&landlord.name));
    let mut lines: Vec<String> = Vec::new();
    if let Some(a) = &landlord.address {
        lines.extend(a.lines().map(esc));
    }
    if let Some(p) = &landlord.phone {
        lines.push(format!("Phone: {}", esc(p)));
    }
    if let Some(e) = &landlord.email {
        lines.push(format!("Email: {}", esc(e)));
    }
    if !lines.is_empty() {
        from.push_str(&format!("<p>{}</p>", lines.join("<br>")));
    }
    let mut body = format!(
        "<div class=\"letter-tools no-print\">\
         <p><a href=\"/staff/cases/{ru}\">Back to complaint {r}</a></p>\
         <p>Letter {n} of complaint {r}: {kind}. Use your browser's print command to print it; \
         each copy starts on a new page.</p><ul class=\"list\">",
        ru = esc(&urlencode(&case.reference)),
        r = esc(&case.reference),
        n = letter.number,
        kind = esc(&letter.kind.label(letter.stage)),
    );
    for a in &letter.to {
        body.push_str(&format!("<li>{}</li>", esc(&copy_label(a))));
    }
    body.push_str("</ul>");
    if !notes.is_empty() {
        body.push_str(
            "<div class=\"letter-notes\" role=\"note\" aria-labelledby=\"notes-title\">\
             <h2 class=\"heading-m\" id=\"notes-title\">Before you send this letter</h2><ul class=\"list\">",
        );
        for n in &notes {
            body.push_str(&format!("<li>{}</li>", esc(n)));
        }
        body.push_str("</ul></div>");
    }
    body.push_str("</div>");
    let class = if large {
        "letter letter--large"
    } else {
        "letter"
    };
    for (i, a) in letter.to.iter().enumerate() {
        let mut to = Vec::new();
        if let Some(name) = &a.name {
            to.push(esc(name));
        }
        if let Some(address) = &a.address {
            to.extend(
                address
                    .lines()
                    .map(str::trim)
                    .filter(|l| !l.is_empty())
                    .map(esc),
            );
        } else if let Some(e) = &a.email {
            to.push(esc(e));
        }
        let copy = if letter.to.len() > 1 {
            format!(
                "<p class=\"letter__copy no-print\">Copy {} of {}</p>",
                i + 1,
                letter.to.len()
            )
        } else {
            String::new()
        };
        let heading = if i == 0 { "h1" } else { "h2" };
        body.push_str(&format!(
            "<article class=\"{class}\" aria-label=\"{label}\">{copy}\
             <div class=\"letter__from\">{from}</div>\
             <p class=\"letter__to\">{to}</p>\
             <p class=\"letter__date\">{date}</p>\
             <p class=\"letter__reference\">Our reference: {r}</p>\
             <{heading} class=\"letter__subject\">{subject}</{heading}>\
             <div class=\"letter__body\">{html}</div></article>",
            label = esc(&copy_label(a)),
            to = if to.is_empty() {
                "(No name or address on file)".to_string()
            } else {
                to.join("<br>")
            },
            date = esc(&letter.dated.format("%-d %B %Y").to_string()),
            r = esc(&case.reference),
            subject = esc(&letter.subject),
            html = letter.html,
        ));
    }
    format!(
        "<!DOCTYPE html>\n<html lang=\"en-GB\" class=\"letter-page\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>Letter {n}: {subject} - {l}</title>\
         <link rel=\"stylesheet\" href=\"/assets/app.css\">\
         <link rel=\"icon\" href=\"/assets/icon.svg\" type=\"image/svg+xml\">\
         </head><body><main class=\"letter-main\" id=\"main-content\">{body}</main></body></html>",
        n = letter.number,
        subject = esc(&letter.subject),
        l = esc(&landlord.name),
    )
}
