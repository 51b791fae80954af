//! The resident's routes' rate limits counted in DynamoDB (`p3_aws::limit`), against the moto
//! emulator: two limiters over one table stand for two Lambda instances. `#[ignore]`d under
//! plain `cargo test`; `./scripts/test` starts moto and runs them.

mod support;

use std::sync::Arc;
use std::time::Duration;

use p3_api::limit::{Allowance, Limiter};
use p3_aws::dynamo::create_table;
use p3_aws::limit::DynamoLimiter;
use p3_store_contract::{self as contract, TestClock};
use support::dynamo::{client, definition, unique_table};
use support::t0;

/// Two instances' limiters (3 requests an hour per key) over one fresh table, on one clock.
async fn two_instances() -> (DynamoLimiter, DynamoLimiter, Arc<TestClock>) {
    let client = client().await;
    let table = unique_table();
    create_table(&client, &table, &definition())
        .await
        .expect("create the table from the template");
    let clock = contract::clock();
    clock.set(t0());
    let limiter = || {
        DynamoLimiter::new(
            client.clone(),
            table.clone(),
            "form",
            3,
            Duration::from_secs(3600),
        )
        .with_clock(clock.clone())
    };
    (limiter(), limiter(), clock)
}

#[tokio::test]
#[ignore = "needs the moto emulator (P3_MOTO_ENDPOINT)"]
async fn two_instances_count_one_client_together_and_other_clients_apart() {
    let (first, second, _clock) = two_instances().await;
    let flood = "203.0.113.9";
    assert_eq!(first.take(flood).await, Ok(Allowance::Allowed { left: 2 }));
    assert_eq!(second.take(flood).await, Ok(Allowance::Allowed { left: 1 }));
    assert_eq!(first.take(flood).await, Ok(Allowance::Allowed { left: 0 }));
    // t0 is 10:00:00, the start of an hour's window: the client waits the whole hour.
    assert_eq!(
        second.take(flood).await,
        Ok(Allowance::Refused { wait: 3600 }),
        "a fresh instance gives the flooding client no fresh allowance"
    );
    assert_eq!(
        first.take(flood).await,
        Ok(Allowance::Refused { wait: 3600 })
    );
    // Every other client keeps its own allowance, on either instance.
    assert_eq!(
        second.take("198.51.100.4").await,
        Ok(Allowance::Allowed { left: 2 })
    );
    assert_eq!(
        first.take("2001:db8:1:2::/64").await,
        Ok(Allowance::Allowed { left: 2 })
    );
}

#[tokio::test]
#[ignore = "needs the moto emulator (P3_MOTO_ENDPOINT)"]
async fn a_refused_client_is_allowed_again_when_its_window_ends() {
    let (first, second, clock) = two_instances().await;
    let flood = "203.0.113.9";
    for _ in 0..3 {
        assert!(matches!(
            first.take(flood).await,
            Ok(Allowance::Allowed { .. })
        ));
    }
    clock.set(t0() + chrono::Duration::minutes(59));
    assert_eq!(
        second.take(flood).await,
        Ok(Allowance::Refused { wait: 60 }),
        "the wait runs to the window's end"
    );
    clock.set(t0() + chrono::Duration::minutes(60));
    assert_eq!(
        second.take(flood).await,
        Ok(Allowance::Allowed { left: 2 }),
        "a new window, a new allowance (whenever TTL deletes the old item)"
    );
}

#[tokio::test]
#[ignore = "needs the moto emulator (P3_MOTO_ENDPOINT)"]
async fn a_count_it_cannot_reach_is_reported_not_guessed() {
    let limiter = DynamoLimiter::new(
        client().await,
        "p3-no-such-table",
        "code",
        30,
        Duration::from_secs(3600),
    );
    let e = limiter.take("client 203.0.113.9").await.unwrap_err();
    assert!(e.to_string().contains("limit code"), "{e}");
    // A limit of 0 is off: nothing to count, so nothing to reach.
    let off = DynamoLimiter::new(
        client().await,
        "p3-no-such-table",
        "form",
        0,
        Duration::from_secs(3600),
    );
    assert!(matches!(
        off.take("203.0.113.9").await,
        Ok(Allowance::Allowed { .. })
    ));
}
