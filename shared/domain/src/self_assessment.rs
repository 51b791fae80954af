//! The annual self-assessment against the Housing Ombudsman's Complaint Handling Code (2024),
//! which the landlord publishes with its Annual Complaints Performance and Service Improvement
//! Report (Code 8.1-8.2).
//!
//! [`SECTIONS`] is the Code's requirements as data, section by section, each with its number in
//! the Code and a faithful paraphrase (the Code's own text is the authority), and the evidence
//! the service holds for it ([`Evidence`]). [`assess`] fills that evidence in for a financial
//! year from the year's cases, the year's figures and the settings, beside the landlord's own
//! commentary and action plan for each requirement ([`crate::annual_record`]).

use serde::Serialize;

use crate::annual_record::AnnualRecord;

#[path = "self_assessment/evidence.rs"]
mod evidence;
pub use evidence::{assess, YearInputs};

/// What the service can show for a requirement; each becomes one or more [`EvidenceLine`]s.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Evidence {
    /// Stage 1 complaints received by channel.
    Channels,
    /// Complaints made by or with a representative.
    Representatives,
    /// Cases with vulnerabilities or reasonable adjustments recorded.
    Adjustments,
    /// Service requests logged, and complaints that escalated one.
    ServiceRequests,
    /// Refusals by exclusion ground, each explained to the resident.
    Refusals,
    /// The procedures' stages (a two-stage housing procedure).
    Stages,
    /// Acknowledgements that defined the complaint (points, responsibilities) at a stage.
    Definition(u8),
    /// Acknowledgements of a stage within its timescale.
    Acknowledged(u8),
    /// Responses of a stage within the Code's timescale.
    Responded(u8),
    /// Extensions of a stage and the most they may add.
    Extensions(u8),
    /// Responses of a stage that decided every point.
    PointsDecided(u8),
    /// Promised actions due in the year, done by their date.
    TrackedActions,
    /// First contact resolutions.
    FirstContact,
    /// Stage 2 reviews by someone other than the Stage 1 handler.
    IndependentReview,
    /// Remedies and compensation offered and paid.
    Remedies,
    /// The configured categories and the year's complaints by category.
    Categories,
    /// The annual report and the governing body's response.
    AnnualReport,
    /// The Ombudsman's determinations and orders, and how far the orders were complied with.
    OmbudsmanOrders,
    /// Responses that recorded what was learned.
    Learning,
    /// The quarterly summaries for the Member Responsible for Complaints.
    QuarterlyReports,
}

/// One requirement of the Code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Requirement {
    /// Its number in the Code, e.g. `5.6`, or a range of numbers, e.g. `5.14-5.15`.
    pub code: &'static str,
    /// What it requires, paraphrased.
    pub text: &'static str,
    /// What the service holds that evidences it.
    pub evidence: &'static [Evidence],
}

/// One section of the Code (section 6 is given as its two parts, Stage 1 and Stage 2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Section {
    /// The section's number in the Code.
    pub number: u8,
    /// Its title.
    pub title: &'static str,
    /// Its requirements, in the Code's order.
    pub requirements: &'static [Requirement],
}

use Evidence as E;

const fn req(code: &'static str, text: &'static str, evidence: &'static [Evidence]) -> Requirement {
    Requirement {
        code,
        text,
        evidence,
    }
}

