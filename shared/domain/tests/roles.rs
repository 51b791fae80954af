//! Who may do what (domain.md): the role a command needs is judged on the case as the command
//! finds it, so a change made meanwhile (the resident asking for Stage 2) is judged as it now is.

use std::sync::LazyLock;

use chrono::{DateTime, Utc};
use p3_domain::case::{Actor, Case, Command, CommandError, NewCase, Rules};
use p3_domain::complaint::{Channel, ComplaintDetails};
use p3_domain::event::{Outcome, PointDecision, RequestedThrough, StageResponse};
use p3_domain::policy::HOUSING;
use p3_domain::role::{self, Caller, Role};
use p3_domain::service::execute_as;

static RULES: LazyLock<Rules> = LazyLock::new(Rules::default);

const IM: &str = "im@p3housing.org.uk";

fn t(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s)
        .expect("rfc3339")
        .with_timezone(&Utc)
}

fn actor(by: &str, at: &str) -> Actor {
    Actor {
        by: by.into(),
        at: t(at),
        now: t(at),
    }
}

fn step(case: Case, command: Command, by: &str, at: &str) -> Case {
    case.execute(command, &actor(by, at), &RULES)
        .unwrap_or_else(|e| panic!("{at}: {e}"))
        .0
}

/// A case answered at Stage 1 on Monday 8 June 2026.
fn answered_at_stage1() -> Case {
    let new = NewCase {
        procedure: HOUSING.into(),
        complaint: ComplaintDetails {
            resident: Default::default(),
            representative: None,
            channel: Channel::Web,
            category: None,
            description: "The boiler has failed".into(),
            desired_outcome: None,
            tenure: Default::default(),
        },
        service_request: None,
        access_code_hash: None,
        first_contact_resolution: None,
    };
    let case = Case::open(
        "CMP-2026-00001",
        new,
        &actor("officer@p3housing.org.uk", "2026-06-01T09:00:00+01:00"),
        &RULES,
    )
    .unwrap();
    let case = step(
        case,
        Command::Acknowledge {
            responsible_for: None,
            not_responsible_for: None,
            investigating_manager: Some(IM.into()),
            reviewer: None,
            complaint_points: vec!["The boiler".into()],
        },
        "officer@p3housing.org.uk",
        "2026-06-02T09:00:00+01:00",
    );
    step(
        case,
        Command::Respond {
            stage: 1,
            response: StageResponse {
                outcome: Outcome::NotUpheld,
                summary: "The boiler was repaired on our first visit".into(),
                remedy: None,
                point_decisions: vec![PointDecision {
                    point: "The boiler".into(),
                    decision: Outcome::NotUpheld,
                    reason: Some("It was repaired on the first visit".into()),
                }],
                actions: vec![],
                compensation_pence: None,
                learning: None,
            },
        },
        IM,
        "2026-06-08T09:00:00+01:00",
    )
}

fn stage2_requested() -> Case {
    step(
        answered_at_stage1(),
        Command::RequestNextStage {
            reason: Some("Still cold".into()),
            through: RequestedThrough::Resident,
        },
        "resident",
        "2026-06-09T09:00:00+01:00",
    )
}

fn extend() -> Command {
    Command::Extend {
        working_days: 10,
        reason: "Waiting for the engineer's report".into(),
    }
}

#[test]
fn an_extension_needs_the_role_of_the_stage_the_case_is_at_when_it_is_applied() {
    assert_eq!(
        role::needed(&answered_at_stage1(), &extend()),
        Role::InvestigatingManager
    );
    let case = stage2_requested();
    assert_eq!(role::needed(&case, &extend()), Role::SeniorManager);
    let im = Caller::staff(IM, Role::InvestigatingManager);
    let e = execute_as(
        &case,
        extend(),
        &actor(IM, "2026-06-09T10:00:00+01:00"),
        &im,
        &RULES,
    )
    .expect_err("an Investigating Manager may not extend Stage 2");
    assert_eq!(
        e,
        CommandError::Forbidden {
            needed: Role::SeniorManager,
            role: Role::InvestigatingManager
        }
    );
    let head = Caller::staff("head@p3housing.org.uk", Role::SeniorManager);
    let (next, _) = execute_as(
        &case,
        extend(),
        &actor("head@p3housing.org.uk", "2026-06-09T10:00:00+01:00"),
        &head,
        &RULES,
    )
    .expect("a senior manager may");
    assert_eq!(next.current_stage().extended_by(), 10);
}

#[test]
fn the_role_is_checked_before_the_procedure_so_a_refusal_gives_nothing_away() {
    // An officer's extension of an answered stage is refused for the role, not the state.
    let officer = Caller::staff("officer@p3housing.org.uk", Role::Officer);
    let e = execute_as(
        &answered_at_stage1(),
        extend(),
        &actor("officer@p3housing.org.uk", "2026-06-09T10:00:00+01:00"),
        &officer,
        &RULES,
    )
    .unwrap_err();
    assert!(matches!(e, CommandError::Forbidden { .. }), "{e:?}");
}

#[test]
fn an_auditor_changes_nothing_and_each_role_includes_the_one_before() {
    let case = stage2_requested();
    let auditor = Caller::staff("audrey@p3housing.org.uk", Role::Auditor);
    let e = execute_as(
        &case,
        Command::Withdraw { reason: None },
        &actor("audrey@p3housing.org.uk", "2026-06-09T10:00:00+01:00"),
        &auditor,
        &RULES,
    )
    .unwrap_err();
    assert!(matches!(
        e,
        CommandError::Forbidden {
            needed: Role::Officer,
            ..
        }
    ));
    assert!(Role::SeniorManager.includes(Role::InvestigatingManager));
    assert!(Role::InvestigatingManager.includes(Role::Officer));
    assert!(!Role::Officer.includes(Role::InvestigatingManager));
    assert!(!Role::Auditor.includes(Role::Officer));
}

#[test]
fn refusals_reassignments_and_the_ombudsman_need_a_senior_manager_at_any_stage() {
    let case = answered_at_stage1();
    for command in [
        Command::Ombudsman {
            determination: false,
            detail: "Referred".into(),
        },
        Command::Reassign {
            handler: "other@p3housing.org.uk".into(),
            reason: "Leave".into(),
        },
    ] {
        assert_eq!(role::needed(&case, &command), Role::SeniorManager);
    }
}

#[test]
fn the_resident_asks_for_stage2_with_no_staff_role() {
    let (next, _) = execute_as(
        &answered_at_stage1(),
        Command::RequestNextStage {
            reason: None,
            through: RequestedThrough::Resident,
        },
        &actor("resident", "2026-06-09T09:00:00+01:00"),
        &Caller::Resident,
        &RULES,
    )
    .expect("the resident's own request");
    assert_eq!(next.current_stage().number, 2);
}
