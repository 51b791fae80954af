//! Field-level validation errors: every rule a resident or officer can break is reported
//! against the field at fault, all at once, so a form can show them together.

use serde::Serialize;

/// One field at fault and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    /// The field's name as the API and the form spell it.
    pub field: String,
    /// A plain-English message for the person who filled it in.
    pub message: String,
}

/// Every field at fault in one request.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, thiserror::Error)]
#[error("{}", self.summary())]
pub struct ValidationErrors {
    /// The fields at fault, in the order they were checked.
    pub errors: Vec<FieldError>,
}

impl ValidationErrors {
    /// No errors yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// A single error.
    pub fn one(field: &str, message: impl Into<String>) -> Self {
        let mut e = Self::new();
        e.add(field, message);
        e
    }

    /// Records a field at fault.
    pub fn add(&mut self, field: &str, message: impl Into<String>) {
        self.errors.push(FieldError {
            field: field.into(),
            message: message.into(),
        });
    }

    /// True when nothing is at fault.
    pub fn is_empty(&self) -> bool {
        self.errors.is_empty()
    }

    /// `Ok(())` when empty, else the errors.
    pub fn into_result(self) -> Result<(), ValidationErrors> {
        if self.is_empty() {
            Ok(())
        } else {
            Err(self)
        }
    }

    /// The message for a field, if it is at fault.
    pub fn message_for(&self, field: &str) -> Option<&str> {
        self.errors
            .iter()
            .find(|e| e.field == field)
            .map(|e| e.message.as_str())
    }

    fn summary(&self) -> String {
        self.errors
            .iter()
            .map(|e| format!("{}: {}", e.field, e.message))
            .collect::<Vec<_>>()
            .join("; ")
    }

    /// Checks an optional text field's length in characters.
    pub fn check_len(&mut self, field: &str, value: Option<&str>, max: usize) {
        if let Some(v) = value {
            if v.chars().count() > max {
                self.add(field, format!("must be {max} characters or fewer"));
            }
        }
    }

    /// Checks a required text field is present, not blank and within length.
    pub fn require_text(&mut self, field: &str, value: Option<&str>, max: usize, what: &str) {
        match value.map(str::trim) {
            None | Some("") => self.add(field, format!("Enter {what}")),
            Some(v) if v.chars().count() > max => {
                self.add(field, format!("must be {max} characters or fewer"))
            }
            Some(v) if has_control_chars(v) => {
                self.add(field, "must not contain control characters")
            }
            _ => {}
        }
    }
}

/// Text from outside, trimmed; blank becomes absent (forms post empty fields).
pub fn clean(value: Option<String>) -> Option<String> {
    value
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
}

/// True for characters that never belong in typed text (tabs and newlines are allowed).
pub fn has_control_chars(v: &str) -> bool {
    v.chars()
        .any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t')
}

/// A plausible email address: one `@`, a dotted domain, no spaces.
pub fn is_email(v: &str) -> bool {
    if v.len() > 254 || v.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return false;
    }
    let Some((local, domain)) = v.rsplit_once('@') else {
        return false;
    };
    if local.is_empty() || local.len() > 64 || local.contains('@') || domain.len() < 3 {
        return false;
    }
    let labels: Vec<&str> = domain.split('.').collect();
    labels.len() >= 2
        && labels.iter().all(|l| {
            !l.is_empty()
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars().all(|c| c.is_alphanumeric() || c == '-')
        })
}

/// A UK phone number: 10 or 11 digits starting 0, or +44 with the leading 0 dropped;
/// spaces, hyphens and brackets are allowed between digits.
pub fn is_uk_phone(v: &str) -> bool {
    if !v.chars().all(|c| c.is_ascii_digit() || " -()+".contains(c)) {
        return false;
    }
    let plus = v.trim_start().starts_with('+');
    if v.matches('+').count() > usize::from(plus) {
        return false;
    }
    let digits: String = v.chars().filter(char::is_ascii_digit).collect();
    if plus {
        digits.starts_with("44")
            && !digits[2..].starts_with('0')
            && (9..=10).contains(&(digits.len() - 2))
    } else {
        digits.starts_with('0') && (10..=11).contains(&digits.len())
    }
}

/// Normalises a UK postcode to upper case with one space before the inward code, if it has
/// the shape of one (`SW1A 1AA`, `M1 1AE`, `GIR 0AA`).
pub fn normalise_postcode(v: &str) -> Option<String> {
    let compact: String = v
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_ascii_uppercase();
    if !compact.is_ascii() || !(5..=7).contains(&compact.len()) {
        return None;
    }
    let (outward, inward) = compact.split_at(compact.len() - 3);
    let inward_ok = {
        let b = inward.as_bytes();
        b[0].is_ascii_digit() && b[1].is_ascii_alphabetic() && b[2].is_ascii_alphabetic()
    };
    let outward_ok = outward == "GIR" || {
        let b = outward.as_bytes();
        let letters = b.iter().take_while(|c| c.is_ascii_alphabetic()).count();
        (1..=2).contains(&letters)
            && b.len() > letters
            && b[letters].is_ascii_digit()
            && b[letters + 1..].len() <= 1
            && b[letters + 1..].iter().all(|c| c.is_ascii_alphanumeric())
    };
    (inward_ok && outward_ok).then(|| format!("{outward} {inward}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails() {
        assert!(is_email("resident@example.org"));
        assert!(is_email("a.b+c@mail.example.co.uk"));
        assert!(!is_email("resident@localhost"));
        assert!(!is_email("resident example@x.org"));
        assert!(!is_email("@x.org"));
        assert!(!is_email("a@@x.org"));
        assert!(!is_email("a@x..org"));
    }

    #[test]
    fn uk_phones() {
        for ok in [
            "01632 960001",
            "07700 900123",
            "+44 7700 900123",
            "(0161) 496 0000",
            "0800-123-4567",
        ] {
            assert!(is_uk_phone(ok), "{ok}");
        }
        for bad in [
            "12345",
            "+1 212 555 0100",
            "07700 900123 ext 4",
            "+44 07700 900123",
            "0770090012345",
            "0+7700900123",
        ] {
            assert!(!is_uk_phone(bad), "{bad}");
        }
    }

    #[test]
    fn uk_postcodes() {
        assert_eq!(normalise_postcode("sw1a1aa").as_deref(), Some("SW1A 1AA"));
        assert_eq!(normalise_postcode("M1 1AE").as_deref(), Some("M1 1AE"));
        assert_eq!(normalise_postcode("B33 8TH").as_deref(), Some("B33 8TH"));
        assert_eq!(normalise_postcode("L33 7WQ").as_deref(), Some("L33 7WQ"));
        assert_eq!(normalise_postcode("GIR 0AA").as_deref(), Some("GIR 0AA"));
        for bad in ["12345", "SW1A", "SW1A 1A", "ABC 1AA", "Ä1 1AA", "1A 1AA"] {
            assert_eq!(normalise_postcode(bad), None, "{bad}");
        }
    }
}
