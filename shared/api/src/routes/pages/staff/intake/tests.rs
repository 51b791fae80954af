use super::*;

fn f(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[test]
fn a_complaint_form_becomes_the_api_body() {
    let (b, errors) = json_body(
        Kind::Complaint,
        &f(&[
            ("channel", "letter"),
            ("received_at", "2026-07-01T10:30"),
            ("name", " Ada Lovelace "),
            ("email", ""),
            ("representative_authorised", "true"),
        ]),
    );
    assert!(errors.is_empty());
    assert_eq!(b["channel"], "letter");
    assert_eq!(b["received_at"], "2026-07-01T09:30:00+00:00");
    assert_eq!(b["name"], "Ada Lovelace");
    assert!(b.get("email").is_none());
    assert_eq!(b["representative_authorised"], true);
    assert!(b.get("resolved_at_first_contact").is_none());
    let (b, e) = json_body(Kind::Complaint, &f(&[("received_at", "yesterday")]));
    assert_eq!(
        b["channel"], "phone",
        "a stand-in, so the API checks the rest"
    );
    let ids: Vec<&str> = e.iter().map(|(id, _)| id.as_str()).collect();
    assert_eq!(ids, ["complaint-received_at", "complaint-channel"]);
}

#[test]
fn api_errors_point_at_the_intake_fields() {
    assert_eq!(element_for(Kind::Complaint, "at"), "complaint-received_at");
    assert_eq!(
        element_for(Kind::ServiceRequest, "at"),
        "service-request-at"
    );
    assert_eq!(element_for(Kind::Complaint, "email"), "complaint-email");
    assert_eq!(element_for(Kind::Complaint, "(body)"), "complaint");
}
