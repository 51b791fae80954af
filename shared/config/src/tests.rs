use super::*;

#[test]
fn an_empty_file_is_a_complete_configuration() {
    let s = Settings::parse("").unwrap();
    assert_eq!(s.landlord, "P3 Housing");
    assert_eq!(s.categories.len(), 9);
    assert_eq!(s.public_form.rate_limit_per_hour, 20);
    assert_eq!(s.retention.years, 6);
    assert_eq!(s.records.backdate_working_days, 2);
}

#[test]
fn a_bad_setting_names_its_field() {
    let e = Settings::parse("[public_form]\nrate_limit_per_hour = \"lots\"\n").unwrap_err();
    assert!(e.starts_with("public_form.rate_limit_per_hour"), "{e}");
    let e = Settings::parse("[retention]\nyears = 0\n").unwrap_err();
    assert_eq!(e, "retention.years: must be from 1 to 100");
    let e = Settings::parse("[records]\nbackdate_working_days = 1001\n").unwrap_err();
    assert!(e.starts_with("records.backdate_working_days"), "{e}");
    let e = Settings::parse("categories = []\n").unwrap_err();
    assert!(e.starts_with("categories"), "{e}");
    let e = Settings::parse("mail_from = \"nobody\"\n").unwrap_err();
    assert!(e.starts_with("mail_from"), "{e}");
    let e = Settings::parse("colour = 1\n").unwrap_err();
    assert!(e.contains("colour"), "{e}");
    let e = Settings::parse("landlord = \n").unwrap_err();
    assert!(!e.is_empty());
}

#[test]
fn the_local_servers_sections_are_handed_back_unread() {
    let text =
        "landlord = \"Northgate Homes\"\n[server]\nlisten = \"anything\"\n[smtp]\nhost = 1\n";
    let (settings, host) = Settings::parse_split(text).unwrap();
    assert_eq!(settings.landlord, "Northgate Homes");
    let mut keys: Vec<&String> = host.keys().collect();
    keys.sort();
    assert_eq!(keys, ["server", "smtp"]);
    // A function reads the same file and ignores them.
    assert_eq!(Settings::parse(text).unwrap().landlord, "Northgate Homes");
}

#[test]
fn the_landlords_details_reach_the_letters_and_the_service_settings() {
    let s = Settings::parse(
        "landlord = \"Northgate Homes\"\nbase_url = \"https://c.example\"\ncategories = [\"Damp\"]\n[letters]\nphone = \"0100\"\n",
    )
    .unwrap();
    let letters = s.correspondence();
    assert_eq!(letters.landlord.name, "Northgate Homes");
    assert_eq!(letters.landlord.phone.as_deref(), Some("0100"));
    assert_eq!(
        letters.landlord.public_url.as_deref(),
        Some("https://c.example")
    );
    let host = s.host_settings("https://c.example".into());
    assert_eq!(host.categories, ["Damp"]);
}

#[test]
fn the_default_update_interval_is_checked_and_reaches_the_service() {
    assert_eq!(
        Settings::parse("")
            .unwrap()
            .updates
            .default_interval_working_days,
        None
    );
    let s = Settings::parse("[updates]\ndefault_interval_working_days = 10\n").unwrap();
    let host = s.host_settings("https://c.example".into());
    assert_eq!(host.updates.default_interval_working_days, Some(10));
    for bad in ["0", "61", "\"ten\""] {
        let e = Settings::parse(&format!(
            "[updates]\ndefault_interval_working_days = {bad}\n"
        ))
        .unwrap_err();
        assert!(
            e.starts_with("updates.default_interval_working_days"),
            "{e}"
        );
    }
}
