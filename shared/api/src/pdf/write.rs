//! The PDF writer (feature `pdf`): the letters' and the evidence pack's HTML, which this service
//! writes itself from a small set of tags, read into the document model of `p3-pdf` (headings,
//! paragraphs, lists, tables; a list of terms becomes a table whose first column heads each row).

use p3_domain::casefile::LetterFormat;
use p3_domain::letter::{html_to_text, Landlord, Letter};
use p3_pdf::{Block, Document, Table};

use crate::evidence::Evidence;

/// A document that could not be written (never seen in the tests: every block fits the
/// model), answered 500 with what went wrong and no personal data.
fn failed(e: p3_pdf::Error) -> crate::problem::Problem {
    tracing::error!(error = %e, "a PDF could not be written");
    crate::problem::Problem::new(
        http::StatusCode::INTERNAL_SERVER_ERROR,
        "pdf-failed",
        "The PDF could not be written; the HTML version is available",
    )
}

/// What is being read: where the text of the open element goes.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Open {
    Heading(u8),
    Paragraph,
    Item,
    Cell,
    Term,
    Value,
    Caption,
}

#[derive(Default)]
struct Reader {
    blocks: Vec<Block>,
    /// The open element and its inner HTML so far.
    open: Option<(Open, String)>,
    /// Text outside any element that holds text.
    loose: String,
    list: Option<Vec<String>>,
    table: Option<Table>,
    row: Option<(Vec<String>, bool)>,
    in_head: bool,
}

fn text_of(html: &str) -> String {
    html_to_text(html).trim().to_string()
}

impl Reader {
    fn flush_loose(&mut self) {
        let text = text_of(&std::mem::take(&mut self.loose));
        if !text.is_empty() {
            self.blocks.push(Block::Paragraph(text));
        }
    }

    fn start(&mut self, what: Open) {
        if let Some((_, html)) = &mut self.open {
            // A block inside a block (a paragraph in a list item): a line break.
            html.push_str("<br>");
            return;
        }
        self.flush_loose();
        self.open = Some((what, String::new()));
    }

    fn end(&mut self, what: Open) {
        let Some((open, html)) = self.open.take() else {
            return;
        };
        if open != what {
            self.open = Some((open, html + "<br>"));
            return;
        }
        let text = text_of(&html);
        match open {
            Open::Heading(level) => self.blocks.push(Block::Heading { level, text }),
            Open::Paragraph if !text.is_empty() => self.blocks.push(Block::Paragraph(text)),
            Open::Paragraph => {}
            Open::Item => match &mut self.list {
                Some(items) => items.push(text),
                None => self.blocks.push(Block::Paragraph(text)),
            },
            Open::Cell => {
                if let Some((cells, _)) = &mut self.row {
                    cells.push(text);
                }
            }
            Open::Term => {
                if let Some(t) = &mut self.table {
                    t.rows.push(vec![text]);
                }
            }
            Open::Value => {
                if let Some(t) = &mut self.table {
                    match t.rows.last_mut() {
                        Some(row) if row.len() == 1 => row.push(text),
                        Some(row) if row.len() == 2 => row[1] = format!("{}\n{text}", row[1]),
                        _ => t.rows.push(vec![String::new(), text]),
                    }
                }
            }
            Open::Caption => {
                if let Some(t) = &mut self.table {
                    t.caption = Some(text);
                }
            }
        }
    }

    fn tag(&mut self, raw: &str) {
        let tag = raw.trim().to_ascii_lowercase();
        let closing = tag.starts_with('/');
        let name: String = tag
            .trim_start_matches('/')
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric())
            .collect();
        let heading = |n: &str| {
            n.strip_prefix('h')
                .and_then(|d| d.parse::<u8>().ok())
                .filter(|d| (1..=6).contains(d))
        };
        let what = match name.as_str() {
            "p" => Some(Open::Paragraph),
            "li" => Some(Open::Item),
            "td" | "th" => Some(Open::Cell),
            "dt" => Some(Open::Term),
            "dd" => Some(Open::Value),
            "caption" => Some(Open::Caption),
            n => heading(n).map(Open::Heading),
        };
        if let Some(what) = what {
            if closing {
                self.end(what)
            } else {
                self.start(what)
            }
            return;
        }
        match (name.as_str(), closing) {
            ("ul" | "ol", false) => {
                self.flush_loose();
                self.list = Some(Vec::new());
            }
            ("ul" | "ol", true) => {
                if let Some(items) = self.list.take() {
                    self.blocks.push(Block::List(items));
                }
            }
            ("table" | "dl", false) => {
                self.flush_loose();
                self.table = Some(Table {
                    row_headers: name == "dl",
                    ..Table::default()
                });
            }
            ("table" | "dl", true) => {
                if let Some(t) = self.table.take() {
                    self.blocks.push(Block::Table(t));
                }
            }
            ("thead", open) => self.in_head = !open,
            ("tr", false) => self.row = Some((Vec::new(), self.in_head)),
            ("tr", true) => {
                if let (Some((cells, head)), Some(t)) = (self.row.take(), &mut self.table) {
                    if head && t.header.is_empty() {
                        t.header = cells;
                    } else {
                        t.rows.push(cells);
                    }
                }
            }
            ("div" | "section" | "article" | "main" | "header" | "footer" | "nav", _) => {
                if self.open.is_none() {
                    self.flush_loose();
                }
            }
            _ => match &mut self.open {
                Some((_, html)) => html.push_str(&format!("<{raw}>")),
                None => self.loose.push_str(&format!("<{raw}>")),
            },
        }
    }
}

