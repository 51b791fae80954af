//! The staff sign-in's secrets come from Secrets Manager (the moto emulator here) when the
//! `pages` function starts, by the names the template puts in its environment; their values are
//! never environment variables.

mod support;

use std::collections::HashMap;

use aws_config::{BehaviorVersion, Region};
use p3_aws::wiring::{self, WiringError};
use support::endpoint;

/// The function's environment as the template sets it, the secrets by name only.
fn environment(cookie_key_id: &str, client_secret_id: &str) -> HashMap<&'static str, String> {
    HashMap::from([
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
        ("BASE_URL", "https://complaints.p3.example".into()),
        ("LANDLORD", "P3 Housing".into()),
        ("OIDC_ISSUER", "https://idp.p3.example".into()),
        ("OIDC_CLIENT_ID", "pages".into()),
        ("OIDC_COOKIE_KEY_SECRET_ID", cookie_key_id.into()),
        ("OIDC_CLIENT_SECRET_ID", client_secret_id.into()),
        ("AWS_ENDPOINT_URL", endpoint()),
        ("AWS_REGION", "eu-west-2".into()),
    ])
}

async fn secrets_client() -> aws_sdk_secretsmanager::Client {
    let sdk = aws_config::defaults(BehaviorVersion::latest())
        .endpoint_url(endpoint())
        .region(Region::new("eu-west-2"))
        .http_client(p3_aws::sdk::https_client())
        .load()
        .await;
    aws_sdk_secretsmanager::Client::new(&sdk)
}

#[tokio::test]
#[ignore = "needs the moto AWS emulator (P3_MOTO_ENDPOINT); run by ./scripts/test"]
async fn the_sign_in_secrets_are_read_from_secrets_manager_by_name() {
    let client = secrets_client().await;
    let run = std::process::id();
    let cookie_key = format!("{}-cookie-key-of-this-deployment", "k".repeat(20));
    let created = client
        .create_secret()
        .name(format!("p3-test-cookie-key-{run}"))
        .secret_string(&cookie_key)
        .send()
        .await
        .expect("create the cookie key secret");
    let cookie_arn = created.arn().expect("an arn").to_string();
    let client_secret_name = format!("p3-test-client-secret-{run}");
    client
        .create_secret()
        .name(&client_secret_name)
        .secret_string("the-client-secret")
        .send()
        .await
        .expect("create the client secret");

    // By ARN (as the template gives the generated key) and by name (as a landlord names theirs).
    let vars = environment(&cookie_arn, &client_secret_name);
    let (settings, _) = wiring::settings_with_secrets(&|k: &str| vars.get(k).cloned())
        .await
        .expect("the function starts");
    let sign_in = settings.staff_sign_in.expect("sign-in is on");
    assert_eq!(sign_in.cookie_key, cookie_key);
    assert_eq!(sign_in.client_secret.as_deref(), Some("the-client-secret"));
    // The secrets' values are nowhere in the function's environment.
    assert!(vars
        .values()
        .all(|v| v != &cookie_key && v != "the-client-secret"));

    // A public client (no client secret) leaves it out.
    let mut vars = environment(&cookie_arn, "");
    vars.remove("OIDC_CLIENT_SECRET_ID");
    let (settings, _) = wiring::settings_with_secrets(&|k: &str| vars.get(k).cloned())
        .await
        .expect("the function starts");
    assert_eq!(settings.staff_sign_in.unwrap().client_secret, None);

    // A secret that cannot be read stops the start, naming the variable that names it.
    let vars = environment(
        &format!("p3-test-no-such-secret-{run}"),
        &client_secret_name,
    );
    let err = wiring::settings_with_secrets(&|k: &str| vars.get(k).cloned())
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            WiringError::Invalid {
                name: "OIDC_COOKIE_KEY_SECRET_ID",
                ..
            }
        ),
        "{err:?}"
    );

    // Without the cookie key's secret, sign-in cannot start: the key is required.
    let mut vars = environment(&cookie_arn, &client_secret_name);
    vars.remove("OIDC_COOKIE_KEY_SECRET_ID");
    let err = wiring::settings_with_secrets(&|k: &str| vars.get(k).cloned())
        .await
        .unwrap_err();
    assert_eq!(err, WiringError::Missing("OIDC_COOKIE_KEY"));
}
