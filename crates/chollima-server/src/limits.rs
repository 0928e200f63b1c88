//! Request rate limits: a token bucket per client (per bearer token, or per address for
//! requests without one). Body sizes are limited in [`crate::api::router`].

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Instant;

/// Token buckets, one per client key.
#[derive(Debug)]
pub struct RateLimiter {
    rate: f64,
    burst: f64,
    buckets: Mutex<HashMap<String, (f64, Instant)>>,
}

/// Buckets kept before idle ones are dropped.
const MAX_BUCKETS: usize = 100_000;

impl RateLimiter {
    /// `rate` requests per second, up to `burst` at once.
    pub fn new(rate: f64, burst: f64) -> Self {
        RateLimiter {
            rate: rate.max(0.0),
            burst: burst.max(1.0),
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Takes one request from `key`'s bucket; `Err(seconds)` to wait when it is empty.
    pub fn take(&self, key: &str) -> Result<(), f64> {
        self.take_at(key, Instant::now())
    }

    fn take_at(&self, key: &str, now: Instant) -> Result<(), f64> {
        let mut buckets = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
        if buckets.len() >= MAX_BUCKETS && !buckets.contains_key(key) {
            // Full buckets are the same as no bucket: drop them.
            let (rate, burst) = (self.rate, self.burst);
            buckets.retain(|_, (level, at)| {
                *level + rate * now.duration_since(*at).as_secs_f64() < burst
            });
        }
        let (level, at) = buckets.entry(key.to_owned()).or_insert((self.burst, now));
        *level = (*level + self.rate * now.duration_since(*at).as_secs_f64()).min(self.burst);
        *at = now;
        if *level >= 1.0 {
            *level -= 1.0;
            Ok(())
        } else if self.rate > 0.0 {
            Err((1.0 - *level) / self.rate)
        } else {
            Err(f64::INFINITY)
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn a_client_gets_its_burst_then_the_rate() {
        let limiter = RateLimiter::new(10.0, 3.0);
        let start = Instant::now();
        for _ in 0..3 {
            assert!(limiter.take_at("a", start).is_ok());
        }
        let wait = limiter.take_at("a", start).unwrap_err();
        assert!((wait - 0.1).abs() < 1e-9);
        assert!(limiter.take_at("b", start).is_ok(), "clients are apart");
        assert!(
            limiter
                .take_at("a", start + Duration::from_millis(100))
                .is_ok()
        );
        assert!(
            limiter
                .take_at("a", start + Duration::from_millis(100))
                .is_err()
        );
    }
}