/// The blocks of an HTML document or fragment written by this service. What is in `<head>`,
/// `<style>` and `<script>` is left out.
pub fn blocks(html: &str) -> Vec<Block> {
    let mut r = Reader::default();
    let mut rest = html;
    while let Some(start) = rest.find('<') {
        let text = &rest[..start];
        match &mut r.open {
            Some((_, h)) => h.push_str(text),
            None => r.loose.push_str(text),
        }
        let Some(end) = rest[start..].find('>') else {
            rest = "";
            break;
        };
        let raw = &rest[start + 1..start + end];
        rest = &rest[start + end + 1..];
        let lower = raw.to_ascii_lowercase();
        let skipped = ["head", "style", "script", "title"]
            .into_iter()
            .find(|n| lower == *n || lower.starts_with(&format!("{n} ")));
        if let Some(n) = skipped {
            let close = format!("</{n}>");
            let at = rest.to_ascii_lowercase().find(&close);
            rest = at.map_or("", |i| &rest[i + close.len()..]);
            continue;
        }
        r.tag(raw);
    }
    r.loose.push_str(rest);
    r.end(Open::Paragraph);
    r.flush_loose();
    r.blocks
}

/// The letter as kept, one copy for each addressee (each from a new page), as on its printable
/// page: the landlord, the addressee, the date, the reference, the subject and the letter. Large
/// print when the resident needs it.
pub fn letter(
    reference: &str,
    letter: &Letter,
    landlord: &Landlord,
) -> Result<Vec<u8>, crate::problem::Problem> {
    let dated = letter.dated.format("%-d %B %Y").to_string();
    let body = blocks(&letter.html);
    let mut from = Vec::new();
    if let Some(a) = &landlord.address {
        from.extend(a.lines().map(str::trim).map(str::to_string));
    }
    from.extend(landlord.phone.iter().map(|p| format!("Phone: {p}")));
    from.extend(landlord.email.iter().map(|e| format!("Email: {e}")));
    let mut out = Vec::new();
    for (i, a) in letter.to.iter().enumerate() {
        if i > 0 {
            out.push(Block::PageBreak);
        }
        out.push(Block::Strong(landlord.name.clone()));
        if !from.is_empty() {
            out.push(Block::Paragraph(from.join("\n")));
        }
        let mut to: Vec<String> = a.name.iter().cloned().collect();
        match (&a.address, &a.email) {
            (Some(address), _) => to.extend(
                address
                    .lines()
                    .map(str::trim)
                    .filter(|l| !l.is_empty())
                    .map(str::to_string),
            ),
            (None, Some(e)) => to.push(e.clone()),
            (None, None) => {}
        }
        if to.is_empty() {
            to.push("(No name or address on file)".into());
        }
        out.push(Block::Paragraph(to.join("\n")));
        out.push(Block::Paragraph(dated.clone()));
        out.push(Block::Paragraph(format!("Our reference: {reference}")));
        out.push(Block::Heading {
            level: 1,
            text: letter.subject.clone(),
        });
        out.extend(body.iter().cloned());
    }
    p3_pdf::render(&Document {
        title: format!("Letter {}: {}", letter.number, letter.subject),
        lang: "en-GB".into(),
        head_left: landlord.name.clone(),
        head_right: format!("Our reference {reference} · {dated}"),
        large_print: letter.format == LetterFormat::LargePrint,
        text_size: 11.0,
        blocks: out,
    })
    .map_err(failed)
}

/// The evidence pack, its HTML document laid out on A4.
pub fn evidence(pack: &Evidence, landlord: &Landlord) -> Result<Vec<u8>, crate::problem::Problem> {
    let produced = crate::html::london_datetime(pack.produced_at);
    p3_pdf::render(&Document {
        title: format!("Evidence pack: complaint {}", pack.reference),
        lang: "en-GB".into(),
        head_left: landlord.name.clone(),
        head_right: format!("Complaint {} · produced {produced}", pack.reference),
        large_print: false,
        text_size: 9.0,
        blocks: blocks(&pack.html),
    })
    .map_err(failed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tags_a_letter_and_the_pack_use_become_blocks() {
        let html = "<h2>What you complained about</h2>\n<ul>\n<li>Damp &amp; mould</li>\n</ul>\n\
            <p>Dear <strong>Ann</strong>,<br>thanks</p><dl><dt>Reference</dt><dd>CMP-1</dd></dl>\
            <table><caption>History</caption><thead><tr><th>No.</th></tr></thead>\
            <tbody><tr><td>1</td></tr></tbody></table><style>p{}</style>tail";
        assert_eq!(
            blocks(html),
            vec![
                Block::Heading {
                    level: 2,
                    text: "What you complained about".into()
                },
                Block::List(vec!["Damp & mould".into()]),
                Block::Paragraph("Dear Ann,\nthanks".into()),
                Block::Table(Table {
                    rows: vec![vec!["Reference".into(), "CMP-1".into()]],
                    row_headers: true,
                    ..Table::default()
                }),
                Block::Table(Table {
                    caption: Some("History".into()),
                    header: vec!["No.".into()],
                    rows: vec![vec!["1".into()]],
                    row_headers: false,
                }),
                Block::Paragraph("tail".into()),
            ]
        );
    }
}
