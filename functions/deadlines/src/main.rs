//! Lambda function `deadlines`: each SQS message is a fired alert schedule. The domain re-reads
//! the case and sends what is still owed, once; failed messages are reported one by one
//! (`ReportBatchItemFailures`), so one bad message never replays the good ones. A letter's
//! email copy carries the letter as a PDF.

use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};
use lambda_runtime::{service_fn, Error, LambdaEvent};
use p3_aws::wiring::{aws_config, deadlines_service, AwsSettings};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    lambda_runtime::tracing::init_default_subscriber();
    let settings = AwsSettings::from_env()?;
    let service = deadlines_service(&settings, &aws_config(&settings).await).await;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<SqsEvent>| {
        let service = service.clone();
        async move {
            Ok::<SqsBatchResponse, Error>(p3_aws::sqs::handle_batch(&service, event.payload).await)
        }
    }))
    .await
}
