//! Values put into words for a page: escaped text, dates in London time, labels and tags.

use super::*;
/// Escapes text for HTML element content and attribute values: the templates' one rule
/// ([`p3_html::Html`]), for the markup still written outside a template.
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

/// A `YYYY-MM-DD` string as a long date; anything else as it is.
pub(crate) fn long_date_str(s: &str) -> String {
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .map(long_date)
        .unwrap_or_else(|_| s.to_string())
}

/// A `YYYY-MM-DD` string as "23 October 2026"; anything else as it is.
pub(crate) fn date_str(s: &str) -> String {
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .map(|d| d.format("%-d %B %Y").to_string())
        .unwrap_or_else(|_| s.to_string())
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

/// A coloured label that always carries its meaning in words.
pub(crate) fn tag(text: &str, class: &str) -> String {
    format!("<strong class=\"tag {class}\">{}</strong>", esc(text))
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
