//! The evidence of each requirement for a financial year, counted from the year's cases (those
//! of the housing procedure, as every report figure), its figures and the settings.

use chrono::{DateTime, NaiveDate, Utc};

use super::{
    with_commentary, AssessedSection, Evidence, EvidenceLine, SelfAssessment, CODE_NAME, SECTIONS,
};
use crate::annual_record::AnnualRecord;
use crate::case::{Case, Rules};
use crate::casefile::ActionSource;
use crate::london::london_date;
use crate::policy;
use crate::report::{self, Figures};

/// How many example cases a line names at most.
const EXAMPLES: usize = 3;

/// What the self-assessment of a year is made from.
#[derive(Debug, Clone, Copy)]
pub struct YearInputs<'a> {
    /// The financial year (April `year` to March `year + 1`).
    pub year: i32,
    /// The year's cases (every case with an event in the year or a stage open in it; others
    /// count nothing).
    pub cases: &'a [Case],
    /// The year's figures ([`crate::report::AnnualReport::totals`]).
    pub totals: &'a Figures,
    /// Procedures and calendar.
    pub rules: &'a Rules,
    /// The configured complaint categories.
    pub categories: &'a [String],
    /// The landlord's commentary for the year.
    pub record: &'a AnnualRecord,
}

struct Year<'a> {
    inputs: YearInputs<'a>,
    first: NaiveDate,
    last: NaiveDate,
}

/// A count of cases meeting a test, with the first few that did.
#[derive(Default)]
struct Tally {
    met: u32,
    of: u32,
    examples: Vec<String>,
}

impl Tally {
    fn count(&mut self, reference: &str, met: bool) {
        self.of += 1;
        if met {
            self.met += 1;
            if self.examples.len() < EXAMPLES && !self.examples.iter().any(|e| e == reference) {
                self.examples.push(reference.to_string());
            }
        }
    }

    fn line(self, label: impl Into<String>) -> EvidenceLine {
        EvidenceLine {
            label: label.into(),
            value: format!("{} of {}", self.met, self.of),
            met: Some(self.met),
            of: Some(self.of),
            examples: self.examples,
            link: None,
        }
    }
}

fn text(label: impl Into<String>, value: impl Into<String>) -> EvidenceLine {
    EvidenceLine {
        label: label.into(),
        value: value.into(),
        met: None,
        of: None,
        examples: Vec::new(),
        link: None,
    }
}

fn counts(map: &std::collections::BTreeMap<String, u32>) -> String {
    if map.is_empty() {
        return "none".into();
    }
    map.iter()
        .map(|(k, v)| format!("{} {v}", k.replace('_', " ")))
        .collect::<Vec<_>>()
        .join(", ")
}

