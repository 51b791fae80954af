//! The forms of the case page as data for `templates/staff/case/form.html`: each form in a
//! `<details>` with its hidden fields, its parts (fields, radios, checkboxes, words), the
//! "when did this happen?" fields and its button; or, when the role does not allow it, the
//! role it needs. Parts own their text; the template borrows them as [`Field`] and [`Radios`].

use crate::html::{Control, Field, Radios};

/// What a field's control is (owned, unlike [`Control`]).
pub(in crate::routes::pages::staff) enum Ctl {
    /// `<input type=…>`.
    Input(&'static str),
    /// `<textarea rows=…>`.
    TextArea(u8),
    /// `<select>` with (value, text) options.
    Select(Vec<(String, String)>),
}

/// A labelled field, with what it shows and its error.
pub(in crate::routes::pages::staff) struct Input {
    pub(in crate::routes::pages::staff) id: String,
    pub(in crate::routes::pages::staff) name: String,
    pub(in crate::routes::pages::staff) label: String,
    pub(in crate::routes::pages::staff) hint: String,
    pub(in crate::routes::pages::staff) value: String,
    pub(in crate::routes::pages::staff) error: Option<String>,
    pub(in crate::routes::pages::staff) control: Ctl,
    pub(in crate::routes::pages::staff) class: &'static str,
    pub(in crate::routes::pages::staff) attrs: &'static str,
}

impl Input {
    /// A text input.
    pub(in crate::routes::pages::staff) fn new(id: String, name: &str, label: &str) -> Input {
        Input {
            id,
            name: name.to_string(),
            label: label.to_string(),
            hint: String::new(),
            value: String::new(),
            error: None,
            control: Ctl::Input("text"),
            class: "",
            attrs: "",
        }
    }

    /// The field as `templates/components/field.html` renders it.
    pub(in crate::routes::pages::staff) fn field(&self) -> Field<'_> {
        Field {
            hint: &self.hint,
            value: &self.value,
            error: self.error.as_deref(),
            control: match &self.control {
                Ctl::Input(kind) => Control::Input(kind),
                Ctl::TextArea(rows) => Control::TextArea(*rows),
                Ctl::Select(options) => Control::Select(options),
            },
            class: self.class,
            attrs: self.attrs,
            ..Field::new(&self.id, &self.name, &self.label)
        }
    }
}

/// A group of radios.
pub(in crate::routes::pages::staff) struct Choice {
    pub(in crate::routes::pages::staff) id: String,
    pub(in crate::routes::pages::staff) name: std::borrow::Cow<'static, str>,
    pub(in crate::routes::pages::staff) legend: std::borrow::Cow<'static, str>,
    pub(in crate::routes::pages::staff) hint: &'static str,
    pub(in crate::routes::pages::staff) options: &'static [(&'static str, &'static str)],
    pub(in crate::routes::pages::staff) selected: Option<String>,
    pub(in crate::routes::pages::staff) error: Option<String>,
}

impl Choice {
    /// The radios as `templates/components/radios.html` renders them.
    pub(in crate::routes::pages::staff) fn radios(&self) -> Radios<'_> {
        Radios {
            id: &self.id,
            name: &self.name,
            legend: &self.legend,
            hint: self.hint,
            options: self.options,
            selected: self.selected.as_deref(),
            error: self.error.as_deref(),
        }
    }
}

/// One part of a form, in order.
pub(in crate::routes::pages::staff) enum Part {
    /// A labelled field.
    Field(Input),
    /// Radios.
    Radios(Choice),
    /// A checkbox: id, name, label, checked, error.
    Checkbox {
        id: String,
        name: &'static str,
        label: &'static str,
        checked: bool,
        error: Option<String>,
    },
    /// A hidden field: name and value.
    Hidden(String, String),
    /// A paragraph of guidance.
    Words(&'static str),
    /// Fields grouped under a legend, with a hint.
    Group {
        legend: &'static str,
        hint: &'static str,
        inputs: Vec<Input>,
    },
}

/// A form on the page, or the role it needs.
pub(in crate::routes::pages::staff) enum CaseForm {
    /// A form the member of staff may post.
    Open(Box<FormView>),
    /// "{title}: needs the {role} role."
    NotAllowed { title: String, role: String },
}

/// A form in a `<details>`, open when it was just posted with errors.
pub(in crate::routes::pages::staff) struct FormView {
    /// The form's id (and the prefix of its fields' ids).
    pub(in crate::routes::pages::staff) id: String,
    pub(in crate::routes::pages::staff) open: bool,
    pub(in crate::routes::pages::staff) title: String,
    /// Where it posts: `/staff/cases/{url_reference}/{action}`.
    pub(in crate::routes::pages::staff) url_reference: String,
    pub(in crate::routes::pages::staff) action: &'static str,
    pub(in crate::routes::pages::staff) csrf: String,
    pub(in crate::routes::pages::staff) version: u64,
    pub(in crate::routes::pages::staff) key: String,
    pub(in crate::routes::pages::staff) parts: Vec<Part>,
    /// When it happened, and why it is recorded only now.
    pub(in crate::routes::pages::staff) when: Vec<Input>,
    pub(in crate::routes::pages::staff) button: String,
    pub(in crate::routes::pages::staff) button_class: &'static str,
}
