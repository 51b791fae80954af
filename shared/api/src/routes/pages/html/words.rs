//! Values put into words for a page: escaped text, dates in London time, labels and tags.

use super::*;
/// Escapes text for HTML element content and attribute values: the templates' one rule
/// ([`p3_html::Html`]) as a function. Every page and letter is a template, so this is for
/// saying what a page must contain (the tests) rather than for writing markup.
pub fn esc(s: &str) -> String {
    p3_html::escape(s)
}

/// Percent-encodes a query or path value.
pub(crate) fn urlencode(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// `snake_case` to "Snake case".
pub(crate) fn humanise(s: &str) -> String {
    let words = s.replace('_', " ");
    let mut c = words.chars();
    match c.next() {
        Some(first) => first.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

/// A category's name as people write it.
pub(crate) fn category_label(c: &str) -> String {
    match c {
        "anti_social_behaviour" => "Anti-social behaviour".into(),
        "damp_and_mould" => "Damp and mould".into(),
        other => humanise(other),
    }
}

/// "Friday 15 May 2026".
pub(crate) fn long_date(d: NaiveDate) -> String {
    d.format("%A %-d %B %Y").to_string()
}

/// [`long_date`] for the templates, which pass values by reference.
pub(crate) fn long_date_of(d: &NaiveDate) -> String {
    long_date(*d)
}

/// The wall-clock time in Europe/London of an instant.
pub(crate) fn london_time(t: DateTime<Utc>) -> NaiveTime {
    let date = london_date(t);
    // London is UTC or UTC+1: take the offset that maps back to the same instant.
    for offset in [1, 0] {
        let local = (t + chrono::Duration::hours(offset)).time();
        if london_instant(date, local) == t {
            return local;
        }
    }
    t.time()
}

/// "5 May 2026, 10:30" in Europe/London.
pub(crate) fn london_datetime(t: DateTime<Utc>) -> String {
    format!(
        "{} at {}",
        london_date(t).format("%-d %B %Y"),
        london_time(t).format("%H:%M")
    )
}

/// `templates/components/tag.html`'s tag on its own.
#[derive(askama::Template)]
#[template(
    source = "{%- import \"components/tag.html\" as t -%}{% call t::tag(text, class) %}{% endcall %}",
    ext = "html"
)]
struct TagHtml<'a> {
    text: &'a str,
    class: &'a str,
}

/// A coloured label that always carries its meaning in words (`templates/components/tag.html`).
///
/// Kept for the tests that pin the macro's HTML: pages call the macro.
#[cfg(test)]
pub(crate) fn tag(text: &str, class: &str) -> String {
    use askama::Template;
    TagHtml { text, class }.render().unwrap_or_default()
}

/// A decision as a response gives it (`Upheld: we agree with your complaint`).
pub(crate) fn decision_words(o: p3_domain::event::Outcome) -> &'static str {
    use p3_domain::event::Outcome;
    match o {
        Outcome::Upheld => "Upheld: we agree with your complaint",
        Outcome::PartlyUpheld => "Partly upheld: we agree with part of your complaint",
        Outcome::NotUpheld => "Not upheld: we do not agree with your complaint",
    }
}