impl Year<'_> {
    fn inside(&self, at: DateTime<Utc>) -> bool {
        let d = london_date(at);
        self.first <= d && d <= self.last
    }

    fn housing(&self) -> impl Iterator<Item = &Case> {
        self.inputs
            .cases
            .iter()
            .filter(|c| c.procedure == policy::HOUSING)
    }

    fn received(&self) -> impl Iterator<Item = &Case> {
        self.housing().filter(|c| self.inside(c.received_at))
    }

    fn stage_policy(&self, stage: u8) -> Option<&policy::StagePolicy> {
        self.inputs
            .rules
            .procedures
            .get(policy::HOUSING)
            .and_then(|p| p.stage(stage))
    }

    fn lines(&self, e: Evidence) -> Vec<EvidenceLine> {
        let t = self.inputs.totals;
        let year = self.inputs.year;
        match e {
            Evidence::Channels => vec![text(
                "Stage 1 complaints received by channel",
                counts(&t.by_channel),
            )],
            Evidence::Representatives => {
                let mut tally = Tally::default();
                for c in self.received() {
                    tally.count(&c.reference, c.complaint.representative.is_some());
                }
                vec![tally.line("Complaints received with a representative named")]
            }
            Evidence::Adjustments => {
                let mut tally = Tally::default();
                for c in self.received() {
                    tally.count(&c.reference, c.needs.is_some());
                }
                vec![tally.line("Complaints received with needs or reasonable adjustments recorded")]
            }
            Evidence::ServiceRequests => vec![
                text(
                    "Service requests logged",
                    t.service_requests_logged.to_string(),
                ),
                text(
                    "Complaints received that escalated a service request",
                    t.service_requests_escalated.to_string(),
                ),
            ],
            Evidence::Refusals => {
                let mut tally = Tally::default();
                for c in self.housing() {
                    if let Some(r) = c.refusal.as_ref().filter(|r| self.inside(r.at)) {
                        tally.count(&c.reference, !r.explanation.trim().is_empty());
                    }
                }
                vec![
                    text(
                        "Refusals by exclusion ground",
                        format!(
                            "over 12 months {}, legal proceedings {}, already considered {}",
                            t.refused.over_12_months,
                            t.refused.legal_proceedings,
                            t.refused.already_considered
                        ),
                    ),
                    tally.line("Refusals explained to the resident"),
                ]
            }
            Evidence::Stages => {
                let stages = self
                    .inputs
                    .rules
                    .procedures
                    .get(policy::HOUSING)
                    .map(|p| p.stages.len())
                    .unwrap_or(0);
                vec![text(
                    "Stages of the housing complaints procedure",
                    stages.to_string(),
                )]
            }
            Evidence::Definition(stage) => {
                let mut points = Tally::default();
                let mut responsibility = Tally::default();
                for c in self.housing() {
                    let acks = c
                        .stages
                        .iter()
                        .filter(|s| s.number == stage)
                        .filter_map(|s| s.acknowledgement.as_ref())
                        .filter(|a| self.inside(a.at));
                    for a in acks {
                        points.count(&c.reference, !a.complaint_points.is_empty());
                        responsibility.count(
                            &c.reference,
                            a.responsible_for.is_some() || a.not_responsible_for.is_some(),
                        );
                    }
                }
                vec![
                    points.line(format!(
                        "Stage {stage} acknowledgements that defined the points of complaint"
                    )),
                    responsibility.line(format!(
                        "Stage {stage} acknowledgements that recorded what the landlord is and is not responsible for"
                    )),
                ]
            }
            Evidence::Acknowledged(stage) => {
                let f = if stage == 1 { &t.stage1 } else { &t.stage2 };
                let days = self
                    .stage_policy(stage)
                    .map(|p| p.acknowledgement.working_days.to_string())
                    .unwrap_or_else(|| "?".into());
                vec![EvidenceLine {
                    examples: self.examples_of(stage, |s| s.acknowledgement.as_ref().map(|a| a.at)),
                    ..Tally {
                        met: f.acknowledged_within_timescale,
                        of: f.acknowledged,
                        examples: Vec::new(),
                    }
                    .line(format!(
                        "Stage {stage} acknowledged within {days} working days (the setting)"
                    ))
                }]
            }
            Evidence::Responded(stage) => {
                let f = if stage == 1 { &t.stage1 } else { &t.stage2 };
                let days = self
                    .stage_policy(stage)
                    .map(|p| {
                        p.response_code
                            .unwrap_or(p.response)
                            .working_days
                            .to_string()
                    })
                    .unwrap_or_else(|| "?".into());
                let mut lines = vec![EvidenceLine {
                    examples: self.examples_of(stage, |s| s.response.as_ref().map(|r| r.at)),
                    ..Tally {
                        met: f.responded_within_code,
                        of: f.responded,
                        examples: Vec::new(),
                    }
                    .line(format!(
                        "Stage {stage} responded to within the Code's {days} working days"
                    ))
                }];
                if let Some(avg) = f.average_working_days_to_respond {
                    lines.push(text("Average working days to respond", format!("{avg}")));
                }
                lines
            }
            Evidence::Extensions(stage) => {
                let f = if stage == 1 { &t.stage1 } else { &t.stage2 };
                let max = self
                    .stage_policy(stage)
                    .map(|p| p.max_extension_working_days.to_string())
                    .unwrap_or_else(|| "?".into());
                vec![
                    text(
                        format!("Stage {stage} extensions agreed"),
                        f.extensions.to_string(),
                    ),
                    text(
                        format!(
                            "Stage {stage} extensions may add at most (working days, the setting)"
                        ),
                        max,
                    ),
                ]
            }
            Evidence::PointsDecided(stage) => {
                let mut tally = Tally::default();
                for c in self.housing() {
                    for s in c.stages.iter().filter(|s| s.number == stage) {
                        let Some(r) = s.response.as_ref().filter(|r| self.inside(r.at)) else {
                            continue;
                        };
                        let points = s
                            .acknowledgement
                            .as_ref()
                            .map(|a| a.complaint_points.as_slice())
                            .unwrap_or_default();
                        let mut e = crate::validation::ValidationErrors::new();
                        crate::decisions::check_every_point_decided(points, &r.response, &mut e);
                        tally.count(&c.reference, !points.is_empty() && e.is_empty());
                    }
                }
                vec![tally.line(format!("Stage {stage} responses that decided every point"))]
            }
            Evidence::TrackedActions => {
                let mut tally = Tally::default();
                for c in self.housing() {
                    let promised = c.actions.iter().filter(|a| {
                        matches!(a.source, ActionSource::Response { .. })
                            && self.first <= a.due
                            && a.due <= self.last
                    });
                    for a in promised {
                        let on_time = a
                            .completed
                            .as_ref()
                            .is_some_and(|d| london_date(d.at) <= a.due);
                        tally.count(&c.reference, on_time);
                    }
                }
                vec![tally
                    .line("Actions promised in responses, due in the year and done by their date")]
            }
            Evidence::FirstContact => vec![text(
                "Resolved at first contact",
                t.first_contact_resolutions.to_string(),
            )],
            Evidence::IndependentReview => {
                let mut tally = Tally::default();
                for c in self.housing() {
                    let handler = |n: u8| {
                        c.stages
                            .iter()
                            .find(|s| s.number == n)
                            .and_then(|s| s.acknowledgement.as_ref())
                    };
                    if let (Some(one), Some(two)) = (handler(1), handler(2)) {
                        if self.inside(two.at) {
                            tally.count(
                                &c.reference,
                                !one.handler.eq_ignore_ascii_case(&two.handler),
                            );
                        }
                    }
                }
                vec![tally.line("Stage 2 reviews by someone other than the Stage 1 handler")]
            }
            Evidence::Remedies => {
                let mut remedy = Tally::default();
                let mut paid = Tally::default();
                for c in self.housing() {
                    for s in &c.stages {
                        if let Some(r) = s.response.as_ref().filter(|r| self.inside(r.at)) {
                            if r.response.outcome != crate::event::Outcome::NotUpheld {
                                remedy.count(&c.reference, r.response.remedy.is_some());
                            }
                        }
                    }
                    for o in c.compensation.iter().filter(|o| self.inside(o.offered_at)) {
                        if o.answer.is_some_and(|(_, accepted)| accepted) {
                            paid.count(&c.reference, o.paid.is_some());
                        }
                    }
                }
                vec![
                    remedy.line(
                        "Responses upholding a complaint (wholly or partly) that set out a remedy",
                    ),
                    paid.line("Compensation offered in the year and accepted, paid"),
                ]
            }
            Evidence::Categories => vec![
                text(
                    "Categories (the setting)",
                    self.inputs.categories.join(", "),
                ),
                text(
                    "Stage 1 complaints received by category",
                    counts(&t.by_category),
                ),
            ],
            Evidence::AnnualReport => {
                let response = self.inputs.record.governing_body_response.is_some();
                vec![
                    EvidenceLine {
                        link: Some(format!("/staff/reports/annual?year={year}&format=html")),
                        ..text(
                            "Annual complaints performance and service improvement report",
                            format!("{year}-{:02}", (year + 1).rem_euclid(100)),
                        )
                    },
                    text(
                        "Governing body's response recorded",
                        if response { "yes" } else { "not yet" },
                    ),
                ]
            }
            Evidence::OmbudsmanOrders => {
                let o = report::ombudsman_of(self.inputs.cases, self.first, self.last);
                vec![
                    text(
                        "Ombudsman determinations",
                        o.determinations.len().to_string(),
                    ),
                    EvidenceLine {
                        examples: o
                            .orders
                            .iter()
                            .map(|x| x.reference.clone())
                            .take(EXAMPLES)
                            .collect(),
                        ..Tally {
                            met: o.orders_complied,
                            of: o.orders.len() as u32,
                            examples: Vec::new(),
                        }
                        .line("Ombudsman orders complied with")
                    },
                ]
            }
            Evidence::Learning => {
                let mut tally = Tally::default();
                for c in self.housing() {
                    for s in &c.stages {
                        if let Some(r) = s.response.as_ref().filter(|r| self.inside(r.at)) {
                            tally.count(&c.reference, r.response.learning.is_some());
                        }
                    }
                }
                vec![tally.line("Responses that recorded what was learned")]
            }
            Evidence::QuarterlyReports => (1..=4)
                .map(|q| EvidenceLine {
                    link: Some(format!("/staff/reports/quarterly?year={year}&quarter={q}")),
                    ..text(
                        format!("Quarter {q} summary"),
                        "for the Member Responsible for Complaints and the governing body",
                    )
                })
                .collect(),
        }
    }

    /// Up to three cases with the stage's dated step (acknowledgement, response) in the year.
    fn examples_of(
        &self,
        stage: u8,
        at: impl Fn(&crate::case::StageRecord) -> Option<DateTime<Utc>>,
    ) -> Vec<String> {
        self.housing()
            .filter(|c| {
                c.stages
                    .iter()
                    .any(|s| s.number == stage && at(s).is_some_and(|t| self.inside(t)))
            })
            .map(|c| c.reference.clone())
            .take(EXAMPLES)
            .collect()
    }
}

/// The self-assessment of the financial year starting in April `inputs.year`: every
/// requirement of [`SECTIONS`] with its evidence for the year and the landlord's commentary.
pub fn assess(inputs: YearInputs<'_>) -> SelfAssessment {
    let months = report::months_of_financial_year(inputs.year);
    let y = Year {
        inputs,
        first: months[0].first_day(),
        last: months[11].last_day(),
    };
    let record: &AnnualRecord = inputs.record;
    SelfAssessment {
        year: inputs.year,
        from: months[0].to_string(),
        to: months[11].to_string(),
        code: CODE_NAME.to_string(),
        sections: SECTIONS
            .iter()
            .map(|s| AssessedSection {
                number: s.number,
                title: s.title.to_string(),
                requirements: s
                    .requirements
                    .iter()
                    .map(|r| {
                        let evidence = r.evidence.iter().flat_map(|e| y.lines(*e)).collect();
                        with_commentary(r.code, r.text, evidence, record)
                    })
                    .collect(),
            })
            .collect(),
    }
}
