//! The staff sign-in's secrets, read from AWS Secrets Manager once when the `pages` function
//! starts and kept for the life of the instance: never placed in environment variables, where
//! anyone who can read the function's configuration would see them.
//!
//! The template sets `<NAME>_SECRET_ID` (a secret's ARN or name); the value is read with one
//! `GetSecretValue` call and stands for `<NAME>` in the settings ([`read`]).

use std::collections::HashMap;

use aws_config::SdkConfig;

use crate::wiring::WiringError;

/// The settings kept in Secrets Manager: (the variable naming the secret, the setting it holds).
pub const SECRET_SETTINGS: &[(&str, &str)] = &[
    ("OIDC_COOKIE_KEY_SECRET_ID", "OIDC_COOKIE_KEY"),
    ("OIDC_CLIENT_SECRET_ID", "OIDC_CLIENT_SECRET"),
];

/// Reads every secret named through `get` (the environment) and answers the settings they hold,
/// by the setting's name. A secret that cannot be read stops the function from starting, naming
/// the variable (the log then says which secret, never its value).
pub async fn read(
    sdk: &SdkConfig,
    get: &dyn Fn(&str) -> Option<String>,
) -> Result<HashMap<&'static str, String>, WiringError> {
    let mut values = HashMap::new();
    let named: Vec<(&'static str, &'static str, String)> = SECRET_SETTINGS
        .iter()
        .filter_map(|(id_var, setting)| {
            get(id_var)
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
                .map(|id| (*id_var, *setting, id))
        })
        .collect();
    if named.is_empty() {
        return Ok(values);
    }
    let client = aws_sdk_secretsmanager::Client::new(sdk);
    for (id_var, setting, id) in named {
        let answer = client
            .get_secret_value()
            .secret_id(&id)
            .send()
            .await
            .map_err(|e| WiringError::Invalid {
                name: id_var,
                reason: format!(
                    "the secret could not be read: {}",
                    aws_sdk_secretsmanager::error::DisplayErrorContext(e)
                ),
            })?;
        let value = answer
            .secret_string()
            .map(str::to_string)
            .ok_or(WiringError::Invalid {
                name: id_var,
                reason: "the secret holds no text".into(),
            })?;
        values.insert(setting, value);
    }
    Ok(values)
}
