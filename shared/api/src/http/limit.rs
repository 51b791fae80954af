//! Per-client rate limits: the public form (submissions an hour) and wrong access-code guesses
//! (per client and per reference), behind a small port ([`Limiter`]) so each host keeps the
//! count where its instances can share it: `p3 serve` in memory ([`RateLimiter`]), the Lambda
//! functions in DynamoDB (`p3_aws::limit`), where every instance sees the same count.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Wrong access-code guesses allowed an hour, per client and per reference (on every host).
pub const WRONG_CODES_PER_HOUR: u32 = 30;

/// What taking one request from a client's allowance answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Allowance {
    /// The request may go ahead; `left` more fit now (0: this one was the last).
    Allowed {
        /// Requests still allowed before the limit refuses.
        left: u32,
    },
    /// Over the limit: the client is told to wait this many seconds.
    Refused {
        /// Seconds until a request is allowed again.
        wait: u64,
    },
}

/// The limiter's count could not be read or written (its store is unavailable). What a limit
/// does then (let the request through or refuse it) is decided where the limit is applied.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the rate limit's count is unavailable: {0}")]
pub struct LimiterUnavailable(pub String);

/// A per-key rate limit: takes one request from a key's allowance.
#[async_trait::async_trait]
pub trait Limiter: Send + Sync {
    /// Counts one request for `key` and says whether it is allowed.
    async fn take(&self, key: &str) -> Result<Allowance, LimiterUnavailable>;
}

/// A token bucket per client, in memory: `capacity` requests, refilled evenly over `period`.
/// Right for one process (`p3 serve`); each Lambda instance would keep its own.
#[derive(Debug)]
pub struct RateLimiter {
    capacity: f64,
    per_second: f64,
    buckets: Mutex<HashMap<String, (f64, Instant)>>,
}

impl RateLimiter {
    /// Allows `capacity` requests per `period` per client; 0 turns the limit off.
    pub fn new(capacity: u32, period: Duration) -> RateLimiter {
        RateLimiter {
            capacity: f64::from(capacity),
            per_second: f64::from(capacity) / period.as_secs_f64().max(1.0),
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Takes one request for a client, now.
    pub fn check(&self, client: &str) -> Allowance {
        if self.capacity <= 0.0 {
            return Allowance::Allowed { left: u32::MAX };
        }
        let now = Instant::now();
        let mut buckets = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
        if buckets.len() > 100_000 {
            // Forget clients whose buckets have refilled, so memory stays bounded.
            let (cap, rate) = (self.capacity, self.per_second);
            buckets.retain(|_, (tokens, at)| {
                *tokens + now.duration_since(*at).as_secs_f64() * rate < cap
            });
        }
        let (tokens, at) = buckets
            .entry(client.to_string())
            .or_insert((self.capacity, now));
        let refilled =
            (*tokens + now.duration_since(*at).as_secs_f64() * self.per_second).min(self.capacity);
        *at = now;
        if refilled >= 1.0 {
            *tokens = refilled - 1.0;
            Allowance::Allowed {
                left: tokens.floor() as u32,
            }
        } else {
            *tokens = refilled;
            Allowance::Refused {
                wait: ((1.0 - refilled) / self.per_second).ceil() as u64,
            }
        }
    }
}

#[async_trait::async_trait]
impl Limiter for RateLimiter {
    async fn take(&self, key: &str) -> Result<Allowance, LimiterUnavailable> {
        Ok(self.check(key))
    }
}

/// The bucket a client's requests count in: its IPv4 address, or the /64 of its IPv6 address
/// (a home or a server is given a whole /64, so one client can use any address in it).
pub fn client_key(addr: &str) -> String {
    match addr.parse::<std::net::IpAddr>() {
        Ok(std::net::IpAddr::V6(v6)) => {
            let s = v6.segments();
            let net = std::net::Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0);
            format!("{net}/64")
        }
        _ => addr.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_ipv6_client_is_its_64() {
        assert_eq!(client_key("2001:db8:1:2::1"), "2001:db8:1:2::/64");
        assert_eq!(client_key("2001:db8:1:2:ffff::9"), "2001:db8:1:2::/64");
        assert_eq!(client_key("203.0.113.5"), "203.0.113.5");
        assert_eq!(client_key("unknown"), "unknown");
    }

    #[test]
    fn the_limit_applies_per_client() {
        let l = RateLimiter::new(2, Duration::from_secs(3600));
        assert_eq!(l.check("a"), Allowance::Allowed { left: 1 });
        assert_eq!(l.check("a"), Allowance::Allowed { left: 0 });
        let Allowance::Refused { wait } = l.check("a") else {
            panic!("a third request in the hour is refused")
        };
        assert!((1700..=1800).contains(&wait), "{wait}");
        assert_eq!(l.check("b"), Allowance::Allowed { left: 1 });
        assert!(matches!(
            RateLimiter::new(0, Duration::from_secs(1)).check("a"),
            Allowance::Allowed { .. }
        ));
    }
}
