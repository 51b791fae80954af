//! Procedures as data: each stage's timescales, the event they count from, extension limits and
//! the window to ask for the next stage. The housing procedure's defaults are built in; any of
//! it can be replaced from a TOML file without a new release.

use serde::{Deserialize, Serialize};

/// Which event a timescale counts from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Anchor {
    /// Stage 1: the complaint's receipt date; later stages: the date the stage was requested.
    StageStart,
    /// The stage's actual acknowledgement date, or its acknowledgement due date until then.
    Acknowledgement,
}

/// A time limit in working days counted from an anchor event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Timescale {
    /// How many working days after the anchor date the deadline falls.
    pub working_days: u32,
    /// The event the days count from.
    pub from: Anchor,
}

/// One stage of a procedure.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StagePolicy {
    /// Name shown to residents and staff, e.g. "Stage 1".
    pub name: String,
    /// Time to acknowledge, define and log the complaint.
    pub acknowledgement: Timescale,
    /// The landlord's own promise for the full response; this deadline drives the alerts.
    pub response: Timescale,
    /// The Complaint Handling Code's limit where it differs from the landlord's promise (reports use it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response_code: Option<Timescale>,
    /// Most working days all extensions of this stage may add together.
    pub max_extension_working_days: u32,
    /// Working days the resident is asked to request the next stage in, counted from this
    /// stage's decision; absent on the last stage.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_stage_window_working_days: Option<u32>,
}

/// A complaints procedure: an ordered list of stages.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Policy {
    /// Stable identifier stored on each case, e.g. `housing`.
    pub id: String,
    /// Human name of the procedure.
    pub name: String,
    /// Stages in order; Stage 1 first.
    pub stages: Vec<StagePolicy>,
}

/// A policy file that cannot be used, naming the field at fault.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct PolicyError {
    /// Dotted path of the field at fault, e.g. `stages[1].response.working_days`.
    pub field: String,
    /// What is wrong with it.
    pub message: String,
}

/// Identifier of the built-in housing procedure.
pub const HOUSING: &str = "housing";
/// Identifier of the built-in support-services procedure.
pub const SUPPORT_SERVICES: &str = "support_services";

impl Policy {
    /// P3 Housing's two-stage housing procedure with the defaults of its published policy and the Code.
    pub fn housing() -> Policy {
        Policy {
            id: HOUSING.into(),
            name: "Housing complaints procedure".into(),
            stages: vec![
                StagePolicy {
                    name: "Stage 1".into(),
                    acknowledgement: Timescale {
                        working_days: 5,
                        from: Anchor::StageStart,
                    },
                    response: Timescale {
                        working_days: 10,
                        from: Anchor::StageStart,
                    },
                    response_code: Some(Timescale {
                        working_days: 10,
                        from: Anchor::Acknowledgement,
                    }),
                    max_extension_working_days: 10,
                    next_stage_window_working_days: Some(10),
                },
                StagePolicy {
                    name: "Stage 2".into(),
                    acknowledgement: Timescale {
                        working_days: 5,
                        from: Anchor::StageStart,
                    },
                    response: Timescale {
                        working_days: 20,
                        from: Anchor::Acknowledgement,
                    },
                    response_code: None,
                    max_extension_working_days: 20,
                    next_stage_window_working_days: None,
                },
            ],
        }
    }

    /// The separate three-stage procedure for complaints about a support service. Its published
    /// timescales are not in the seed text, so these defaults mirror the housing ones and are
    /// meant to be overridden from configuration.
    pub fn support_services() -> Policy {
        let stage = |name: &str, response_days: u32, window: Option<u32>| StagePolicy {
            name: name.into(),
            acknowledgement: Timescale {
                working_days: 5,
                from: Anchor::StageStart,
            },
            response: Timescale {
                working_days: response_days,
                from: Anchor::StageStart,
            },
            response_code: None,
            max_extension_working_days: response_days,
            next_stage_window_working_days: window,
        };
        Policy {
            id: SUPPORT_SERVICES.into(),
            name: "Support services complaints procedure".into(),
            stages: vec![
                stage("Stage 1", 10, Some(10)),
                stage("Stage 2", 20, Some(10)),
                stage("Stage 3", 20, None),
            ],
        }
    }

