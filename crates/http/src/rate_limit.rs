//! A rate limit per client address (for guest checkouts), so that one client cannot spend the Stripe account's
//! own rate limit by opening sessions in a loop.
//!
//! The generic cell rate algorithm: each address has a theoretical arrival time (TAT); a request is let in when
//! the TAT is at most `burst - 1` intervals ahead of now, and moves it one interval on. The table of addresses
//! is bounded: when full, addresses idle long enough to be back at a full burst are dropped first (they hold no
//! state worth keeping); if none are, a new address is refused until some are. Written here rather than taken
//! from a crate: the few lines below, with the bound, cost less than the crates' duplicate dependencies.

use crate::error::ApiError;
use crate::error_code::ErrorCode;
use actix_web::HttpRequest;
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Most addresses remembered at once (each entry is a few dozen bytes).
const MAX_ADDRESSES: usize = 100_000;

/// How many requests one client address may make: `per_minute` sustained, up to `burst` at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    /// Sustained requests per minute (at least 1).
    pub per_minute: u32,
    /// Requests allowed at once after a quiet spell (at least 1).
    pub burst: u32,
}

/// Guest checkouts' limit per client address, shared by every worker (clones share one table).
#[derive(Debug, Clone)]
pub struct GuestCheckoutLimit {
    limiter: Arc<Limiter>,
    trust_forwarded_for: bool,
}

impl GuestCheckoutLimit {
    /// `limit` per client address: the connection's peer, or with `trust_forwarded_for` (behind a reverse
    /// proxy that sets them) the address `Forwarded` / `X-Forwarded-For` name.
    pub fn new(limit: RateLimit, trust_forwarded_for: bool) -> Self {
        Self { limiter: Arc::new(Limiter::new(limit)), trust_forwarded_for }
    }

    /// Lets `request` in, or answers 429 `rate_limited` with `Retry-After`. A request whose address cannot be
    /// read is let in (there is nothing to count it under), and so is one from a loopback peer unless
    /// forwarded addresses are trusted.
    pub(crate) fn admit(&self, request: &HttpRequest) -> Result<(), ApiError> {
        let address = if self.trust_forwarded_for {
            request.connection_info().realip_remote_addr().and_then(parse_address)
        } else {
            // A loopback peer is a local proxy or tool speaking for many clients: limiting it would limit them
            // all together (behind a local proxy, set trust_forwarded_for to limit each client).
            request.peer_addr().map(|peer| peer.ip()).filter(|ip| !client_key(*ip).is_loopback())
        };
        let Some(address) = address else { return Ok(()) };
        self.limiter.check(address, Instant::now()).map_err(|wait| {
            let secs = u32::try_from(wait.as_secs_f64().ceil() as u64).unwrap_or(u32::MAX).max(1);
            tracing::warn!(retry_after_secs = secs, "guest checkout rate limit reached");
            ApiError::new(
                ErrorCode::RateLimited,
                format!("Too many checkouts from this address; retry in {secs} s, or sign in."),
            )
            .with_retry_after(secs)
        })
    }
}

/// An address as `Forwarded`/`X-Forwarded-For` give it: `192.0.2.1`, `192.0.2.1:4711`, `[2001:db8::1]:4711`.
fn parse_address(text: &str) -> Option<IpAddr> {
    let text = text.trim();
    text.parse()
        .ok()
        .or_else(|| text.parse::<std::net::SocketAddr>().ok().map(|socket| socket.ip()))
        .or_else(|| text.trim_start_matches('[').trim_end_matches(']').parse().ok())
}

/// The limiter: one TAT per client address.
#[derive(Debug)]
pub(crate) struct Limiter {
    interval: Duration,
    tolerance: Duration,
    capacity: usize,
    arrivals: Mutex<HashMap<IpAddr, Instant>>,
}

impl Limiter {
    /// A limiter for `limit`.
    pub(crate) fn new(limit: RateLimit) -> Self {
        Self::with_capacity(limit, MAX_ADDRESSES)
    }

    fn with_capacity(limit: RateLimit, capacity: usize) -> Self {
        let interval = Duration::from_secs(60) / limit.per_minute.max(1);
        Self {
            interval,
            tolerance: interval * (limit.burst.max(1) - 1),
            capacity,
            arrivals: Mutex::default(),
        }
    }

