//! Per-client rate limits: the public form (submissions an hour) and wrong access-code guesses
//! (per client and per reference).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// A token bucket per client: `capacity` requests, refilled evenly over `period`.
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

    /// True when the client has no request left now (without taking one).
    pub fn is_exhausted(&self, client: &str) -> bool {
        if self.capacity <= 0.0 {
            return false;
        }
        let buckets = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
        buckets.get(client).is_some_and(|(tokens, at)| {
            *tokens + Instant::now().duration_since(*at).as_secs_f64() * self.per_second < 1.0
        })
    }

    /// Takes one request for a client; `Err(seconds)` says how long to wait.
    pub fn check(&self, client: &str) -> Result<(), u64> {
        if self.capacity <= 0.0 {
            return Ok(());
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
            Ok(())
        } else {
            *tokens = refilled;
            Err(((1.0 - refilled) / self.per_second).ceil() as u64)
        }
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
        assert!(l.check("a").is_ok());
        assert!(l.check("a").is_ok());
        let wait = l.check("a").unwrap_err();
        assert!((1700..=1800).contains(&wait), "{wait}");
        assert!(l.check("b").is_ok());
        assert!(RateLimiter::new(0, Duration::from_secs(1))
            .check("a")
            .is_ok());
    }
}
