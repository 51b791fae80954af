//! Attachments (domain.md, "Records"): the kinds of file taken are told from the content, a
//! name that claims another kind is refused naming `file`, the size limit holds, a resident
//! sends at most five files, and retention removes the names and descriptions.

use chrono::{DateTime, Utc};
use p3_domain::attachment::{self, FileKind, Upload, MAX_FILE_BYTES, MAX_RESIDENT_FILES};
use p3_domain::case::{Actor, Case, Command, CommandError, NewCase, Rules};
use p3_domain::complaint::{Channel, ComplaintDetails, Resident, Tenure};
use p3_domain::policy::HOUSING;

fn t(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

fn actor(by: &str) -> Actor {
    Actor {
        by: by.into(),
        at: t("2026-03-02T10:00:00Z"),
        now: t("2026-03-02T10:00:00Z"),
    }
}

fn open() -> Case {
    let new = NewCase {
        procedure: HOUSING.into(),
        complaint: ComplaintDetails {
            resident: Resident {
                name: Some("Ada Lovelace".into()),
                ..Default::default()
            },
            representative: None,
            channel: Channel::Phone,
            category: None,
            description: "Mould in the bathroom".into(),
            desired_outcome: None,
            tenure: Tenure::LowCostRental,
        },
        service_request: None,
        access_code_hash: None,
        first_contact_resolution: None,
    };
    Case::open("CMP-2026-00001", new, &actor("resident"), &Rules::default()).unwrap()
}

fn upload(name: &str, bytes: &[u8]) -> Upload {
    Upload {
        filename: name.into(),
        bytes: bytes.to_vec(),
        description: "  what it shows  ".into(),
    }
}

fn ole(stream: &str) -> Vec<u8> {
    let mut b = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1".to_vec();
    b.extend(std::iter::repeat_n(0u8, 64));
    b.extend(stream.encode_utf16().flat_map(u16::to_le_bytes));
    b
}

fn zip(part: &str) -> Vec<u8> {
    let mut b = b"PK\x03\x04\x14\x00\x00\x00[Content_Types].xml".to_vec();
    b.extend(b"PK\x03\x04\x14\x00\x00\x00");
    b.extend(part.as_bytes());
    b
}

#[test]
fn each_kind_taken_is_told_from_its_content() {
    let cases: Vec<(&str, Vec<u8>, FileKind)> = vec![
        ("a.pdf", b"%PDF-1.4\n".to_vec(), FileKind::Pdf),
        ("a.png", b"\x89PNG\r\n\x1a\n....".to_vec(), FileKind::Png),
        (
            "a.JPG",
            b"\xff\xd8\xff\xe0\x00\x10JFIF".to_vec(),
            FileKind::Jpeg,
        ),
        (
            "a.heic",
            b"\x00\x00\x00\x18ftypheic\x00\x00".to_vec(),
            FileKind::Heic,
        ),
        ("a.doc", ole("WordDocument"), FileKind::Doc),
        ("a.xls", ole("Workbook"), FileKind::Xls),
        ("a.msg", ole("__substg1.0_0037001F"), FileKind::Msg),
        ("a.docx", zip("word/document.xml"), FileKind::Docx),
        ("a.xlsx", zip("xl/workbook.xml"), FileKind::Xlsx),
        (
            "a.txt",
            "Caf\u{e9} notes\r\n\tline two".as_bytes().to_vec(),
            FileKind::Text,
        ),
        (
            "a.eml",
            b"From: a@b.c\r\nSubject: x\r\n\r\nbody".to_vec(),
            FileKind::Eml,
        ),
        // An email saved as text is plain text.
        (
            "a.txt",
            b"From: a@b.c\r\nSubject: x\r\n\r\nbody".to_vec(),
            FileKind::Text,
        ),
    ];
    for (name, bytes, kind) in cases {
        let file =
            attachment::check(&upload(name, &bytes)).unwrap_or_else(|e| panic!("{name}: {e:?}"));
        assert_eq!(file.kind, kind, "{name}");
        assert_eq!(file.size, bytes.len() as u64);
        assert_eq!(file.description, "what it shows");
        assert_eq!(file.sha256.len(), 64);
    }
}

#[test]
fn other_content_and_names_that_claim_another_kind_are_refused_naming_file() {
    let refused: Vec<(&str, Vec<u8>)> = vec![
        ("a.pdf", b"\x89PNG\r\n\x1a\n".to_vec()),
        ("a.docx", zip("xl/workbook.xml")),
        ("a.doc", ole("Workbook")),
        ("a.eml", b"just some words".to_vec()),
        ("a.txt", b"binary\x00data".to_vec()),
        ("a.zip", b"PK\x03\x04rest".to_vec()),
        ("a.docx", b"PK\x03\x04word/document.xml".to_vec()),
        ("a.exe", b"MZ\x90\x00".to_vec()),
        ("a.html", b"<html></html>".to_vec()),
        ("png", b"\x89PNG\r\n\x1a\n".to_vec()),
        ("a.png", b"".to_vec()),
        ("a.heic", b"\x00\x00\x00\x18ftypisom\x00\x00".to_vec()),
    ];
    for (name, bytes) in refused {
        let e = attachment::check(&upload(name, &bytes)).expect_err(name);
        assert_eq!(e.errors.len(), 1, "{name}");
        assert_eq!(e.errors[0].field, "file", "{name}");
    }
    let big = vec![b'a'; MAX_FILE_BYTES + 1];
    assert!(attachment::check(&upload("a.txt", &big)).is_err());
    assert!(attachment::check(&upload("a.txt", &big[1..])).is_ok());
}

#[test]
fn a_file_name_is_only_shown_never_a_path() {
    assert_eq!(
        attachment::display_name("../../etc/passwd.txt"),
        "passwd.txt"
    );
    assert_eq!(
        attachment::display_name("C:\\Users\\ada\\photo.jpg"),
        "photo.jpg"
    );
    assert_eq!(attachment::display_name("a\u{0}b\r\n.png"), "ab.png");
    let long = format!("{}.pdf", "x".repeat(500));
    let shown = attachment::display_name(&long);
    assert_eq!(shown.chars().count(), attachment::MAX_FILENAME_CHARS);
    assert!(shown.ends_with(".pdf"));
    assert!(!attachment::is_id("../p3.db"));
    assert!(attachment::is_id(&attachment::new_id([0xab; 10])));
}

fn add(case: &Case, by: &str, n: u8) -> Result<Case, CommandError> {
    let file = attachment::check(&upload("photo.png", b"\x89PNG\r\n\x1a\n")).unwrap();
    let command = Command::AddAttachment {
        id: attachment::new_id([n; 10]),
        file,
    };
    case.execute(command, &actor(by), &Rules::default())
        .map(|(c, _)| c)
}

#[test]
fn a_resident_sends_at_most_five_files_and_staff_add_more() {
    let mut case = open();
    for n in 0..MAX_RESIDENT_FILES as u8 {
        case = add(&case, "resident", n).unwrap();
    }
    match add(&case, "resident", 99) {
        Err(CommandError::Invalid(e)) => assert_eq!(e.errors[0].field, "file"),
        other => panic!("a sixth file: {other:?}"),
    }
    let case = add(&case, "officer@p3.example", 99).unwrap();
    assert_eq!(case.attachments.len(), MAX_RESIDENT_FILES + 1);
    assert!(case.attachments[0].from_resident());
    assert!(!case.attachments[5].from_resident());
    // The same id twice is refused: a stored file is never replaced.
    assert!(add(&case, "officer@p3.example", 99).is_err());
}

#[test]
fn an_address_carries_only_slots_the_service_could_have_named_each_once_and_at_most_five() {
    use p3_domain::inbox::carried_slots;
    let slot = |n: u8| p3_domain::attachment::new_id([n; 10]);
    let (a, b) = (slot(1), slot(2));
    let carried = carried_slots([
        a.as_str(),
        "../../etc/passwd",
        a.as_str(),
        " ",
        b.as_str(),
        "ABCDEF0123456789ABCD",
    ]);
    assert_eq!(carried, vec![a.clone(), b]);
    let many: Vec<String> = (0..8).map(slot).collect();
    let carried = carried_slots(many.iter().map(String::as_str));
    assert_eq!(carried, many[..5].to_vec());
}