    /// Lets a request from `address` in at `now`, or says how long until one would be.
    pub(crate) fn check(&self, address: IpAddr, now: Instant) -> Result<(), Duration> {
        let key = client_key(address);
        let mut arrivals = self.arrivals.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if !arrivals.contains_key(&key) && arrivals.len() >= self.capacity {
            // Only entries whose TAT has passed are idle: forgetting them changes no answer.
            arrivals.retain(|_, tat| *tat > now);
            if arrivals.len() >= self.capacity {
                return Err(self.interval);
            }
        }
        let tat = arrivals.get(&key).copied().unwrap_or(now).max(now);
        let allowed_from = tat.checked_sub(self.tolerance).unwrap_or(now);
        if allowed_from > now {
            return Err(allowed_from - now);
        }
        arrivals.insert(key, tat + self.interval);
        Ok(())
    }
}

/// The key an address is counted under: an IPv4 address as it is, an IPv6 one by its /64 (one subscriber
/// usually holds a whole /64, so counting single addresses would let it rotate freely).
fn client_key(address: IpAddr) -> IpAddr {
    match address {
        IpAddr::V4(_) => address,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let mut segments = v6.segments();
                segments[4..].fill(0);
                IpAddr::V6(segments.into())
            }
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn a_burst_is_let_in_then_one_request_per_interval_with_the_wait_said() {
        let limiter = Limiter::new(RateLimit { per_minute: 6, burst: 3 });
        let start = Instant::now();
        for n in 0..3 {
            assert_eq!(limiter.check(ip("192.0.2.1"), start), Ok(()), "request {n} of the burst");
        }
        assert_eq!(limiter.check(ip("192.0.2.1"), start), Err(Duration::from_secs(10)));
        assert_eq!(limiter.check(ip("192.0.2.2"), start), Ok(()), "another address has its own burst");
        assert_eq!(
            limiter.check(ip("192.0.2.1"), start + Duration::from_secs(4)),
            Err(Duration::from_secs(6))
        );
        assert_eq!(limiter.check(ip("192.0.2.1"), start + Duration::from_secs(10)), Ok(()));
        assert!(limiter.check(ip("192.0.2.1"), start + Duration::from_secs(10)).is_err());
        let quiet = start + Duration::from_secs(60);
        for _ in 0..3 {
            assert_eq!(limiter.check(ip("192.0.2.1"), quiet), Ok(()), "a quiet minute restores the burst");
        }
    }

    #[test]
    fn an_ipv6_client_is_counted_by_its_slash_64() {
        let limiter = Limiter::new(RateLimit { per_minute: 1, burst: 1 });
        let now = Instant::now();
        assert_eq!(limiter.check(ip("2001:db8:1:2::1"), now), Ok(()));
        assert!(limiter.check(ip("2001:db8:1:2:ffff::9"), now).is_err(), "same /64");
        assert_eq!(limiter.check(ip("2001:db8:1:3::1"), now), Ok(()), "another /64");
        assert_eq!(limiter.check(ip("::ffff:192.0.2.7"), now), Ok(()));
        assert!(limiter.check(ip("192.0.2.7"), now).is_err(), "a mapped IPv4 address is that address");
    }

    #[test]
    fn forwarded_addresses_are_read_with_or_without_a_port() {
        assert_eq!(parse_address("192.0.2.1"), Some(ip("192.0.2.1")));
        assert_eq!(parse_address(" 192.0.2.1:4711"), Some(ip("192.0.2.1")));
        assert_eq!(parse_address("[2001:db8::1]:4711"), Some(ip("2001:db8::1")));
        assert_eq!(parse_address("[2001:db8::1]"), Some(ip("2001:db8::1")));
        assert_eq!(parse_address("unknown"), None);
    }

    #[test]
    fn the_table_is_bounded_and_forgets_idle_addresses_first() {
        let limiter = Limiter::with_capacity(RateLimit { per_minute: 60, burst: 1 }, 2);
        let now = Instant::now();
        assert_eq!(limiter.check(ip("192.0.2.1"), now), Ok(()));
        assert_eq!(limiter.check(ip("192.0.2.2"), now), Ok(()));
        assert!(limiter.check(ip("192.0.2.3"), now).is_err(), "full of busy addresses: a new one waits");
        let later = now + Duration::from_secs(2);
        assert_eq!(limiter.check(ip("192.0.2.3"), later), Ok(()), "idle ones were dropped");
        assert_eq!(limiter.arrivals.lock().unwrap().len(), 1);
    }
}
