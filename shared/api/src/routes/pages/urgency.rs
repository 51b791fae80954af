//! How the staff pages put a case's state and its deadlines into words: a status, a deadline's
//! name, and the urgency marker (a word first, colour second).

use chrono::NaiveDate;
use p3_domain::calendar::Calendar;
use p3_domain::deadline::DeadlineStatus;

use crate::html::humanise;

/// A case's status in words (`stage2_requested` → `Stage 2 requested, not acknowledged`).
pub(crate) fn status_words(status: &str) -> String {
    match status {
        "received" => "Received, not acknowledged".into(),
        "acknowledged" => "Stage 1 being investigated".into(),
        "responded" => "Responded".into(),
        "closed" => "Closed".into(),
        "withdrawn" => "Withdrawn".into(),
        "refused" => "Refused".into(),
        s => {
            if let Some(n) = s
                .strip_prefix("stage")
                .and_then(|r| r.strip_suffix("_requested"))
            {
                format!("Stage {n} requested, not acknowledged")
            } else if let Some(n) = s
                .strip_prefix("stage")
                .and_then(|r| r.strip_suffix("_acknowledged"))
            {
                format!("Stage {n} being reviewed")
            } else {
                humanise(s)
            }
        }
    }
}

/// A deadline's name (`stage1_response` → `Stage 1 response`).
pub(crate) fn deadline_label(kind: &str) -> String {
    kind.parse::<p3_domain::deadline::DeadlineKind>()
        .map(|k| k.label())
        .unwrap_or_else(|_| humanise(kind))
}

/// `1 working day`, `3 working days`.
pub(crate) fn plural(n: i64, one: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {one}s")
    }
}

/// The marker of a landlord deadline: a tag's word and colour, words after it, and the class of
/// its table row.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Urgency {
    /// The tag's word (`Overdue`, `Due soon`…).
    pub tag: String,
    /// The tag's colour class.
    pub tag_class: &'static str,
    /// Words after the tag (`by 2 working days`).
    pub detail: Option<String>,
    /// The row's class (`row--overdue`, `row--soon` or none).
    pub row_class: &'static str,
}

impl Urgency {
    fn plain(tag: &str, tag_class: &'static str) -> Urgency {
        Urgency {
            tag: tag.to_string(),
            tag_class,
            detail: None,
            row_class: "",
        }
    }

    /// The marker of a deadline due on `due` that stands at `status` (its JSON name), `today`.
    pub(crate) fn of(
        cal: &Calendar,
        today: NaiveDate,
        due: Option<NaiveDate>,
        status: &str,
    ) -> Urgency {
        let Some(due) = due else {
            return Urgency::plain(&humanise(status), "tag--grey");
        };
        match status {
            "breached" => Urgency {
                tag: "Overdue".into(),
                tag_class: "tag--strong",
                detail: Some(format!(
                    "by {}",
                    plural(cal.working_days_between(due, today).max(1), "working day")
                )),
                row_class: "row--overdue",
            },
            "pending" => {
                let left = cal.working_days_between(today, due);
                if left <= 0 {
                    Urgency {
                        row_class: "row--soon",
                        ..Urgency::plain("Due today", "tag--yellow")
                    }
                } else if left <= 2 {
                    Urgency {
                        tag: "Due soon".into(),
                        tag_class: "tag--yellow",
                        detail: Some(format!("in {}", plural(left, "working day"))),
                        row_class: "row--soon",
                    }
                } else {
                    Urgency {
                        tag: "On track".into(),
                        tag_class: "tag--grey",
                        detail: Some(format!("{} left", plural(left, "working day"))),
                        row_class: "",
                    }
                }
            }
            "met" => Urgency::plain("Met", "tag--green"),
            "met_late" => Urgency::plain("Met late", "tag--yellow"),
            "cancelled" => Urgency::plain("Cancelled", "tag--grey"),
            "expired" => Urgency::plain("Expired", "tag--grey"),
            other => Urgency::plain(&humanise(other), "tag--grey"),
        }
    }

    /// The status's JSON name, as [`Urgency::of`] takes it.
    pub(crate) fn status_name(status: DeadlineStatus) -> &'static str {
        match status {
            DeadlineStatus::Pending => "pending",
            DeadlineStatus::Met => "met",
            DeadlineStatus::MetLate => "met_late",
            DeadlineStatus::Breached => "breached",
            DeadlineStatus::Cancelled => "cancelled",
            DeadlineStatus::Expired => "expired",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use askama::Template;

    /// The urgency marker as a template draws it (`templates/components/tag.html`).
    #[derive(Template)]
    #[template(
        source = "{%- import \"components/tag.html\" as t -%}{% call t::urgency(u) %}{% endcall %}",
        ext = "html"
    )]
    struct Marker<'a> {
        u: &'a Urgency,
    }

    /// A tag as a template draws it.
    #[derive(Template)]
    #[template(
        source = "{%- import \"components/tag.html\" as t -%}{% call t::tag(text, class) %}{% endcall %}",
        ext = "html"
    )]
    struct Tag<'a> {
        text: &'a str,
        class: &'a str,
    }

    #[test]
    fn a_tag_is_its_word_escaped_in_a_coloured_label() {
        let expected =
            "<strong class=\"tag tag--red\">Late &amp; &lt;not&gt; &quot;done&quot;</strong>";
        let html = Tag {
            text: "Late & <not> \"done\"",
            class: "tag--red",
        }
        .render()
        .unwrap();
        assert_eq!(html, expected);
        assert_eq!(
            crate::html::tag("Late & <not> \"done\"", "tag--red"),
            expected
        );
    }

    #[test]
    fn the_urgency_marker_is_the_tag_then_its_words() {
        let overdue = Urgency {
            tag: "Overdue".into(),
            tag_class: "tag--strong",
            detail: Some("by 2 working days".into()),
            row_class: "row--overdue",
        };
        assert_eq!(
            Marker { u: &overdue }.render().unwrap(),
            "<strong class=\"tag tag--strong\">Overdue</strong> <span class=\"nowrap\">by 2 working days</span>"
        );
        let met = Urgency::plain("Met <late>", "tag--yellow");
        assert_eq!(
            Marker { u: &met }.render().unwrap(),
            "<strong class=\"tag tag--yellow\">Met &lt;late&gt;</strong>"
        );
    }
}
