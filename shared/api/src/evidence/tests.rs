//! The pack rendered from a case with every part of the case file.

use std::io::Read;

use chrono::{DateTime, NaiveDate, Utc};
use p3_domain::case::{Actor, Case, Command, NewCase, Rules};
use p3_domain::casefile::{ContactMethod, ContactPreferences, LetterFormat, SupportNeeds};
use p3_domain::complaint::{Channel, ComplaintDetails, Representative, Resident, Tenure};
use p3_domain::event::{
    CaseEvent, ExclusionGround, Outcome, PointDecision, PromisedAction, RequestedThrough,
    StageResponse,
};

use super::*;
use crate::html::esc;

const IM: &str = "im@p3housing.org.uk";
const IM2: &str = "im2@p3housing.org.uk";
const REVIEWER: &str = "hts@p3housing.org.uk";
const CONTRACTS: &str = "contracts@p3housing.org.uk";

pub(super) fn t(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

fn done(case: &Case, command: Command, by: &str, at: &str, rules: &Rules) -> Case {
    let at = t(at);
    let actor = Actor {
        by: by.into(),
        at,
        now: at,
    };
    case.execute(command, &actor, rules)
        .unwrap_or_else(|e| panic!("{e}"))
        .0
}

/// A response partly upholding the stage's one point.
fn response(
    point: &str,
    summary: &str,
    actions: Vec<PromisedAction>,
    pence: Option<u64>,
) -> StageResponse {
    StageResponse {
        outcome: Outcome::PartlyUpheld,
        summary: summary.into(),
        remedy: Some("An apology.".into()),
        point_decisions: vec![PointDecision {
            point: point.into(),
            decision: Outcome::PartlyUpheld,
            reason: Some("The survey was late.".into()),
        }],
        actions,
        compensation_pence: pence,
        learning: None,
    }
}

/// A case with every part of the case file: needs, contact preferences, a representative,
/// revised points, a reassignment, an action done, compensation offered, accepted and paid,
/// both stages, the Ombudsman's referral, determination and an order.
pub(super) fn full_case(rules: &Rules) -> Case {
    let at = t("2026-11-02T10:00:00Z");
    let case = Case::open(
        "CMP-2026-00417",
        NewCase {
            procedure: "housing".into(),
            complaint: ComplaintDetails {
                resident: Resident {
                    name: Some("Ada Lovelace".into()),
                    email: Some("ada@example.org".into()),
                    phone: None,
                    address: Some("12 Acacia Avenue".into()),
                    postcode: Some("SW17 0RG".into()),
                    tenancy_reference: Some("T-1".into()),
                },
                representative: None,
                channel: Channel::Web,
                category: Some("damp_and_mould".into()),
                description: "Mould <b>everywhere</b> =SUM(A1)".into(),
                desired_outcome: Some("Treat the wall".into()),
                tenure: Tenure::LowCostRental,
            },
            service_request: None,
            access_code_hash: None,
            first_contact_resolution: None,
        },
        &Actor {
            by: "resident".into(),
            at,
            now: at,
        },
        rules,
    )
    .unwrap();
    let steps: Vec<(Command, &str, &str)> = vec![
        (
            Command::RecordNeeds(SupportNeeds {
                vulnerabilities: Some("Asthma".into()),
                adjustments: "Call before visiting".into(),
                consent: true,
                review_on: d(2027, 5, 1),
            }),
            "officer@p3housing.org.uk",
            "2026-11-02T11:00:00Z",
        ),
        (
            Command::SetContactPreferences(ContactPreferences {
                method: ContactMethod::Post,
                format: LetterFormat::LargePrint,
                language: Some("Welsh".into()),
            }),
            "officer@p3housing.org.uk",
            "2026-11-02T11:10:00Z",
        ),
        (
            Command::SetRepresentative(Some(Representative {
                name: "Rita Advocate".into(),
                relationship: Some("advocate".into()),
                email: Some("rita@example.org".into()),
                address: None,
                authorised_copies: true,
            })),
            "officer@p3housing.org.uk",
            "2026-11-02T11:20:00Z",
        ),
        (
            Command::Acknowledge {
                responsible_for: None,
                not_responsible_for: None,
                investigating_manager: Some(IM.into()),
                reviewer: None,
                complaint_points: vec!["Mould".into()],
            },
            "officer@p3housing.org.uk",
            "2026-11-03T09:00:00Z",
        ),
        (
            Command::RevisePoints {
                complaint_points: vec!["Mould in the back bedroom".into()],
                reason: "The resident explained which room".into(),
            },
            IM,
            "2026-11-04T09:00:00Z",
        ),
        (
            Command::Reassign {
                handler: IM2.into(),
                reason: "Ian is on leave".into(),
            },
            IM,
            "2026-11-05T09:00:00Z",
        ),
        (
            Command::Respond {
                stage: 1,
                response: response(
                    "Mould in the back bedroom",
                    "We were slow.",
                    vec![PromisedAction {
                        description: "Treat the wall".into(),
                        due: d(2026, 11, 20),
                        owner: Some(CONTRACTS.into()),
                    }],
                    Some(5000),
                ),
            },
            IM2,
            "2026-11-10T09:00:00Z",
        ),
        (
            Command::CompleteAction {
                action: 1,
                note: "Wall treated; photos on file".into(),
            },
            CONTRACTS,
            "2026-11-19T09:00:00Z",
        ),
        (
            Command::OfferCompensation {
                amount_pence: 2500,
                reason: "Time off work".into(),
            },
            IM2,
            "2026-11-19T10:00:00Z",
        ),
        (
            Command::AnswerCompensation {
                offer: 2,
                accepted: true,
            },
            IM2,
            "2026-11-20T10:00:00Z",
        ),
        (
            Command::PayCompensation {
                offer: 2,
                payment_reference: Some("FIN-77".into()),
            },
            IM2,
            "2026-11-21T10:00:00Z",
        ),
        (
            Command::RequestNextStage {
                reason: Some("Still damp".into()),
                through: RequestedThrough::Staff,
            },
            "officer@p3housing.org.uk",
            "2026-11-22T10:00:00Z",
        ),
        (
            Command::Acknowledge {
                responsible_for: None,
                not_responsible_for: None,
                investigating_manager: None,
                reviewer: Some(REVIEWER.into()),
                complaint_points: vec!["Still damp".into()],
            },
            "officer@p3housing.org.uk",
            "2026-11-23T10:00:00Z",
        ),
        (
            Command::Respond {
                stage: 2,
                response: response("Still damp", "On review, upheld in part.", vec![], None),
            },
            REVIEWER,
            "2026-11-24T10:00:00Z",
        ),
        (
            Command::Ombudsman {
                determination: false,
                detail: "Referred by the resident".into(),
            },
            REVIEWER,
            "2026-11-25T10:00:00Z",
        ),
        (
            Command::Ombudsman {
                determination: true,
                detail: "Service failure".into(),
            },
            REVIEWER,
            "2026-12-01T10:00:00Z",
        ),
        (
            Command::OmbudsmanOrder {
                description: "Apologise in writing".into(),
                due: d(2026, 12, 15),
                owner: REVIEWER.into(),
            },
            REVIEWER,
            "2026-12-01T11:00:00Z",
        ),
    ];
    steps
        .into_iter()
        .fold(case, |c, (cmd, by, at)| done(&c, cmd, by, at, rules))
}

pub(super) fn producer() -> Producer {
    Producer {
        name: "Hannah Head".into(),
        email: "hannah@p3housing.org.uk".into(),
        role: "senior_manager".into(),
    }
}

fn tr<'a>(html: &'a str, id: &str) -> &'a str {
    let start = html
        .find(&format!("<tr id=\"{id}\">"))
        .unwrap_or_else(|| panic!("no row {id}"));
    &html[start..start + html[start..].find("</tr>").unwrap()]
}

