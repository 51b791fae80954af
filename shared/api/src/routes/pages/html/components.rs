//! The layout's header and the form components (labels, hints, the error summary pattern).

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

/// The page around every body: language, title, stylesheet, skip link, header, main, footer
/// (`templates/base.html`).
pub(crate) fn layout(title: &str, landlord: &str, header: &Header, body: &str) -> String {
    use askama::Template;
    crate::routes::pages::layout::RawPage {
        chrome: crate::routes::pages::layout::Chrome::new(title, landlord, header),
        body,
    }
    .render()
    .unwrap_or_default()
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

/// The error summary: every error listed at the top, each linked to its field.
pub(crate) fn error_summary(items: &[(String, String)]) -> String {
    if items.is_empty() {
        return String::new();
    }
    let mut s = String::from(
        "<div class=\"error-summary\" aria-labelledby=\"error-summary-title\" role=\"alert\" tabindex=\"-1\" autofocus>\
         <h2 class=\"error-summary__title\" id=\"error-summary-title\">There is a problem</h2>\
         <ul class=\"error-summary__list\">",
    );
    for (href, message) in items {
        s.push_str(&format!(
            "<li><a href=\"{}\">{}</a></li>",
            esc(href),
            esc(message)
        ));
    }
    s.push_str("</ul></div>");
    s
}

/// A summary list: a key and its value (HTML) per row.
pub(crate) fn summary_list(rows: &[(&str, String)]) -> String {
    let mut s = String::from("<dl class=\"summary-list\">");
    for (k, v) in rows {
        s.push_str(&format!(
            "<div class=\"summary-list__row\"><dt class=\"summary-list__key\">{}</dt><dd class=\"summary-list__value\">{v}</dd></div>",
            esc(k)
        ));
    }
    s.push_str("</dl>");
    s
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
/// then the control, which names the hint and error in `aria-describedby`.
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

    /// Renders the field.
    pub fn render(&self) -> String {
        let id = esc(self.id);
        let hint = if self.hint.is_empty() {
            String::new()
        } else {
            format!(
                "<div class=\"hint\" id=\"{id}-hint\">{}</div>",
                esc(self.hint)
            )
        };
        let error = self
            .error
            .map(|m| {
                format!(
                    "<p class=\"error-message\" id=\"{id}-error\"><span class=\"visually-hidden\">Error:</span> {}</p>",
                    esc(m)
                )
            })
            .unwrap_or_default();
        let mut described = Vec::new();
        if !self.hint.is_empty() {
            described.push(format!("{id}-hint"));
        }
        if self.error.is_some() {
            described.push(format!("{id}-error"));
        }
        let mut attrs = String::new();
        if !described.is_empty() {
            attrs.push_str(&format!(" aria-describedby=\"{}\"", described.join(" ")));
        }
        if self.error.is_some() {
            attrs.push_str(" aria-invalid=\"true\"");
        }
        if !self.autocomplete.is_empty() {
            attrs.push_str(&format!(" autocomplete=\"{}\"", esc(self.autocomplete)));
        }
        if !self.attrs.is_empty() {
            attrs.push(' ');
            attrs.push_str(self.attrs);
        }
        let err_class = |base: &str| {
            let mut c = base.to_string();
            if self.error.is_some() {
                c.push_str(&format!(" {base}--error"));
            }
            if !self.class.is_empty() {
                c.push(' ');
                c.push_str(self.class);
            }
            c
        };
        let name = esc(self.name);
        let value = esc(self.value);
        let control = match &self.control {
            Control::Input(kind) => format!(
                "<input class=\"{}\" id=\"{id}\" name=\"{name}\" type=\"{kind}\" value=\"{value}\"{attrs}>",
                err_class("input")
            ),
            Control::TextArea(rows) => format!(
                "<textarea class=\"{}\" id=\"{id}\" name=\"{name}\" rows=\"{rows}\"{attrs}>{value}</textarea>",
                err_class("textarea")
            ),
            Control::Select(options) => {
                let mut s = format!(
                    "<select class=\"{}\" id=\"{id}\" name=\"{name}\"{attrs}>",
                    err_class("select")
                );
                for (v, text) in options.iter() {
                    let selected = if v == self.value { " selected" } else { "" };
                    s.push_str(&format!(
                        "<option value=\"{}\"{selected}>{}</option>",
                        esc(v),
                        esc(text)
                    ));
                }
                s.push_str("</select>");
                s
            }
        };
        format!(
            "<div class=\"form-group{}\"><label class=\"label\" for=\"{id}\">{}</label>{hint}{error}{control}</div>",
            if self.error.is_some() {
                " form-group--error"
            } else {
                ""
            },
            esc(self.label),
        )
    }
}

/// A group of radios in a fieldset; the first radio takes `id` (the error summary's target).
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

impl Radios<'_> {
    /// Whether `value` is the chosen one (for `templates/components/radios.html`).
    pub fn is_selected(&self, value: &str) -> bool {
        self.selected == Some(value)
    }

    /// Renders the fieldset.
    pub fn render(&self) -> String {
        let id = esc(self.id);
        let mut described = Vec::new();
        let hint = if self.hint.is_empty() {
            String::new()
        } else {
            described.push(format!("{id}-hint"));
            format!(
                "<div class=\"hint\" id=\"{id}-hint\">{}</div>",
                esc(self.hint)
            )
        };
        let error = self
            .error
            .map(|m| {
                described.push(format!("{id}-error"));
                format!(
                    "<p class=\"error-message\" id=\"{id}-error\"><span class=\"visually-hidden\">Error:</span> {}</p>",
                    esc(m)
                )
            })
            .unwrap_or_default();
        let aria = if described.is_empty() {
            String::new()
        } else {
            format!(" aria-describedby=\"{}\"", described.join(" "))
        };
        let mut s = format!(
            "<div class=\"form-group{}\"><fieldset class=\"fieldset\"{aria}><legend class=\"fieldset__legend\">{}</legend>{hint}{error}<div class=\"radios\">",
            if self.error.is_some() {
                " form-group--error"
            } else {
                ""
            },
            esc(self.legend),
        );
        for (i, (value, label)) in self.options.iter().enumerate() {
            let rid = if i == 0 {
                id.clone()
            } else {
                format!("{id}-{}", i + 1)
            };
            let checked = if self.selected == Some(*value) {
                " checked"
            } else {
                ""
            };
            s.push_str(&format!(
                "<div class=\"radios__item\"><input class=\"radios__input\" id=\"{rid}\" name=\"{}\" type=\"radio\" value=\"{}\"{checked}><label class=\"radios__label\" for=\"{rid}\">{}</label></div>",
                esc(self.name),
                esc(value),
                esc(label)
            ));
        }
        s.push_str("</div></fieldset></div>");
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use askama::Template;

    #[derive(Template)]
    #[template(
        source = "{%- import \"components/radios.html\" as r -%}{% call r::radios(radios) %}{% endcall %}",
        ext = "html"
    )]
    struct RadiosTemplate<'a> {
        radios: Radios<'a>,
    }

    #[derive(Template)]
    #[template(
        source = "{%- import \"components/summary_list.html\" as s -%}{% call s::summary_list(rows) %}{% endcall %}",
        ext = "html"
    )]
    struct SummaryTemplate<'a> {
        rows: Vec<(&'a str, &'a str)>,
    }

    #[test]
    fn the_radios_template_renders_what_the_component_did() {
        let options = [("yes", "Yes <sure>"), ("no", "No"), ("maybe", "Maybe")];
        for (hint, error, selected) in [
            ("", None, None),
            ("Pick one", None, Some("no")),
            ("", Some("Choose an answer"), Some("maybe")),
            ("Pick & choose", Some("Choose"), Some("yes")),
        ] {
            let radios = Radios {
                id: "answer",
                name: "answer",
                legend: "Is it \"true\"?",
                hint,
                options: &options,
                selected,
                error,
            };
            let expected = radios.render();
            assert_eq!(RadiosTemplate { radios }.render().unwrap(), expected);
        }
    }

    #[test]
    fn the_summary_list_template_escapes_keys_and_values() {
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
