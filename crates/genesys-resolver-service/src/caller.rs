//! Who a request comes from, and the limits kept per caller.
//!
//! A caller is a bearer token (known by its position among the configured tokens, never by its
//! value) or, for a request without a valid token (and for every request when authentication is
//! off), the address it comes from; an IPv6 address counts by its /64, the block one host is
//! usually given. [`PerCaller`] hands out at most so many permits to each caller (connections,
//! resolves in flight, body slots), and forgets a caller once it holds none.
//!
//! A refusal for a limit ([`limit_refusal`]) names the variable that sets it and carries
//! `Retry-After`.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv6Addr};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// Who a request comes from, for the per-caller limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Caller {
    /// A configured bearer token, by its position in the configuration.
    Token(usize),
    /// A caller without a token: its IPv4 address, or the /64 of its IPv6 address.
    Address(IpAddr),
}

impl Caller {
    /// The caller at `ip` (an IPv4-mapped IPv6 address as the IPv4 one; other IPv6 addresses by
    /// their /64).
    pub fn address(ip: IpAddr) -> Self {
        match ip {
            IpAddr::V4(v4) => Self::Address(IpAddr::V4(v4)),
            IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
                Some(v4) => Self::Address(IpAddr::V4(v4)),
                None => Self::Address(IpAddr::V6(Ipv6Addr::from_bits(
                    v6.to_bits() & !u128::from(u64::MAX),
                ))),
            },
        }
    }
}

impl std::fmt::Display for Caller {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Token(i) => write!(f, "token #{}", i + 1),
            Self::Address(ip) => write!(f, "address {ip}"),
        }
    }
}

/// The caller of a request whose authentication has been checked, in the request's extensions:
/// the listener puts it there (so a token is hashed once a request), and the router's guard
/// when the routes are served without the listener.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Authenticated(pub Caller);

/// At most `per_caller` permits for each caller. A caller's entry lives while it holds or
/// waits for a permit.
#[derive(Debug)]
pub struct PerCaller {
    per_caller: usize,
    callers: Mutex<HashMap<Caller, Arc<Semaphore>>>,
}

/// A permit of a [`PerCaller`], given back when dropped.
#[derive(Debug)]
pub struct CallerPermit {
    // Dropped first: the semaphore's count goes back before the entry is looked at.
    _permit: OwnedSemaphorePermit,
    _entry: Entry,
}

/// A hold on a caller's entry; the last one dropped removes the entry.
#[derive(Debug)]
struct Entry {
    limiter: Arc<PerCaller>,
    caller: Caller,
    semaphore: Option<Arc<Semaphore>>,
}

impl Drop for Entry {
    fn drop(&mut self) {
        let mut callers = self.limiter.lock();
        drop(self.semaphore.take());
        // Under the lock, one reference left is the map's own: no permit, no waiter.
        if callers
            .get(&self.caller)
            .is_some_and(|s| Arc::strong_count(s) == 1)
        {
            callers.remove(&self.caller);
        }
    }
}

impl PerCaller {
    /// A limiter of `per_caller` permits a caller (at least one).
    pub fn new(per_caller: usize) -> Arc<Self> {
        Arc::new(Self {
            per_caller: per_caller.max(1),
            callers: Mutex::new(HashMap::new()),
        })
    }

    /// Permits a caller at most.
    pub fn per_caller(&self) -> usize {
        self.per_caller
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<Caller, Arc<Semaphore>>> {
        self.callers.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn entry(self: &Arc<Self>, caller: Caller) -> (Entry, Arc<Semaphore>) {
        let semaphore = self
            .lock()
            .entry(caller)
            .or_insert_with(|| Arc::new(Semaphore::new(self.per_caller)))
            .clone();
        let entry = Entry {
            limiter: self.clone(),
            caller,
            semaphore: Some(semaphore.clone()),
        };
        (entry, semaphore)
    }

    /// A permit for `caller` now, or `None` when it holds all of its own.
    pub fn try_acquire(self: &Arc<Self>, caller: Caller) -> Option<CallerPermit> {
        let (entry, semaphore) = self.entry(caller);
        let permit = semaphore.try_acquire_owned().ok()?;
        Some(CallerPermit {
            _permit: permit,
            _entry: entry,
        })
    }

    /// A permit for `caller`, waiting (first come, first served) while it holds all of its own.
    /// Cancel-safe: a caller that stops waiting leaves nothing behind.
    pub async fn acquire(self: &Arc<Self>, caller: Caller) -> Option<CallerPermit> {
        let (entry, semaphore) = self.entry(caller);
        // The semaphore is never closed, so this fails only if that changes.
        let permit = semaphore.acquire_owned().await.ok()?;
        Some(CallerPermit {
            _permit: permit,
            _entry: entry,
        })
    }

    /// How many callers hold or wait for a permit.
    pub fn callers(&self) -> usize {
        self.lock().len()
    }
}

/// A refusal for a limit: `status`, `{"kind": kind, "limit": variable, "message": message}`
/// and `Retry-After: 1`; with `close`, also `Connection: close` (the connection is not kept).
pub fn limit_refusal(
    status: StatusCode,
    kind: &str,
    variable: &str,
    message: &str,
    close: bool,
) -> Response {
    let body = serde_json::json!({"kind": kind, "limit": variable, "message": message});
    let mut response = (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response();
    let headers = response.headers_mut();
    headers.insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
    if close {
        headers.insert(header::CONNECTION, HeaderValue::from_static("close"));
    }
    response
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn ipv6_callers_count_by_their_64() {
        let a: IpAddr = "2001:db8:1:2:aaaa::1".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:bbbb::9".parse().unwrap();
        let c: IpAddr = "2001:db8:1:3::1".parse().unwrap();
        assert_eq!(Caller::address(a), Caller::address(b));
        assert_ne!(Caller::address(a), Caller::address(c));
        let mapped: IpAddr = "::ffff:192.0.2.7".parse().unwrap();
        assert_eq!(
            Caller::address(mapped),
            Caller::Address("192.0.2.7".parse().unwrap())
        );
        assert_eq!(Caller::Token(0).to_string(), "token #1");
    }

    #[test]
    fn each_caller_gets_its_own_share_and_is_forgotten_when_done() {
        let limiter = PerCaller::new(2);
        let (a, b) = (Caller::Token(0), Caller::Token(1));
        let a1 = limiter.try_acquire(a).unwrap();
        let a2 = limiter.try_acquire(a).unwrap();
        assert!(limiter.try_acquire(a).is_none(), "a holds both of its own");
        let b1 = limiter.try_acquire(b).unwrap();
        assert_eq!(limiter.callers(), 2);
        drop(a1);
        let a3 = limiter.try_acquire(a).unwrap();
        drop((a2, a3, b1));
        assert_eq!(
            limiter.callers(),
            0,
            "no entry is kept for a caller holding none"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn waiting_is_first_come_and_a_cancelled_wait_leaves_nothing() {
        let limiter = PerCaller::new(1);
        let a = Caller::Token(0);
        let held = limiter.acquire(a).await.unwrap();
        let waited = tokio::time::timeout(Duration::from_millis(20), limiter.acquire(a)).await;
        assert!(waited.is_err(), "a second permit waits");
        let next = {
            let limiter = limiter.clone();
            tokio::spawn(async move { limiter.acquire(a).await.is_some() })
        };
        tokio::task::yield_now().await;
        drop(held);
        assert!(next.await.unwrap());
        assert_eq!(limiter.callers(), 0);
    }
}
