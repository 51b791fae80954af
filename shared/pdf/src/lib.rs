//! Accessible, tagged A4 PDFs from a simple document model: a title, headings, paragraphs,
//! lists and tables, with a running head (the landlord's name, the reference and the date) and
//! "Page n of m" on every page. The letters and the evidence pack render into this model at the
//! edge (`p3-api`); this crate knows nothing of complaints.
//!
//! Written with krilla (tagged PDF, checked against PDF/UA-1 when written): every line of text
//! belongs to its heading, paragraph, list item or table cell in the structure tree, in reading
//! order, and the running head and page numbers are marked as artifacts. The one font is
//! Liberation Sans (regular and bold, `fonts/`, licence in `fonts/LICENSE`), subset into each
//! document. Characters the font lacks print as blanks but stay in the text a reader extracts.

mod layout;

use std::sync::OnceLock;

use krilla::configure::{Accessibility, ConfigurationBuilder, PdfVersion};
use krilla::metadata::Metadata;
use krilla::text::Font;
use krilla::{Document as KrillaDocument, SerializeSettings};

pub use layout::Sizes;

/// A document to print.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Document {
    /// The document's title (its metadata, shown by readers).
    pub title: String,
    /// The language of its text, "en-GB".
    pub lang: String,
    /// At the top of every page, left: the landlord's name.
    pub head_left: String,
    /// At the top of every page, right: the reference and the date.
    pub head_right: String,
    /// Large print: every size grown by half (16.5pt body text for letters).
    pub large_print: bool,
    /// Base text size in points (11 for letters, 9 for the dense evidence pack).
    pub text_size: f32,
    /// The content, in reading order.
    pub blocks: Vec<Block>,
}

/// A block of content.
#[derive(Debug, Clone, PartialEq)]
pub enum Block {
    /// A heading, level 1 to 6.
    Heading { level: u8, text: String },
    /// A paragraph; `\n` breaks a line.
    Paragraph(String),
    /// A paragraph in bold.
    Strong(String),
    /// A bulleted list, one string per item.
    List(Vec<String>),
    /// A table: an optional caption, an optional header row, and rows of cells. Rows are
    /// never split across pages unless one is taller than a page; the header row is repeated.
    Table(Table),
    /// Start a new page (each copy of a letter starts on one).
    PageBreak,
}

/// A table.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Table {
    /// Said above the table.
    pub caption: Option<String>,
    /// The header cells (empty for none).
    pub header: Vec<String>,
    /// The rows; a row with fewer cells than the widest one is padded.
    pub rows: Vec<Vec<String>>,
    /// Whether each row's first cell heads its row (a list of terms and their values).
    pub row_headers: bool,
}

/// Why a document could not be written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error(pub String);

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "the PDF could not be written: {}", self.0)
    }
}

impl std::error::Error for Error {}

static REGULAR: &[u8] = include_bytes!("../fonts/LiberationSans-Regular.ttf");
static BOLD: &[u8] = include_bytes!("../fonts/LiberationSans-Bold.ttf");

/// The two faces, loaded once.
pub(crate) struct Faces {
    pub(crate) regular: Font,
    pub(crate) bold: Font,
    pub(crate) regular_metrics: layout::Metrics,
    pub(crate) bold_metrics: layout::Metrics,
}

fn faces() -> Result<&'static Faces, Error> {
    static FACES: OnceLock<Option<Faces>> = OnceLock::new();
    FACES
        .get_or_init(|| {
            Some(Faces {
                regular: Font::new(REGULAR.into(), 0)?,
                bold: Font::new(BOLD.into(), 0)?,
                regular_metrics: layout::Metrics::new(REGULAR)?,
                bold_metrics: layout::Metrics::new(BOLD)?,
            })
        })
        .as_ref()
        .ok_or_else(|| Error("the embedded font could not be read".into()))
}

/// Writes the document: A4 pages, tagged, PDF/UA-1.
pub fn render(doc: &Document) -> Result<Vec<u8>, Error> {
    let faces = faces()?;
    let sizes = Sizes::new(doc.text_size, doc.large_print);
    let laid = layout::lay_out(doc, faces, &sizes);
    let configuration = ConfigurationBuilder::new()
        .with_accessibility_validator(Accessibility::UA1)
        .with_version(PdfVersion::Pdf17)
        .finish()
        .map_err(|e| Error(format!("{e:?}")))?;
    let settings = SerializeSettings {
        configuration,
        enable_tagging: true,
        ..SerializeSettings::default()
    };
    let mut out = KrillaDocument::new_with(settings);
    let tree = layout::draw(&mut out, &laid, doc, faces, &sizes);
    out.set_tag_tree(tree);
    out.set_outline(layout::outline(&laid, &doc.title));
    out.set_metadata(
        Metadata::new()
            .title(doc.title.clone())
            .language(doc.lang.clone())
            .creator("P3 Housing complaints".into()),
    );
    out.finish().map_err(|e| Error(format!("{e:?}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(blocks: Vec<Block>, large_print: bool) -> Document {
        Document {
            title: "Letter 1".into(),
            lang: "en-GB".into(),
            head_left: "Example Housing".into(),
            head_right: "CMP-2026-00001 · 4 December 2026".into(),
            large_print,
            text_size: 11.0,
            blocks,
        }
    }

    #[test]
    fn a_tagged_pdf_with_every_kind_of_block() {
        let doc = sample(
            vec![
                Block::Heading {
                    level: 1,
                    text: "Our answer".into(),
                },
                Block::Paragraph("Dear Resident,\nthank you.".into()),
                Block::List(vec!["one".into(), "two".into()]),
                Block::Table(Table {
                    caption: Some("History".into()),
                    header: vec!["No.".into(), "What".into()],
                    rows: vec![
                        vec!["1".into(), "Received".into()],
                        vec!["2".into(), "".into()],
                    ],
                    row_headers: false,
                }),
                Block::PageBreak,
                Block::Strong("Second copy".into()),
            ],
            false,
        );
        let pdf = render(&doc).expect("renders");
        assert!(pdf.starts_with(b"%PDF-"));
        let text = String::from_utf8_lossy(&pdf);
        assert!(text.contains("StructTreeRoot"));
        assert!(text.contains("MarkInfo"));
    }

    #[test]
    fn text_the_font_cannot_draw_still_makes_a_pdf() {
        // Found by the API fuzzing: control characters and scripts Liberation Sans lacks
        // (turned upside-down Latin, private use) made PDF/UA refuse the document (a 500).
        let odd = "\u{18}\u{9a} ʇǝɯɐᴉɹ ˥ \u{e8766} 𗋍 \u{62918}".to_string();
        let doc = sample(
            vec![
                Block::Heading {
                    level: 1,
                    text: odd.clone(),
                },
                Block::Paragraph(odd),
            ],
            false,
        );
        assert!(render(&doc).expect("renders").starts_with(b"%PDF-"));
    }

    #[test]
    fn long_text_runs_onto_more_pages() {
        let para = "word ".repeat(400);
        let short = layout::lay_out(
            &sample(vec![Block::Paragraph("x".into())], false),
            faces().unwrap(),
            &Sizes::new(11.0, false),
        );
        let long = layout::lay_out(
            &sample(vec![Block::Paragraph(para.clone()); 6], false),
            faces().unwrap(),
            &Sizes::new(11.0, false),
        );
        let large = layout::lay_out(
            &sample(vec![Block::Paragraph(para); 6], true),
            faces().unwrap(),
            &Sizes::new(11.0, true),
        );
        assert_eq!(short.pages(), 1);
        assert!(long.pages() > 1);
        assert!(large.pages() > long.pages());
    }
}