#[test]
fn the_pack_holds_the_whole_case_file() {
    let rules = Rules::default();
    let case = full_case(&rules);
    let first = case.letters.first().unwrap();
    let mut sent = BTreeMap::new();
    for l in &case.letters {
        for (i, a) in l.to.iter().enumerate() {
            assert_eq!(
                a.delivery == Delivery::Email,
                i == 1,
                "the resident asked for post"
            );
            sent.insert(l.delivery_id(&case.reference, i), false);
        }
    }
    sent.insert(first.delivery_id(&case.reference, 1), true);
    let pack = render(
        &case,
        &rules,
        &sent,
        &producer(),
        t("2026-12-02T09:30:00Z"),
        "P3 Housing",
    );
    let html = &pack.html;
    assert!(html.contains("Produced on 2 December 2026 at 09:30"));
    assert!(html.contains("by Hannah Head &lt;hannah@p3housing.org.uk&gt; (senior_manager)"));
    assert!(html.contains("Mould &lt;b&gt;everywhere&lt;/b&gt; =SUM(A1)"));
    assert!(!html.contains("<b>everywhere"));

    for e in &case.history {
        let row = tr(html, &format!("event-{}", e.sequence));
        assert!(row.contains(&format!("<code>{}</code>", e.event.name())));
        assert!(row.contains(&esc(&describe(&e.event))), "{row}");
        assert!(row.contains(&esc(&e.by)));
    }
    // Needs, consent and review; contact preferences.
    for text in [
        "Call before visiting",
        "Asthma",
        "Given by the resident",
        "Sat 1 May 2027",
        "Large print",
        "Welsh",
        "Post",
    ] {
        assert!(html.contains(text), "{text}");
    }
    // The revision keeps the points before it; the reassignment who from and to.
    assert!(
        html.contains("<td>\u{201c}Mould\u{201d}</td><td>The resident explained which room</td>")
    );
    assert!(html.contains(&format!(
        "<td>{IM}</td><td>{IM}</td><td>{IM2}</td><td>Ian is on leave</td>"
    )));
    // The action done with its evidence; the Ombudsman's order pending with its owner.
    let action = tr(html, "action-1");
    assert!(action.contains("Promised in the Stage 1 response") && action.contains(CONTRACTS));
    assert!(action.contains("met") && action.contains("Wall treated; photos on file"));
    let order = tr(html, "action-2");
    assert!(order.contains("Ordered by the Housing Ombudsman") && order.contains(REVIEWER));
    assert!(order.contains("Tue 15 Dec 2026") && order.contains("pending"));
    assert!(order.contains("Not yet"));
    assert!(tr(html, "deadline-stage2_action2").contains("<strong>pending</strong>"));
    // Compensation from offer to payment.
    let offer = tr(html, "compensation-1");
    assert!(offer.contains("£50.00") && offer.contains("<td>offered</td>"));
    let paid = tr(html, "compensation-2");
    assert!(paid.contains("£25.00") && paid.contains("<td>paid</td>"));
    assert!(paid.contains("Accepted") && paid.contains("reference FIN-77"));
    // The Ombudsman.
    assert!(html.contains("Referred by the resident") && html.contains("Service failure"));
    // Letters: each email copy's state, the translation note.
    assert!(html.contains("Send a translation of this letter into Welsh."));
    assert!(html.contains("<td>Sent</td>"));
    // (Completing the action wrote to the resident too: an update letter.)
    assert_eq!(html.matches("<td>Not sent yet</td>").count(), 4);
    assert_eq!(
        html.matches("<td>Printed and posted by staff</td>").count(),
        5
    );
    assert_eq!(pack.letters.len(), case.letters.len());
    assert_eq!(
        pack.letters.len(),
        5,
        "two acknowledgements, two responses and the update on the action done"
    );
}

