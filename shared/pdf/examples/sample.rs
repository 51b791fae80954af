//! Writes a sample document to the path given (or `sample.pdf`): a look at the layout, and the
//! binary whose release size tells what PDF writing adds to a Lambda package.

fn main() {
    use p3_pdf::{Block, Document, Table};
    let doc = Document {
        title: "Sample letter".into(),
        lang: "en-GB".into(),
        head_left: "Example Housing".into(),
        head_right: "Our reference CMP-2026-00001 · 4 December 2026".into(),
        large_print: std::env::args().any(|a| a == "--large"),
        text_size: 11.0,
        blocks: vec![
            Block::Heading {
                level: 1,
                text: "Our Stage 1 answer".into(),
            },
            Block::Paragraph("Dear Resident,\nThis letter is our answer.".into()),
            Block::List(vec!["The damp in the bedroom".into(), "The repair".into()]),
            Block::Table(Table {
                caption: Some("History".into()),
                header: vec!["No.".into(), "Event".into()],
                rows: vec![vec!["1".into(), "Complaint received".into()]],
                row_headers: false,
            }),
        ],
    };
    let path = std::env::args()
        .nth(1)
        .filter(|a| a != "--large")
        .unwrap_or("sample.pdf".into());
    match p3_pdf::render(&doc) {
        Ok(pdf) => std::fs::write(path, pdf).expect("written"),
        Err(e) => eprintln!("{e}"),
    }
}
