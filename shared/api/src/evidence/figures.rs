//! The figure issue 15 asks for: how long the evidence pack of a large case takes to build as
//! HTML, PDF and zip, and how large the zip and the PDF are. A measurement, not a check: it is
//! ignored, and run on purpose (`docs/letters-and-case-file.md`, "Figures"):
//!
//! ```sh
//! cargo test --release -p p3-api --lib evidence::figures -- --ignored --nocapture
//! ```

use std::collections::BTreeMap;
use std::time::Instant;

use chrono::Duration;
use p3_domain::attachment::{self, Upload};
use p3_domain::case::{Actor, Case, Command, Rules};

use super::archive::{self, PackedFile};
use super::render;
use super::tests::{full_case, producer};

/// Runs a command a minute after the case's last event.
fn next(case: &Case, command: Command, rules: &Rules) -> Case {
    let at = case.history.last().map(|e| e.at).unwrap() + Duration::minutes(1);
    let actor = Actor {
        by: "olive@p3housing.org.uk".into(),
        at,
        now: at,
    };
    case.execute(command, &actor, rules)
        .unwrap_or_else(|e| panic!("{e}"))
        .0
}

/// A photo-sized file (400 KB) of bytes that do not compress, as a photo's do not.
fn photo(n: u32) -> Vec<u8> {
    let mut bytes = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR".to_vec();
    let mut x = 0x9E37_79B9u32.wrapping_mul(n + 1);
    while bytes.len() < 400 * 1024 {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        bytes.extend_from_slice(&x.to_le_bytes());
    }
    bytes
}

#[test]
#[ignore = "a measurement that prints its figures; run it on purpose"]
fn the_pack_of_a_case_with_200_events_and_20_attachments() {
    let rules = Rules::default();
    let mut case = full_case(&rules);
    let mut files = Vec::new();
    for n in 0..20u32 {
        let bytes = photo(n);
        let file = attachment::check(&Upload {
            filename: format!("damp photo {n}.png"),
            bytes: bytes.clone(),
            description: format!("Photo {n} of the back bedroom wall"),
        })
        .unwrap();
        let id = attachment::new_id([n as u8; 10]);
        case = next(&case, Command::AddAttachment { id, file }, &rules);
        files.push(bytes);
    }
    let mut n = 0;
    while case.history.len() < 200 {
        n += 1;
        let text = format!(
            "Note {n}: rang the resident about the damp; the contractor confirmed the visit and the \
             dehumidifier readings were taken in every room, as agreed in the last letter."
        );
        case = next(
            &case,
            Command::AddNote {
                text,
                corrects: None,
            },
            &rules,
        );
    }
    assert_eq!(case.history.len(), 200);
    assert_eq!(case.attachments.len(), 20);
    let now = case.history.last().unwrap().at;

    let started = Instant::now();
    let pack = render(
        &case,
        &rules,
        &BTreeMap::new(),
        &producer(),
        now,
        "P3 Housing",
    );
    let html_time = started.elapsed();

    let started = Instant::now();
    let pdf = crate::pdf::evidence(&pack, &rules.letters.landlord).unwrap();
    let pdf_time = started.elapsed();

    let packed: Vec<PackedFile> = case
        .attachments
        .iter()
        .zip(files)
        .map(|(a, bytes)| PackedFile {
            name: archive::attachment_path(a),
            bytes,
            deflate: false,
        })
        .collect();
    let started = Instant::now();
    let zip = archive::zip(&pack, Some(&pdf), &packed).unwrap();
    let zip_time = started.elapsed();

    let attachments: usize = packed.iter().map(|f| f.bytes.len()).sum();
    println!(
        "evidence pack, 200 events, 20 attachments of 400 KB ({attachments} bytes):\n  \
         HTML {} bytes in {html_time:?}\n  PDF {} bytes in {pdf_time:?}\n  \
         zip (HTML, {} letters, PDF, files, SHA256SUMS) {} bytes in {zip_time:?}\n  \
         all three {:?}",
        pack.html.len(),
        pdf.len(),
        pack.letters.len(),
        zip.len(),
        html_time + pdf_time + zip_time
    );
}
