//! The functions read the landlord's configuration file (`P3_CONFIG`) as `p3 check` does: the
//! sample files in `shared/config/tests/files` give each function at start what their
//! `expected` says `p3 check` gives (`shared/server/tests/config_files.rs`), error for error.

mod support;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use p3_aws::wiring::{AwsSettings, WiringError};
use support::repo;

fn files() -> PathBuf {
    repo()
        .join("shared/config/tests/files")
        .canonicalize()
        .expect("the sample configuration files")
}

/// A function's settings with `P3_CONFIG` naming `config` (none: unset) and `extra` variables.
fn settings(config: Option<&Path>, extra: &[(&str, &str)]) -> Result<AwsSettings, WiringError> {
    let mut vars: HashMap<&str, String> = HashMap::from([
        ("TABLE_NAME", "p3-complaints-test".to_string()),
        ("QUEUE_URL", "http://127.0.0.1:1/queue".into()),
        ("QUEUE_ARN", "arn:aws:sqs:eu-west-2:123456789012:q".into()),
        ("DLQ_ARN", "arn:aws:sqs:eu-west-2:123456789012:dlq".into()),
        ("SCHEDULE_GROUP", "p3-test".into()),
        (
            "SCHEDULER_ROLE_ARN",
            "arn:aws:iam::123456789012:role/s".into(),
        ),
        ("MAIL_FROM", "complaints-service@p3.example".into()),
        ("EXPORT_BUCKET", "p3-exports".into()),
        ("BASE_URL", "https://complaints.p3housing.example".into()),
    ]);
    if let Some(path) = config {
        vars.insert("P3_CONFIG", path.display().to_string());
    }
    for (k, v) in extra {
        vars.insert(k, v.to_string());
    }
    AwsSettings::from_lookup(|k| vars.get(k).cloned())
}

#[test]
fn each_function_says_of_a_config_file_what_p3_check_says() {
    let mut checked = 0;
    for entry in std::fs::read_dir(files()).unwrap() {
        let dir = entry.unwrap().path();
        if !dir.is_dir() {
            continue;
        }
        let expected = match std::fs::read_to_string(dir.join("functions-expected")) {
            Ok(text) => text,
            Err(_) => std::fs::read_to_string(dir.join("expected")).unwrap(),
        };
        let expected = expected.trim().replace("{dir}", &dir.display().to_string());
        let got = match settings(Some(&dir.join("p3.toml")), &[]) {
            Ok(_) => "OK".to_string(),
            Err(e) => e.to_string(),
        };
        assert_eq!(got, expected, "{}", dir.display());
        checked += 1;
    }
    assert!(checked >= 5, "only {checked} sample files");
}

#[test]
fn the_landlords_settings_come_from_the_file_and_the_deployments_from_the_template() {
    let file = files().join("own-procedure/p3.toml");
    let s = settings(Some(&file), &[]).unwrap();
    let c = &s.config;
    assert_eq!(c.landlord, "Northgate Homes");
    assert_eq!(c.categories, ["repairs", "damp_and_mould", "noise"]);
    assert_eq!(c.records.backdate().working_days, 5);
    assert_eq!(c.public_form.rate_limit_per_hour, 7);
    assert_eq!(c.homes().low_cost_rental, Some(2800));
    assert!(c
        .policies
        .iter()
        .any(|p| p.name == "Northgate Homes housing complaints"));
    let letters = c.correspondence();
    assert_eq!(letters.landlord.phone.as_deref(), Some("0100 000 0000"));
    // Links on letters and in emails go to the deployed address, mail from the SES identity.
    assert_eq!(
        letters.landlord.public_url.as_deref(),
        Some("https://complaints.p3housing.example")
    );
    assert_eq!(c.mail_from, "complaints-service@p3.example");
    // The template's Landlord and alert addresses, when not empty, stand for the file's.
    let s = settings(
        Some(&file),
        &[("LANDLORD", "Southgate Homes"), ("COMPLAINTS_TEAM", "")],
    )
    .unwrap();
    assert_eq!(s.config.landlord, "Southgate Homes");
    assert_eq!(s.config.correspondence().landlord.name, "Southgate Homes");
    assert_eq!(
        s.config.alerts.complaints_team,
        p3_domain::alert::AlertAddresses::default().complaints_team
    );
    // Without a file: the defaults, as an empty file.
    let s = settings(None, &[]).unwrap();
    assert_eq!(s.config.landlord, "P3 Housing");
    assert_eq!(s.config.categories.len(), 9);
    assert_eq!(s.config.records.backdate().working_days, 2);
}

#[test]
fn a_missing_config_file_stops_the_function_naming_it() {
    let missing = files().join("no-such-folder/p3.toml");
    let e = settings(Some(&missing), &[]).unwrap_err().to_string();
    assert!(e.starts_with("cannot read "), "{e}");
    assert!(e.contains("no-such-folder/p3.toml"), "{e}");
}
