//! The layout's header and the form components (labels, hints, the error summary pattern).
//!
//! A page made from its own template calls the components' macros in
//! `templates/components/` (`field.html`, `radios.html`, `error_summary.html`,
//! `summary_list.html`, `tag.html`) on the typed values below ([`Field`], [`Radios`]). The
//! string helpers here ([`layout`], [`error_summary`], [`summary_list`], [`Field::render`],
//! [`Radios::render`], and [`tag`](super::tag)) are left only for the pages still being made
//! into templates (the staff case page and the resident pages); they render through the same
//! macros, so both ways write the same HTML with the templates' one escaping rule. Once those
//! pages are templates, remove them.

use askama::Template;

use super::*;
/// What the header shows.
pub(crate) enum Header<'a> {
    /// The public service.
    Public,
    /// Staff pages: signed in (name, role, CSRF token for sign-out, the current section) or not.
    Staff(Option<StaffHeader<'a>>),
}

/// The signed-in member of staff, for the header.
pub(crate) struct StaffHeader<'a> {
    /// Display name.
    pub name: &'a str,
    /// Role name.
    pub role: &'a str,
    /// The session's CSRF token, for the sign-out form.
    pub csrf: &'a str,
    /// `cases` or `report`: which link is the current page.
    pub current: &'a str,
}

/// The monthly report page for a `YYYY-MM` month (default: the month before today's).
pub(crate) fn monthly_report_link(month: Option<&str>) -> String {
    let month = month.map(str::to_string).unwrap_or_else(|| {
        let today = london_date(Utc::now());
        p3_domain::london::Month::of(today)
            .previous()
            .first_day()
            .format("%Y-%m")
            .to_string()
    });
    format!("/staff/monthly-report?month={}", urlencode(&month))
}

/// `templates/components/error_summary.html` on its own.
#[derive(Template)]
#[template(
    source = "{%- import \"components/error_summary.html\" as e -%}{% call e::error_summary(items) %}{% endcall %}",
    ext = "html"
)]
struct ErrorSummaryHtml<'a> {
    items: &'a [(String, String)],
}

/// The error summary: every error listed at the top, each linked to its field
/// (`templates/components/error_summary.html`); `items` are (`#` element id, message).
///
/// Kept for the tests that pin the macro's HTML: pages call the macro.
#[cfg(test)]
pub(crate) fn error_summary(items: &[(String, String)]) -> String {
    ErrorSummaryHtml { items }.render().unwrap_or_default()
}

/// A summary list whose values are already HTML (the pages not yet templates build them).
#[derive(Template)]
#[template(
    source = "<dl class=\"summary-list\">{% for (k, v) in rows.iter() %}<div class=\"summary-list__row\"><dt class=\"summary-list__key\">{{ k }}</dt><dd class=\"summary-list__value\">{{ v|safe }}</dd></div>{% endfor %}</dl>",
    ext = "html"
)]
struct SummaryListHtml<'a> {
    rows: &'a [(&'a str, String)],
}

/// A summary list: a key (text, escaped) and its value (HTML, as it is) per row.
///
/// Kept for the tests that pin the macro's HTML. Pages, which write each value's
/// markup themselves: a template calls `templates/components/summary_list.html`, whose values
/// are text the template escapes.
#[cfg(test)]
pub(crate) fn summary_list(rows: &[(&str, String)]) -> String {
    SummaryListHtml { rows }.render().unwrap_or_default()
}

/// What kind of control a [`Field`] is.
pub(crate) enum Control<'a> {
    /// `<input type=…>`.
    Input(&'a str),
    /// `<textarea rows=…>`.
    TextArea(u8),
    /// `<select>` with (value, text) options; the first is the empty choice.
    Select(&'a [(String, String)]),
}

/// One labelled form field with its hint and error, GOV.UK style: label, hint, error message,
/// then the control, which names the hint and error in `aria-describedby`. A template draws it
/// with `templates/components/field.html`.
pub(crate) struct Field<'a> {
    /// Element id (also the error summary's link target).
    pub id: &'a str,
    /// Form field name.
    pub name: &'a str,
    /// Label text.
    pub label: &'a str,
    /// Hint text, or empty.
    pub hint: &'a str,
    /// Current value.
    pub value: &'a str,
    /// Error message, if the field is at fault.
    pub error: Option<&'a str>,
    /// The control.
    pub control: Control<'a>,
    /// `autocomplete` value, or empty.
    pub autocomplete: &'a str,
    /// Extra class for the control (e.g. `input--short`).
    pub class: &'a str,
    /// Extra attributes, already safe (e.g. `inputmode="numeric"`).
    pub attrs: &'a str,
}