    /// Parses and validates a policy from TOML; the error names the field at fault.
    pub fn from_toml(text: &str) -> Result<Policy, PolicyError> {
        let de = toml::Deserializer::new(text);
        let policy: Policy = serde_path_to_error::deserialize(de).map_err(|e| {
            let field = e.path().to_string();
            let inner = e.into_inner();
            // Some syntax errors carry no message of their own (`a=`): the full error then
            // says where the file stops being TOML.
            let message = match inner.message().trim() {
                "" => inner.to_string().trim().to_string(),
                m => m.to_string(),
            };
            PolicyError {
                field: if field == "." || field.is_empty() {
                    "(file)".into()
                } else {
                    field
                },
                message: if message.is_empty() {
                    "is not valid TOML".into()
                } else {
                    message
                },
            }
        })?;
        policy.validate()?;
        Ok(policy)
    }

    /// Checks the rules a usable procedure must keep.
    pub fn validate(&self) -> Result<(), PolicyError> {
        let err = |field: String, message: &str| PolicyError {
            field,
            message: message.into(),
        };
        if self.id.trim().is_empty() {
            return Err(err("id".into(), "must not be empty"));
        }
        if self.stages.is_empty() {
            return Err(err("stages".into(), "a procedure needs at least one stage"));
        }
        if self.stages.len() > 9 {
            return Err(err("stages".into(), "a procedure has at most 9 stages"));
        }
        let last = self.stages.len() - 1;
        for (i, s) in self.stages.iter().enumerate() {
            let at = |f: &str| format!("stages[{i}].{f}");
            if s.acknowledgement.working_days == 0 {
                return Err(err(
                    at("acknowledgement.working_days"),
                    "must be at least 1",
                ));
            }
            if s.acknowledgement.from != Anchor::StageStart {
                return Err(err(
                    at("acknowledgement.from"),
                    "an acknowledgement counts from the stage start",
                ));
            }
            if s.response.working_days == 0 {
                return Err(err(at("response.working_days"), "must be at least 1"));
            }
            if let Some(code) = s.response_code {
                if code.working_days == 0 {
                    return Err(err(at("response_code.working_days"), "must be at least 1"));
                }
            }
            // Every timescale, the Code's and the next stage's window included: a deadline
            // counted billions of working days ahead would never finish being computed.
            for (name, days) in [
                (
                    "acknowledgement.working_days",
                    Some(s.acknowledgement.working_days),
                ),
                ("response.working_days", Some(s.response.working_days)),
                (
                    "response_code.working_days",
                    s.response_code.map(|c| c.working_days),
                ),
                (
                    "max_extension_working_days",
                    Some(s.max_extension_working_days),
                ),
                (
                    "next_stage_window_working_days",
                    s.next_stage_window_working_days,
                ),
            ] {
                if days.is_some_and(|d| d > 260) {
                    return Err(err(at(name), "must be at most 260 working days (a year)"));
                }
            }
            match (i == last, s.next_stage_window_working_days) {
                (true, Some(_)) => {
                    return Err(err(
                        at("next_stage_window_working_days"),
                        "the last stage has no next stage",
                    ))
                }
                (false, None) => {
                    return Err(err(
                        at("next_stage_window_working_days"),
                        "required on every stage but the last",
                    ))
                }
                (false, Some(0)) => {
                    return Err(err(
                        at("next_stage_window_working_days"),
                        "must be at least 1",
                    ))
                }
                _ => {}
            }
        }
        Ok(())
    }

    /// The policy of a stage by its number (1-based).
    pub fn stage(&self, number: u8) -> Option<&StagePolicy> {
        self.stages.get(usize::from(number).checked_sub(1)?)
    }

    /// Number of the final stage.
    pub fn last_stage(&self) -> u8 {
        self.stages.len() as u8
    }
}

/// Every procedure the landlord runs, by identifier.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Procedures {
    policies: Vec<Policy>,
}

impl Default for Procedures {
    fn default() -> Self {
        Procedures {
            policies: vec![Policy::housing(), Policy::support_services()],
        }
    }
}

impl Procedures {
    /// A set of procedures; a later policy with the same id replaces an earlier one.
    pub fn new(policies: Vec<Policy>) -> Procedures {
        let mut p = Procedures {
            policies: Vec::new(),
        };
        for policy in policies {
            p.replace(policy);
        }
        p
    }

    /// Adds a policy or replaces the one with the same id (a configured override).
    pub fn replace(&mut self, policy: Policy) {
        self.policies.retain(|p| p.id != policy.id);
        self.policies.push(policy);
    }

    /// The policy with an id.
    pub fn get(&self, id: &str) -> Option<&Policy> {
        self.policies.iter().find(|p| p.id == id)
    }