/// The Code's requirements, section by section.
pub const SECTIONS: &[Section] = &[
    Section {
        number: 1,
        title: "Definitions",
        requirements: &[
            req("1.2", "A complaint is an expression of dissatisfaction, however made, about the standard of service, actions or lack of action by the landlord, its staff or those acting on its behalf, affecting a resident or a group of residents.", &[E::Channels]),
            req("1.3", "A resident need not use the word 'complaint' for it to be treated as one; whenever a resident expresses dissatisfaction they must be given the choice to complain, and a complaint made through a third party or representative is handled under the complaints policy.", &[E::Channels, E::Representatives]),
            req("1.4", "Landlords recognise the difference between a service request (a request to provide or improve a service) and a complaint.", &[E::ServiceRequests]),
            req("1.5", "A complaint is raised when the resident is dissatisfied with the response to a service request, even while the request is still being handled, and work on the request does not stop because the resident complains.", &[E::ServiceRequests]),
            req("1.6", "Dissatisfaction expressed in a survey is not a complaint, but the landlord makes clear how residents can complain.", &[E::Channels]),
        ],
    },
    Section {
        number: 2,
        title: "Exclusions",
        requirements: &[
            req("2.1", "A complaint is accepted unless there is a valid reason not to; a decision not to accept one is evidenced and each complaint is considered on its merits.", &[E::Refusals]),
            req("2.2", "The policy sets out fair and reasonable circumstances in which a matter is not considered or escalated (for example an issue over twelve months old, legal proceedings started, or a matter already considered).", &[E::Refusals]),
            req("2.3", "Complaints made within twelve months of the issue, or of the resident becoming aware of it, are accepted unless excluded on other grounds, and discretion is considered for older ones where there is good reason.", &[E::Refusals]),
            req("2.4", "A refusal is explained to the resident, with the reasons the matter is not suitable for the complaints process and their right to take that decision to the Ombudsman.", &[E::Refusals]),
            req("2.5", "No blanket exclusions: the individual circumstances of each complaint are considered.", &[E::Refusals]),
        ],
    },
    Section {
        number: 3,
        title: "Accessibility and awareness",
        requirements: &[
            req("3.1", "It is easy to complain through different channels, and the landlord considers its duties under the Equality Act 2010 and anticipates the needs and reasonable adjustments of residents who may need them.", &[E::Channels, E::Adjustments]),
            req("3.2", "Residents can complain in any way and to any member of staff, and all staff know how to respond to a complaint.", &[E::Channels]),
            req("3.4", "The complaints policy is available in a clear and accessible format and published on the landlord's website, setting out the two stages, what happens at each and the timescales.", &[E::Stages]),
            req("3.6", "Residents may have a representative deal with their complaint and be represented or accompanied at any meeting.", &[E::Representatives]),
            req("3.7", "Residents are told of their right to go to the Ombudsman and how to engage with the Ombudsman about their complaint.", &[]),
        ],
    },
    Section {
        number: 4,
        title: "Complaint handling staff",
        requirements: &[
            req("4.1", "A person or team is responsible for complaint handling, including liaison with the Ombudsman and making sure complaints are reported to the governing body.", &[E::QuarterlyReports]),
            req("4.2", "Complaint handlers have appropriate complaint handling skills and no conflicts of interest.", &[E::IndependentReview]),
            req("4.3", "Complaint handlers are trained, act sensitively and fairly, and have the authority and autonomy to resolve complaints promptly and fairly.", &[]),
        ],
    },
    Section {
        number: 5,
        title: "The complaint handling process",
        requirements: &[
            req("5.1", "A single policy deals with the complaints the Code covers, and residents are treated fairly.", &[E::Stages]),
            req("5.2", "No extra named stages (such as 'stage 0' or an 'informal complaint').", &[E::Stages, E::FirstContact]),
            req("5.3", "A process with more than two stages is not acceptable.", &[E::Stages]),
            req("5.6", "When a complaint is logged at Stage 1 or escalated to Stage 2 the landlord sets out its understanding of the complaint and the outcomes the resident seeks (the complaint definition), asking the resident where anything is unclear, and is clear which aspects it is and is not responsible for.", &[E::Definition(1), E::Definition(2)]),
            req("5.8", "At each stage the handler deals with the complaint on its merits, acts independently with an open mind, gives the resident a fair chance to set out their position, addresses any conflict of interest and considers all relevant information.", &[E::IndependentReview]),
            req("5.9", "Where a response will fall outside the Code's timescales, the landlord agrees with the resident suitable intervals for keeping them informed.", &[E::Extensions(1), E::Extensions(2)]),
            req("5.10", "Reasonable adjustments are made where appropriate under the Equality Act 2010; adjustments agreed and disabilities disclosed are recorded and the adjustments kept under active review.", &[E::Adjustments]),
            req("5.11", "A complaint is not refused escalation through every stage of the procedure without a valid reason, which is explained to the resident.", &[E::Refusals]),
            req("5.12", "A full record is kept of every complaint: the complaint and the date received, all correspondence with the resident and others, and relevant supporting documents.", &[]),
            req("5.13", "A complaint can be remedied at any stage of the process, without escalation.", &[E::FirstContact, E::Remedies]),
            req("5.14-5.15", "Policies and procedures manage unacceptable behaviour by residents or their representatives when pursuing a complaint; any restriction on contact is proportionate and has regard to the Equality Act 2010.", &[]),
        ],
    },
    Section {
        number: 6,
        title: "Complaint stages: Stage 1",
        requirements: &[
            req("6.1", "Processes decide which complaints can be resolved as early as possible and which need further investigation.", &[E::FirstContact]),
            req("6.2", "Complaints are acknowledged, defined and logged at Stage 1 within five working days of being received.", &[E::Acknowledged(1)]),
            req("6.3", "A full Stage 1 response is issued within 10 working days of the complaint being acknowledged.", &[E::Responded(1)]),
            req("6.4-6.5", "An extension is decided on by the complexity of the complaint, is no more than 10 working days without good reason, is explained to the resident, and comes with the Ombudsman's contact details.", &[E::Extensions(1)]),
            req("6.6", "The response is issued when the answer is known, not when outstanding actions are done; those actions are tracked and completed promptly, with updates to the resident.", &[E::TrackedActions]),
            req("6.7", "The response addresses every point of the complaint definition and gives clear reasons for each decision, with reference to policy, law and good practice where appropriate.", &[E::PointsDecided(1)]),
            req("6.9", "The Stage 1 response confirms in writing, in clear and plain language: the stage, the complaint definition, the decision and its reasons, any remedy, any outstanding actions and how to escalate to Stage 2.", &[E::PointsDecided(1), E::Remedies]),
        ],
    },
    Section {
        number: 6,
        title: "Complaint stages: Stage 2",
        requirements: &[
            req("6.10", "A complaint not resolved to the resident's satisfaction at Stage 1 is progressed to Stage 2, the landlord's final response.", &[E::Refusals]),
            req("6.11", "Requests for Stage 2 are acknowledged, defined and logged within five working days of the escalation request being received.", &[E::Acknowledged(2), E::Definition(2)]),
            req("6.12", "Residents are not required to explain why they ask for Stage 2; the landlord makes reasonable efforts to understand why they remain unhappy.", &[]),
            req("6.13", "The person considering the complaint at Stage 2 is not the one who considered it at Stage 1.", &[E::IndependentReview]),
            req("6.14", "The Stage 2 response is issued within 20 working days of the request being acknowledged.", &[E::Responded(2)]),
            req("6.15-6.16", "An extension is no more than 20 working days without good reason, is explained to the resident, and comes with the Ombudsman's contact details.", &[E::Extensions(2)]),
            req("6.17", "The response is issued when the answer is known, not when outstanding actions are done; those actions are tracked and completed promptly, with updates to the resident.", &[E::TrackedActions]),
            req("6.18", "The response addresses every point of the complaint definition and gives clear reasons for each decision.", &[E::PointsDecided(2)]),
            req("6.19", "The Stage 2 response confirms in writing the stage, the complaint definition, the decision and its reasons, any remedy, any outstanding actions and how to escalate to the Ombudsman.", &[E::PointsDecided(2), E::Remedies]),
        ],
    },
    Section {
        number: 7,
        title: "Putting things right",
        requirements: &[
            req("7.1", "Where something has gone wrong the landlord acknowledges it and sets out what it has done, or will do, to put things right (an apology, an explanation, action, a financial remedy, a change of policy).", &[E::Remedies]),
            req("7.2", "Any remedy reflects the impact of the fault on the resident.", &[E::Remedies]),
            req("7.3", "A remedy says clearly what will happen and by when, agreed with the resident where appropriate, and is followed through to completion.", &[E::TrackedActions, E::Remedies]),
            req("7.4", "Remedies take account of the Ombudsman's guidance on remedies.", &[]),
        ],
    },
    Section {
        number: 8,
        title: "Self-assessment, reporting and compliance",
        requirements: &[
            req("8.1", "An annual complaints performance and service improvement report includes this self-assessment, an analysis of complaint handling performance (with the complaints refused), any finding of non-compliance by the Ombudsman, the service improvements made from learning, and the Ombudsman's reports about the landlord.", &[E::AnnualReport, E::Refusals, E::OmbudsmanOrders, E::Learning]),
            req("8.2", "The annual report goes to the governing body and is published on the landlord's website, with the governing body's response beside it.", &[E::AnnualReport]),
            req("8.3", "A self-assessment is also carried out after a significant restructure, merger or change in procedures.", &[]),
        ],
    },
    Section {
        number: 9,
        title: "Scrutiny and oversight: continuous learning and improvement",
        requirements: &[
            req("9.1", "The landlord looks beyond the individual complaint and considers what service improvements can be made from what it learned.", &[E::Learning]),
            req("9.4", "Wider learning and improvements from complaints are reported back to residents, staff and relevant committees.", &[E::Learning, E::AnnualReport]),
            req("9.5", "A suitably senior lead is accountable for complaint handling and assesses themes and trends for systemic issues, serious risks and policies needing revision.", &[E::Categories]),
            req("9.6", "A member of the governing body is appointed as the Member Responsible for Complaints.", &[E::QuarterlyReports]),
            req("9.7", "The Member Responsible for Complaints makes sure the governing body receives regular information giving insight into complaint handling performance, with access to the information and staff needed.", &[E::QuarterlyReports]),
            req("9.8", "The Member Responsible for Complaints and the governing body receive at least: regular updates on the volume, categories and outcomes of complaints and on performance; reviews of issues and trends; updates on the Ombudsman's investigations and progress with its orders; and the annual report.", &[E::QuarterlyReports, E::Categories, E::OmbudsmanOrders, E::AnnualReport]),
        ],
    },
];

