//! The rate limits of the resident's routes (the public form, wrong access-code guesses) kept
//! in the service's DynamoDB table, so every Lambda instance counts a client's requests
//! together: a fresh instance does not hand a flooding client a fresh allowance.
//!
//! A fixed window per key: item `PK` = `LIMIT#{limit}#{key}`, `SK` = `WINDOW#{start}` (the
//! window's start, epoch seconds), `count` (N), `expires_at` (N, the window's end: the table's
//! TTL attribute deletes the item some time after). Each request is one conditional UpdateItem,
//! `ADD count :one` on condition `count < capacity`: an allowed request is counted atomically
//! across instances, a refused one writes nothing. The window is in the key, so a window that
//! has ended is never read again, whenever TTL gets to its item. A fixed window lets a client
//! send up to twice its capacity across a window's boundary; the limits are set for abuse,
//! not for exact accounting, and one write a request is what the route can afford.

use std::sync::Arc;
use std::time::Duration;

use aws_sdk_dynamodb::error::DisplayErrorContext;
use aws_sdk_dynamodb::types::{AttributeValue, ReturnValue};
use aws_sdk_dynamodb::Client;
use p3_api::limit::{Allowance, Limiter, LimiterUnavailable};
use p3_domain::ports::{Clock, SystemClock};

/// A per-key limit counted in DynamoDB: `capacity` requests per key in each fixed window.
#[derive(Clone)]
pub struct DynamoLimiter {
    client: Client,
    table: String,
    name: &'static str,
    capacity: u32,
    window_seconds: i64,
    clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for DynamoLimiter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DynamoLimiter")
            .field("table", &self.table)
            .field("name", &self.name)
            .field("capacity", &self.capacity)
            .field("window_seconds", &self.window_seconds)
            .finish()
    }
}

impl DynamoLimiter {
    /// The limit `name` (part of its items' keys) over `table`: `capacity` requests per key in
    /// each `window`; a capacity of 0 turns it off.
    pub fn new(
        client: Client,
        table: impl Into<String>,
        name: &'static str,
        capacity: u32,
        window: Duration,
    ) -> DynamoLimiter {
        DynamoLimiter {
            client,
            table: table.into(),
            name,
            capacity,
            window_seconds: i64::try_from(window.as_secs()).unwrap_or(i64::MAX).max(1),
            clock: Arc::new(SystemClock),
        }
    }

    /// The same limit reading the time from `clock` (tests move it past a window's end).
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> DynamoLimiter {
        self.clock = clock;
        self
    }
}

#[async_trait::async_trait]
impl Limiter for DynamoLimiter {
    async fn take(&self, key: &str) -> Result<Allowance, LimiterUnavailable> {
        if self.capacity == 0 {
            return Ok(Allowance::Allowed { left: u32::MAX });
        }
        let now = self.clock.now().timestamp();
        let start = now.div_euclid(self.window_seconds) * self.window_seconds;
        let end = start.saturating_add(self.window_seconds);
        let s = |v: String| AttributeValue::S(v);
        let n = |v: i64| AttributeValue::N(v.to_string());
        let answer = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("PK", s(format!("LIMIT#{}#{key}", self.name)))
            .key("SK", s(format!("WINDOW#{start}")))
            .update_expression("ADD #count :one SET #expires = if_not_exists(#expires, :end)")
            .condition_expression("attribute_not_exists(#count) OR #count < :capacity")
            .expression_attribute_names("#count", "count")
            .expression_attribute_names("#expires", "expires_at")
            .expression_attribute_values(":one", n(1))
            .expression_attribute_values(":end", n(end))
            .expression_attribute_values(":capacity", n(i64::from(self.capacity)))
            .return_values(ReturnValue::UpdatedNew)
            .send()
            .await;
        match answer {
            Ok(out) => {
                let count = out
                    .attributes()
                    .and_then(|a| a.get("count"))
                    .and_then(|v| v.as_n().ok())
                    .and_then(|v| v.parse::<u32>().ok())
                    .ok_or_else(|| {
                        LimiterUnavailable("the limit's update returned no count".into())
                    })?;
                Ok(Allowance::Allowed {
                    left: self.capacity.saturating_sub(count),
                })
            }
            Err(e)
                if e.as_service_error()
                    .is_some_and(|e| e.is_conditional_check_failed_exception()) =>
            {
                Ok(Allowance::Refused {
                    wait: u64::try_from(end - now).unwrap_or(1).max(1),
                })
            }
            Err(e) => Err(LimiterUnavailable(format!(
                "DynamoDB UpdateItem (limit {}): {}",
                self.name,
                DisplayErrorContext(&e)
            ))),
        }
    }
}
