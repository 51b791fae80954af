//! The names figures are shown under in spreadsheets and printed reports, keyed by their JSON
//! names so every output reads the same figures the same way.

/// The figures of one stage: JSON key and label.
pub const STAGE_FIGURES: [(&str, &str); 11] = [
    ("received", "Received"),
    ("acknowledged", "Acknowledged"),
    (
        "acknowledged_within_timescale",
        "Acknowledged within timescale",
    ),
    ("responded", "Responded"),
    (
        "responded_within_p3_standard",
        "Responded within P3's standard",
    ),
    (
        "responded_within_code",
        "Responded within the Code's timescale",
    ),
    ("extensions", "Extensions agreed"),
    ("open_at_month_end", "Open at the period's end"),
    ("open_overdue", "Open and overdue at the period's end"),
    (
        "average_working_days_to_respond",
        "Average working days to respond",
    ),
    ("recorded_late", "Recorded more than one working day late"),
];

/// Figures outside the stages: a JSON path (`refused.legal_proceedings`) and a label.
pub const OTHER_FIGURES: [(&str, &str); 13] = [
    ("first_contact_resolutions", "First contact resolutions"),
    ("service_requests_logged", "Service requests logged"),
    (
        "service_requests_escalated",
        "Service requests escalated to complaints",
    ),
    ("stage2_requests_late", "Stage 2 requests after the window"),
    ("withdrawn", "Withdrawals"),
    ("refused.over_12_months", "Refused: over 12 months"),
    ("refused.legal_proceedings", "Refused: legal proceedings"),
    ("refused.already_considered", "Refused: already considered"),
    ("outcomes.upheld", "Outcomes: upheld"),
    ("outcomes.partly_upheld", "Outcomes: partly upheld"),
    ("outcomes.not_upheld", "Outcomes: not upheld"),
    ("ombudsman_referrals", "Housing Ombudsman referrals"),
    (
        "ombudsman_determinations",
        "Housing Ombudsman determinations",
    ),
];

/// The Tenant Satisfaction Measures: JSON key and label.
pub const TSM_FIGURES: [(&str, &str); 4] = [
    (
        "ch01_stage1_per_1000_homes",
        "CH01(1) Stage 1 complaints per 1,000 homes",
    ),
    (
        "ch01_stage2_per_1000_homes",
        "CH01(2) Stage 2 complaints per 1,000 homes",
    ),
    (
        "ch02_stage1_within_code_pct",
        "CH02(1) Stage 1 responded within the Code (%)",
    ),
    (
        "ch02_stage2_within_code_pct",
        "CH02(2) Stage 2 responded within the Code (%)",
    ),
];

/// The value at a dotted path of a JSON object (`refused.legal_proceedings`).
pub fn at<'a>(v: &'a serde_json::Value, path: &str) -> &'a serde_json::Value {
    path.split('.').fold(v, |v, k| &v[k])
}

/// A snake_case name shown as words: `damp_and_mould` → `Damp and mould`.
pub fn words(name: &str) -> String {
    let spaced = name.replace('_', " ");
    let mut chars = spaced.chars();
    match chars.next() {
        Some(c) => c.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}
