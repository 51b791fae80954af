//! The HTML escaping rule of every template of ours, set as askama's escaper for `.html`
//! templates in each crate's `askama.toml`:
//!
//! ```toml
//! [[escaper]]
//! path = "p3_html::Html"
//! extensions = ["html"]
//! ```
//!
//! askama's own escaper writes numeric entities (`&#60;`); this one writes the named ones
//! (`&lt;`, `&gt;`, `&amp;`, `&quot;`) and `&#39;`, the form the service has always answered
//! with, so escaped text reads the same in every page, report and pack. Both are safe in text
//! and in quoted attributes.
#![warn(missing_docs)]

use std::fmt::{self, Write};

/// Escapes `&`, `<`, `>`, `"` and `'` for HTML text and quoted attributes.
#[derive(Debug, Clone, Copy, Default)]
pub struct Html;

impl askama::filters::Escaper for Html {
    fn write_escaped_str<W: Write>(&self, mut dest: W, text: &str) -> fmt::Result {
        let mut last = 0;
        for (i, b) in text.bytes().enumerate() {
            let entity = match b {
                b'&' => "&amp;",
                b'<' => "&lt;",
                b'>' => "&gt;",
                b'"' => "&quot;",
                b'\'' => "&#39;",
                _ => continue,
            };
            dest.write_str(&text[last..i])?;
            dest.write_str(entity)?;
            last = i + 1;
        }
        dest.write_str(&text[last..])
    }
}

/// `text` escaped by [`Html`], for the few places that write HTML outside a template.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let _ = askama::filters::Escaper::write_escaped_str(&Html, &mut out, text);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_and_quotes_become_named_entities() {
        assert_eq!(
            escape("<script>alert('x') & \"y\"</script>"),
            "&lt;script&gt;alert(&#39;x&#39;) &amp; &quot;y&quot;&lt;/script&gt;"
        );
        assert_eq!(escape("plain text £ café"), "plain text £ café");
        assert_eq!(escape(""), "");
    }
}