#[test]
fn the_zip_opens_and_holds_the_pack_and_every_letter() {
    let rules = Rules::default();
    let case = full_case(&rules);
    let pack = render(
        &case,
        &rules,
        &BTreeMap::new(),
        &producer(),
        t("2026-07-02T09:30:00Z"),
        "P3 Housing",
    );
    let file = super::archive::PackedFile {
        name: "attachments/0123456789abcdef0123-damp _1_.txt".into(),
        bytes: b"Inspection notes\n".to_vec(),
        deflate: true,
    };
    let bytes = super::archive::zip(&pack, None, std::slice::from_ref(&file)).unwrap();
    let mut z = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    let mut names = Vec::new();
    for i in 0..z.len() - 2 {
        let mut f = z.by_index(i).unwrap();
        let mut text = String::new();
        f.read_to_string(&mut text).unwrap();
        let expected = if i == 0 {
            pack.html.clone()
        } else {
            pack.letters[i - 1].1.clone()
        };
        assert_eq!(text, expected, "{}", f.name());
        // London summer time: 09:30 UTC is 10:30 on the clock.
        let m = f.last_modified().unwrap();
        assert_eq!(
            (m.year(), m.month(), m.day(), m.hour(), m.minute()),
            (2026, 7, 2, 10, 30)
        );
        names.push(f.name().to_string());
    }
    assert_eq!(
        names,
        [
            "CMP-2026-00417-evidence.html",
            "letter-01-stage1-acknowledgement.html",
            "letter-02-stage1-stage-response.html",
            "letter-03-stage1-update.html",
            "letter-04-stage2-acknowledgement.html",
            "letter-05-stage2-stage-response.html",
        ]
    );
    // Then the case's files, then every file's SHA-256 in the `sha256sum` format.
    let mut attached = Vec::new();
    z.by_name(&file.name)
        .unwrap()
        .read_to_end(&mut attached)
        .unwrap();
    assert_eq!(attached, file.bytes);
    let mut sums = String::new();
    z.by_name("SHA256SUMS")
        .unwrap()
        .read_to_string(&mut sums)
        .unwrap();
    let lines: Vec<&str> = sums.lines().collect();
    assert_eq!(lines.len(), 7);
    assert_eq!(
        lines[0],
        format!(
            "{}  CMP-2026-00417-evidence.html",
            p3_domain::attachment::sha256_hex(pack.html.as_bytes())
        )
    );
    assert_eq!(
        lines[6],
        format!(
            "{}  {}",
            p3_domain::attachment::sha256_hex(b"Inspection notes\n"),
            file.name
        )
    );
    let letter = &pack.letters[1].1;
    assert!(letter.contains("Copy to the representative:\nRita Advocate"));
    assert!(letter.contains("Our reference: CMP-2026-00417"));
}

