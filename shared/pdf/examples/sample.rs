//! Writes a sample document to the path given (or `sample.pdf`): a look at the layout, and the
//! binary whose release size tells what PDF writing adds to a Lambda package.

fn rows() -> usize {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == "--rows")
        .and_then(|i| args.get(i + 1)?.parse().ok())
        .unwrap_or(1)
}

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
                // `-- --rows N`: a history of N events, for timing a long pack.
                rows: (1..=rows())
                    .map(|i| vec![i.to_string(), format!("Event {i}: complaint received by Olive Officer <olive@p3.example> on Monday 2 November 2026 at 09:30 (2026-11-02T09:30:00Z)")])
                    .collect(),
                row_headers: false,
            }),
        ],
    };
    let path = std::env::args()
        .nth(1)
        .filter(|a| !a.starts_with("--"))
        .unwrap_or("sample.pdf".into());
    let started = std::time::Instant::now();
    match p3_pdf::render(&doc) {
        Ok(pdf) => {
            let ms = started.elapsed().as_millis();
            println!("{} table rows: {} bytes in {ms} ms", rows(), pdf.len());
            std::fs::write(path, pdf).expect("written")
        }
        Err(e) => eprintln!("{e}"),
    }
}
