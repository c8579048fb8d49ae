//! A per-address limit on the public pages and API: the register of rulings, the membership check,
//! the providers' statistics. They need no account, so without it one address could ask thousands
//! of different searches a minute, each ranked afresh (a few milliseconds of a core apiece).
//!
//! Counted per node in memory (`governor`'s GCRA), unlike sign-in's limits, which are counters in
//! the database (`accounts::rate_limit`) so that every node counts together: counting reads there
//! would make every public read a write, and SQLite has one writer. A node-local count suffices for
//! reads: with N nodes behind a balancer an address gets at most N times the allowance, and a node
//! that restarts forgets its counts, which only lets a visitor in sooner. See docs/SECURITY.md.

use std::future::{Ready, ready};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::num::NonZeroU32;

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest, web};
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota};

use crate::startup::AppState;
use crate::web::error::AppError;
use crate::web::page::client_ip;

/// Above this many addresses the node forgets those whose allowance is whole again; a count is a
/// few dozen bytes, so the node's counts stay under a few MB.
const ADDRESSES_COUNTED: usize = 50_000;

/// The public requests one node allows each address: a burst of `per_minute`, refilled at
/// `per_minute` a minute. `None` when switched off (setting 0).
pub struct PublicLimit {
    limiter: Option<DefaultKeyedRateLimiter<IpAddr>>,
    clock: DefaultClock,
}

impl PublicLimit {
    pub fn per_minute(requests: u32) -> Self {
        Self {
            limiter: NonZeroU32::new(requests).map(|n| DefaultKeyedRateLimiter::keyed(Quota::per_minute(n))),
            clock: DefaultClock::default(),
        }
    }

    /// Counts one request from `address`; refused, how many seconds until the next is allowed.
    pub fn check(&self, address: IpAddr) -> Result<(), u64> {
        let Some(limiter) = &self.limiter else {
            return Ok(());
        };
        if limiter.len() > ADDRESSES_COUNTED {
            limiter.retain_recent();
            limiter.shrink_to_fit();
        }
        limiter
            .check_key(&counted_address(address))
            .map_err(|not_until| not_until.wait_time_from(self.clock.now()).as_secs().max(1))
    }
}

/// The address an allowance belongs to: an IPv4 address as it is, an IPv6 address by its /64
/// network, which one household or host commonly holds whole (counting each of its addresses
/// would give it 2^64 allowances).
pub fn counted_address(address: IpAddr) -> IpAddr {
    match address {
        IpAddr::V4(_) => address,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => IpAddr::V6(Ipv6Addr::from_bits(v6.to_bits() & !((1u128 << 64) - 1))),
        },
    }
}

/// A request to a public page or API endpoint, counted against its address's allowance; refused
/// with 429 and `Retry-After` (a translated page, or a problem document on the API) when used up.
/// Taken as a handler's first argument, so a refused request does no other work.
pub struct PublicVisit;

impl FromRequest for PublicVisit {
    type Error = AppError;
    type Future = Ready<Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let state = req.app_data::<web::Data<AppState>>().expect("AppState is registered");
        // An address that does not parse (no peer, a proxy's odd header) shares one allowance.
        let address = client_ip(req, &state.settings.trusted_proxies)
            .parse()
            .unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED));
        ready(
            state
                .public_limit
                .check(address)
                .map(|()| PublicVisit)
                .map_err(|retry_after_seconds| AppError::RateLimited { retry_after_seconds }),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn an_address_gets_its_burst_then_waits_while_others_are_served() {
        let limit = PublicLimit::per_minute(3);
        for _ in 0..3 {
            assert_eq!(limit.check(ip("192.0.2.7")), Ok(()));
        }
        // One request a minute comes back: the next in at most 20 seconds.
        let refused = limit.check(ip("192.0.2.7")).unwrap_err();
        assert!((1..=20).contains(&refused), "{refused}");
        assert_eq!(limit.check(ip("192.0.2.8")), Ok(()));
    }

    #[test]
    fn the_addresses_of_one_ipv6_network_share_an_allowance() {
        let limit = PublicLimit::per_minute(2);
        assert_eq!(limit.check(ip("2001:db8:1:2::1")), Ok(()));
        assert_eq!(limit.check(ip("2001:db8:1:2:ffff::9")), Ok(()));
        assert!(limit.check(ip("2001:db8:1:2:abcd::1")).is_err());
        assert_eq!(limit.check(ip("2001:db8:1:3::1")), Ok(()), "another /64");
        assert_eq!(counted_address(ip("::ffff:192.0.2.1")), ip("192.0.2.1"));
    }

    #[test]
    fn a_limit_of_zero_is_switched_off() {
        let limit = PublicLimit::per_minute(0);
        for _ in 0..1_000 {
            assert_eq!(limit.check(ip("192.0.2.7")), Ok(()));
        }
    }
}