    /// All policies.
    pub fn all(&self) -> &[Policy] {
        &self.policies
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_with_no_value_is_refused_with_a_message() {
        // Found by the policy-file fuzzer: toml gives this error an empty message.
        let e = Policy::from_toml("a=").unwrap_err();
        assert_eq!(e.field, "(file)");
        assert!(!e.message.is_empty());
    }

    #[test]
    fn housing_defaults_follow_the_procedure() {
        let p = Policy::housing();
        p.validate().unwrap();
        assert_eq!(p.stages.len(), 2, "the Code allows no more than two stages");
        let s1 = p.stage(1).unwrap();
        assert_eq!(s1.acknowledgement.working_days, 5);
        assert_eq!(
            s1.response,
            Timescale {
                working_days: 10,
                from: Anchor::StageStart
            }
        );
        assert_eq!(
            s1.response_code,
            Some(Timescale {
                working_days: 10,
                from: Anchor::Acknowledgement
            })
        );
        assert_eq!(s1.max_extension_working_days, 10);
        assert_eq!(s1.next_stage_window_working_days, Some(10));
        let s2 = p.stage(2).unwrap();
        assert_eq!(
            s2.response,
            Timescale {
                working_days: 20,
                from: Anchor::Acknowledgement
            }
        );
        assert_eq!(s2.max_extension_working_days, 20);
        assert!(p.stage(3).is_none());
    }

    #[test]
    fn support_services_is_a_separate_three_stage_procedure() {
        let p = Policy::support_services();
        p.validate().unwrap();
        assert_eq!(p.last_stage(), 3);
        assert_ne!(p.id, Policy::housing().id);
    }

    #[test]
    fn policy_round_trips_through_toml() {
        let text = toml::to_string(&Policy::housing()).unwrap();
        assert_eq!(Policy::from_toml(&text).unwrap(), Policy::housing());
    }

    #[test]
    fn bad_policy_file_names_the_field_at_fault() {
        let text = r#"
            id = "housing"
            name = "x"
            [[stages]]
            name = "Stage 1"
            acknowledgement = { working_days = 5, from = "stage_start" }
            response = { working_days = "ten", from = "stage_start" }
            max_extension_working_days = 10
        "#;
        let e = Policy::from_toml(text).unwrap_err();
        assert_eq!(e.field, "stages[0].response.working_days");
    }

    #[test]
    fn unknown_anchor_and_unknown_field_are_named() {
        let base = |extra: &str, from: &str| {
            format!(
                "id = \"p\"\nname = \"x\"\n[[stages]]\nname = \"S1\"\n{extra}acknowledgement = {{ working_days = 5, from = \"stage_start\" }}\nresponse = {{ working_days = 10, from = \"{from}\" }}\nmax_extension_working_days = 10\n"
            )
        };
        let e = Policy::from_toml(&base("", "tomorrow")).unwrap_err();
        assert_eq!(e.field, "stages[0].response.from");
        let e = Policy::from_toml(&base("colour = \"red\"\n", "stage_start")).unwrap_err();
        assert!(e.field.starts_with("stages[0]"), "{e}");
        assert!(e.message.contains("colour"), "{e}");
        Policy::from_toml(&base("", "acknowledgement")).unwrap();
    }

    #[test]
    fn zero_day_timescales_and_windows_on_the_last_stage_are_refused() {
        let mut p = Policy::housing();
        p.stages[1].response.working_days = 0;
        assert_eq!(
            p.validate().unwrap_err().field,
            "stages[1].response.working_days"
        );
        let mut p = Policy::housing();
        p.stages[1].next_stage_window_working_days = Some(10);
        assert_eq!(
            p.validate().unwrap_err().field,
            "stages[1].next_stage_window_working_days"
        );
        let mut p = Policy::housing();
        p.stages[0].next_stage_window_working_days = None;
        assert_eq!(
            p.validate().unwrap_err().field,
            "stages[0].next_stage_window_working_days"
        );
    }

    #[test]
    fn a_configured_policy_replaces_the_built_in_one() {
        let mut custom = Policy::housing();
        custom.stages[0].response.working_days = 15;
        let procs = Procedures::new(vec![
            Policy::housing(),
            Policy::support_services(),
            custom.clone(),
        ]);
        assert_eq!(procs.get(HOUSING), Some(&custom));
        assert_eq!(procs.all().len(), 2);
    }
}