/// The requirement with this number in the Code, if [`SECTIONS`] lists it.
pub fn requirement(code: &str) -> Option<&'static Requirement> {
    SECTIONS
        .iter()
        .flat_map(|s| s.requirements)
        .find(|r| r.code == code)
}

/// One piece of evidence as shown: a label, what it says, and where it counts cases, how many
/// met the requirement of how many, with a few example cases.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EvidenceLine {
    /// What it is, e.g. "Stage 1 acknowledged within 5 working days".
    pub label: String,
    /// The figure or setting as text, e.g. "41 of 43" or "phone 3, web 12".
    pub value: String,
    /// Cases that met the requirement, where counted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub met: Option<u32>,
    /// Of how many cases.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub of: Option<u32>,
    /// Up to three example cases (references), staff open them at `/staff/cases/{reference}`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub examples: Vec<String>,
    /// A staff page or report that holds more, e.g. `/staff/reports/annual?year=2025&format=html`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub link: Option<String>,
}

/// A requirement as assessed for a year.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AssessedRequirement {
    /// Its number in the Code.
    pub code: String,
    /// What it requires.
    pub text: String,
    /// What the service holds for the year.
    pub evidence: Vec<EvidenceLine>,
    /// The landlord's commentary on how it complies (null until written).
    pub commentary: Option<String>,
    /// The landlord's action plan where it does not fully comply (null until written).
    pub action_plan: Option<String>,
}

/// A section of the Code as assessed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AssessedSection {
    /// The section's number in the Code.
    pub number: u8,
    /// Its title.
    pub title: String,
    /// Its requirements.
    pub requirements: Vec<AssessedRequirement>,
}

/// The self-assessment of a financial year (its JSON is the route's answer).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SelfAssessment {
    /// The financial year, named by the calendar year it starts in (April `year`).
    pub year: i32,
    /// First month, `YYYY-04`.
    pub from: String,
    /// Last month, `YYYY+1-03`.
    pub to: String,
    /// The Code assessed against.
    pub code: String,
    /// Each section with its requirements.
    pub sections: Vec<AssessedSection>,
}

/// The name of the Code the assessment is against.
pub const CODE_NAME: &str = "Housing Ombudsman Complaint Handling Code (2024)";

fn with_commentary(
    code: &str,
    text: &str,
    evidence: Vec<EvidenceLine>,
    record: &AnnualRecord,
) -> AssessedRequirement {
    let c = record.self_assessment.get(code);
    AssessedRequirement {
        code: code.to_string(),
        text: text.to_string(),
        evidence,
        commentary: c.and_then(|c| c.commentary.clone()),
        action_plan: c.and_then(|c| c.action_plan.clone()),
    }
}