#[test]
fn every_event_is_described_in_words() {
    let rules = Rules::default();
    let case = full_case(&rules);
    let mut events: Vec<CaseEvent> = case.history.iter().map(|e| e.event.clone()).collect();
    events.extend([
        CaseEvent::ResolvedAtFirstContact {
            outcome: Outcome::Upheld,
            summary: "Repair booked".into(),
        },
        CaseEvent::Extended {
            stage: 1,
            working_days: 1,
            reason: "Waiting for a report".into(),
        },
        CaseEvent::Refused {
            stage: 2,
            ground: ExclusionGround::LegalProceedings,
            explanation: "Court case".into(),
        },
        CaseEvent::Withdrawn { reason: None },
        CaseEvent::RepresentativeSet {
            representative: None,
        },
        CaseEvent::Anonymised {
            closed_on: d(2020, 1, 6),
            retention_years: 6,
        },
    ]);
    let described: Vec<String> = events.iter().map(describe).collect();
    for (e, words) in events.iter().zip(&described) {
        assert!(words.len() > 15, "{}: {words}", e.name());
        assert!(!words.contains('_'), "no snake_case names: {words}");
    }
    let all = described.join("\n");
    for text in [
        "Resolved at first contact with the resident's agreement (upheld): Repair booked",
        "extended by 1 working day. Reason given to the resident: Waiting for a report",
        "Refused at Stage 2 on the ground that legal proceedings have started",
        "Withdrawn by the resident.",
        "Representative removed.",
        "6-year retention period (the case closed on Mon 6 Jan 2020)",
        "Action 1 completed. Evidence: Wall treated; photos on file",
        "The resident accepted compensation offer 2.",
        "Compensation offer 2 paid (payment reference FIN-77).",
        "The Housing Ombudsman ordered: Apologise in writing. Due by Tue 15 Dec 2026; owner: hts@p3housing.org.uk.",
        "Stage 1 reassigned to im2@p3housing.org.uk. Why: Ian is on leave",
        "Contact preferences set: by post, large print format, letters in Welsh.",
        "with the resident's consent",
        "Stage 2 requested recorded by staff for the resident",
        "Compensation offered: £50.00.",
    ] {
        assert!(all.contains(text), "{text} in:\n{all}");
    }
}

