//! Baseline: a hello-world `lambda_runtime` function (the runtime's own floor).

use lambda_runtime::{service_fn, Error, LambdaEvent};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    lambda_runtime::tracing::init_default_subscriber();
    lambda_runtime::run(service_fn(
        |_event: LambdaEvent<serde_json::Value>| async move {
            Ok::<_, Error>(serde_json::json!({ "hello": "world" }))
        },
    ))
    .await
}
