//! Making text safe in spreadsheet cells: no formulas. (HTML is escaped by the templates.)

use std::borrow::Cow;

/// True when a spreadsheet would read a text cell starting with `c` as a formula (or a
/// formula-like value): `=`, `+`, `-`, `@`, a tab or a carriage return.
fn triggers_formula(c: char) -> bool {
    matches!(c, '=' | '+' | '-' | '@' | '\t' | '\r')
}

/// A text cell for CSV or Excel: one that begins with `=`, `+`, `-`, `@`, a tab or a carriage
/// return is prefixed with `'`, so a spreadsheet shows it as text and never runs it. Numbers
/// are written as numbers and never pass through here.
pub fn inert(text: &str) -> Cow<'_, str> {
    match text.chars().next() {
        Some(c) if triggers_formula(c) => Cow::Owned(format!("'{text}")),
        _ => Cow::Borrowed(text),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_starts_are_made_inert() {
        for (given, expected) in [
            ("=HYPERLINK(\"http://x\")", "'=HYPERLINK(\"http://x\")"),
            ("+44 7700 900123", "'+44 7700 900123"),
            ("-1+2", "'-1+2"),
            ("@SUM(1)", "'@SUM(1)"),
            ("\tindented", "'\tindented"),
            ("\rreturn", "'\rreturn"),
        ] {
            assert_eq!(inert(given), expected);
        }
    }

    #[test]
    fn other_text_is_left_alone() {
        for text in [
            "repairs",
            "",
            "2025-10-01",
            "CMP-2025-00001",
            " =not first",
            "'quoted",
        ] {
            assert_eq!(inert(text), text);
            assert!(matches!(inert(text), Cow::Borrowed(_)));
        }
    }
}