#[test]
fn the_pack_holds_the_notes_with_their_corrections_and_the_correspondence_log() {
    use p3_domain::correspondence::{CorrespondenceChannel, Direction, NewCorrespondence};
    let rules = Rules::default();
    let case = full_case(&rules);
    let case = done(
        &case,
        Command::AddNote {
            text: "Rita says the <b>landlord</b> never called".into(),
            corrects: None,
        },
        IM,
        "2026-12-01T12:00:00Z",
        &rules,
    );
    let first = case.version;
    let case = done(
        &case,
        Command::AddNote {
            text: "She meant the contractor".into(),
            corrects: Some(first),
        },
        REVIEWER,
        "2026-12-01T12:30:00Z",
        &rules,
    );
    let case = done(
        &case,
        Command::LogCorrespondence(NewCorrespondence {
            direction: Direction::Outbound,
            channel: CorrespondenceChannel::InPerson,
            summary: "Told the resident about the apology at the estate office".into(),
            attachments: vec![],
        }),
        IM,
        "2026-12-01T13:00:00Z",
        &rules,
    );
    let pack = render(
        &case,
        &rules,
        &BTreeMap::new(),
        &producer(),
        t("2026-12-02T09:30:00Z"),
        "P3 Housing",
    );
    let html = &pack.html;
    assert!(html.contains("<li><a href=\"#notes\">Internal notes</a></li>"));
    let note = tr(html, &format!("note-{first}"));
    assert!(note.contains("Rita says the &lt;b&gt;landlord&lt;/b&gt; never called"));
    assert!(note.contains(&format!("Corrected by note {}.", first + 1)));
    let correction = tr(html, &format!("note-{}", first + 1));
    assert!(
        correction.contains(&format!("Corrects note {first}.")) && correction.contains(REVIEWER)
    );
    let entry = tr(html, &format!("correspondence-{}", case.version));
    assert!(
        entry.contains("<td>Sent or said</td><td>in person</td>"),
        "{entry}"
    );
    assert!(entry.contains("apology at the estate office"));
    // And each is an event of the history, in words.
    let described = tr(html, &format!("event-{}", first + 1));
    assert!(described.contains(&format!(
        "Internal note correcting note {first}: She meant the contractor"
    )));
    let described = tr(html, &format!("event-{}", case.version));
    assert!(
        described.contains("Sent or said in person: Told the resident"),
        "{described}"
    );
}

/// Every letter of the full case as its printable page (`letters::print_page`), with a
/// landlord whose address, phone and email head each copy: the large print letters, the
/// representative's copies and escaping included. The fixture was recorded from the page as it
/// was hand-built, before it became a template.
#[test]
fn the_printable_letters_read_as_recorded() {
    let rules = Rules::default();
    let case = full_case(&rules);
    let landlord = p3_domain::letter::Landlord {
        name: "P3 Housing & Co".into(),
        phone: Some("0161 496 0000".into()),
        email: Some("complaints@p3housing.example".into()),
        address: Some("1 High Street\nManchester <M1 1AA>".into()),
        ..Default::default()
    };
    let letters: Vec<_> = case
        .history
        .iter()
        .filter_map(|e| match &e.event {
            CaseEvent::LetterIssued { letter } => Some(letter),
            _ => None,
        })
        .collect();
    assert!(letters.len() > 3, "the full case has letters");
    let pages: String = letters
        .iter()
        .map(|l| crate::letters::print_page(&case, l, &landlord) + "\n")
        .collect();
    if std::env::var_os("P3_RECORD_FIXTURES").is_some() {
        std::fs::write(
            concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/testdata/printable_letters.html"
            ),
            &pages,
        )
        .unwrap();
    }
    assert_eq!(pages, include_str!("../../testdata/printable_letters.html"));
}