/// `templates/components/field.html` on its own.
#[derive(Template)]
#[template(
    source = "{%- import \"components/field.html\" as f -%}{% call f::field(field) %}{% endcall %}",
    ext = "html"
)]
struct FieldHtml<'a, 'b> {
    field: &'b Field<'a>,
}

impl<'a> Field<'a> {
    /// A text input with a label.
    pub fn new(id: &'a str, name: &'a str, label: &'a str) -> Self {
        Field {
            id,
            name,
            label,
            hint: "",
            value: "",
            error: None,
            control: Control::Input("text"),
            autocomplete: "",
            class: "",
            attrs: "",
        }
    }

    /// Renders the field (`templates/components/field.html`).
    ///
    /// Kept for the tests that pin the macro's HTML: pages call the macro.
    #[cfg(test)]
    pub fn render(&self) -> String {
        FieldHtml { field: self }.render().unwrap_or_default()
    }
}

/// A group of radios in a fieldset; the first radio takes `id` (the error summary's target).
/// A template draws it with `templates/components/radios.html`.
pub(crate) struct Radios<'a> {
    /// Id of the first radio.
    pub id: &'a str,
    /// Form field name.
    pub name: &'a str,
    /// The question.
    pub legend: &'a str,
    /// Hint text, or empty.
    pub hint: &'a str,
    /// (value, label) pairs.
    pub options: &'a [(&'a str, &'a str)],
    /// The chosen value.
    pub selected: Option<&'a str>,
    /// Error message, if at fault.
    pub error: Option<&'a str>,
}

/// `templates/components/radios.html` on its own.
#[derive(Template)]
#[template(
    source = "{%- import \"components/radios.html\" as r -%}{% call r::radios(radios) %}{% endcall %}",
    ext = "html"
)]
struct RadiosHtml<'a, 'b> {
    radios: &'b Radios<'a>,
}

impl Radios<'_> {
    /// Whether `value` is the chosen one (for `templates/components/radios.html`).
    pub fn is_selected(&self, value: &str) -> bool {
        self.selected == Some(value)
    }

    /// Renders the fieldset (`templates/components/radios.html`).
    ///
    /// Kept for the tests that pin the macro's HTML: pages call the macro.
    #[cfg(test)]
    pub fn render(&self) -> String {
        RadiosHtml { radios: self }.render().unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The components write exactly what the string-building functions they replace wrote
    /// (recorded from them): the pages being converted must not change.
    #[test]
    fn a_field_renders_label_hint_error_and_control_escaped() {
        let input = Field {
            hint: "For example, 2026-03 & <so on>",
            error: Some("Enter a \"month\""),
            class: "input--medium",
            attrs: "inputmode=\"numeric\"",
            autocomplete: "off",
            value: "<2026>",
            ..Field::new("report-month", "month", "Another <month>")
        };
        assert_eq!(
            input.render(),
            r#"<div class="form-group form-group--error"><label class="label" for="report-month">Another &lt;month&gt;</label><div class="hint" id="report-month-hint">For example, 2026-03 &amp; &lt;so on&gt;</div><p class="error-message" id="report-month-error"><span class="visually-hidden">Error:</span> Enter a &quot;month&quot;</p><input class="input input--error input--medium" id="report-month" name="month" type="text" value="&lt;2026&gt;" aria-describedby="report-month-hint report-month-error" aria-invalid="true" autocomplete="off" inputmode="numeric"></div>"#
        );
        let options = vec![
            (String::new(), "Choose <one>".to_string()),
            ("a&b".to_string(), "A \"and\" B".to_string()),
        ];
        let select = Field {
            value: "a&b",
            control: Control::Select(&options),
            ..Field::new("filter-status", "status", "Status")
        };
        assert_eq!(
            select.render(),
            r#"<div class="form-group"><label class="label" for="filter-status">Status</label><select class="select" id="filter-status" name="status"><option value="">Choose &lt;one&gt;</option><option value="a&amp;b" selected>A &quot;and&quot; B</option></select></div>"#
        );
        let area = Field {
            error: Some("Enter a description"),
            control: Control::TextArea(5),
            value: "Line & \"more\"",
            ..Field::new("description", "description", "What is it about?")
        };
        assert_eq!(
            area.render(),
            r#"<div class="form-group form-group--error"><label class="label" for="description">What is it about?</label><p class="error-message" id="description-error"><span class="visually-hidden">Error:</span> Enter a description</p><textarea class="textarea textarea--error" id="description" name="description" rows="5" aria-describedby="description-error" aria-invalid="true">Line &amp; &quot;more&quot;</textarea></div>"#
        );
    }

    #[test]
    fn radios_render_in_a_fieldset_with_the_first_taking_the_id() {
        let radios = Radios {
            id: "answer",
            name: "answer",
            legend: "Is it \"true\"?",
            hint: "Pick & choose",
            options: &[("yes", "Yes <sure>"), ("no", "No")],
            selected: Some("no"),
            error: Some("Choose <one>"),
        };
        assert_eq!(
            radios.render(),
            r#"<div class="form-group form-group--error"><fieldset class="fieldset" aria-describedby="answer-hint answer-error"><legend class="fieldset__legend">Is it &quot;true&quot;?</legend><div class="hint" id="answer-hint">Pick &amp; choose</div><p class="error-message" id="answer-error"><span class="visually-hidden">Error:</span> Choose &lt;one&gt;</p><div class="radios"><div class="radios__item"><input class="radios__input" id="answer" name="answer" type="radio" value="yes"><label class="radios__label" for="answer">Yes &lt;sure&gt;</label></div><div class="radios__item"><input class="radios__input" id="answer-2" name="answer" type="radio" value="no" checked><label class="radios__label" for="answer-2">No</label></div></div></fieldset></div>"#
        );
    }

    #[test]
    fn the_error_summary_links_each_error_and_is_absent_without_errors() {
        assert_eq!(
            error_summary(&[
                ("#a".into(), "A <b> & \"c\"".into()),
                ("#b".into(), "B".into())
            ]),
            r##"<div class="error-summary" aria-labelledby="error-summary-title" role="alert" tabindex="-1" autofocus><h2 class="error-summary__title" id="error-summary-title">There is a problem</h2><ul class="error-summary__list"><li><a href="#a">A &lt;b&gt; &amp; &quot;c&quot;</a></li><li><a href="#b">B</a></li></ul></div>"##
        );
        assert_eq!(error_summary(&[]), "");
    }

    /// The summary list macro of the templates, whose values are text.
    #[derive(Template)]
    #[template(
        source = "{%- import \"components/summary_list.html\" as s -%}{% call s::summary_list(rows) %}{% endcall %}",
        ext = "html"
    )]
    struct SummaryTemplate<'a> {
        rows: Vec<(&'a str, &'a str)>,
    }

    #[test]
    fn a_summary_list_escapes_its_keys_and_the_template_its_values() {
        assert_eq!(
            summary_list(&[("Name <x>", "<p class=\"pre-wrap\">Ann</p>".into())]),
            r#"<dl class="summary-list"><div class="summary-list__row"><dt class="summary-list__key">Name &lt;x&gt;</dt><dd class="summary-list__value"><p class="pre-wrap">Ann</p></dd></div></dl>"#
        );
        let html = SummaryTemplate {
            rows: vec![("Name", "Ann <b>"), ("Phone & fax", "01")],
        }
        .render()
        .unwrap();
        assert_eq!(
            html,
            summary_list(&[("Name", esc("Ann <b>")), ("Phone & fax", "01".to_string())])
        );
    }
}
