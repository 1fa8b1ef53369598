//! When and how long to wait before an API call is tried again.
//!
//! A [`RetryPolicy`] retries what can succeed on a second try: 429 Too Many Requests (honouring
//! `Retry-After`, in seconds or as an HTTP date), 502/503/504, connection failures and timeouts.
//! It never retries another 4xx. Delays grow exponentially with jitter (backon's
//! [`ExponentialBuilder`]), capped per wait and bounded by an overall deadline. A `Retry-After`
//! longer than [`RetryPolicy::max_retry_after`] is not waited out: the call fails at once with
//! the wait the server asked for.
//!
//! The rules for requests whose outcome is unknown (a create whose response was lost) live in
//! [`crate::api`]: such a request is never simply sent again.
//!
//! ```
//! use std::time::Duration;
//! use genesys_resolver::retry::RetryPolicy;
//!
//! let policy = RetryPolicy::default()
//!     .with_max_attempts(5)
//!     .with_base_delay(Duration::from_millis(200))
//!     .with_max_retry_after(Duration::from_secs(30));
//! assert_eq!(policy.max_attempts(), 5);
//! assert_eq!(RetryPolicy::default().max_attempts(), 3);
//! ```

use std::time::{Duration, SystemTime};

use backon::{BackoffBuilder, ExponentialBuilder};
use serde::Serialize;
use tokio::time::Instant;

use crate::outcome::RetryReason;

/// How an API call is retried. Cheap to copy; the defaults suit Genesys Cloud.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct RetryPolicy {
    max_attempts: u32,
    #[serde(with = "crate::durations::duration_ms")]
    base_delay: Duration,
    #[serde(with = "crate::durations::duration_ms")]
    max_delay: Duration,
    #[serde(with = "crate::durations::opt_duration_ms")]
    deadline: Option<Duration>,
    #[serde(with = "crate::durations::duration_ms")]
    max_retry_after: Duration,
    jitter: bool,
}

impl Default for RetryPolicy {
    /// 3 attempts (the seed's), 500 ms base delay doubling up to 8 s with jitter, a 120 s
    /// deadline, and `Retry-After` waited out up to 60 s.
    fn default() -> Self {
        Self {
            max_attempts: 3,
            base_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(8),
            deadline: Some(Duration::from_secs(120)),
            max_retry_after: Duration::from_secs(60),
            jitter: true,
        }
    }
}

impl RetryPolicy {
    /// A policy that sends every request once and never retries.
    pub fn never() -> Self {
        Self::default().with_max_attempts(1)
    }

    /// Sets how many times a request is sent in all (at least 1).
    #[must_use]
    pub fn with_max_attempts(mut self, attempts: u32) -> Self {
        self.max_attempts = attempts.max(1);
        self
    }

    /// Sets the first backoff delay; each further delay doubles it.
    #[must_use]
    pub fn with_base_delay(mut self, delay: Duration) -> Self {
        self.base_delay = delay;
        self
    }

    /// Caps one backoff delay (before jitter).
    #[must_use]
    pub fn with_max_delay(mut self, delay: Duration) -> Self {
        self.max_delay = delay;
        self
    }

    /// Sets the overall deadline of one call, retries included: no wait starts that would end
    /// after it. `None` for no deadline.
    #[must_use]
    pub fn with_deadline(mut self, deadline: Option<Duration>) -> Self {
        self.deadline = deadline;
        self
    }

    /// Sets the longest `Retry-After` the client waits out; a longer one fails the call at once.
    #[must_use]
    pub fn with_max_retry_after(mut self, wait: Duration) -> Self {
        self.max_retry_after = wait;
        self
    }

    /// Turns jitter on or off (on by default; off makes delays exact, for tests).
    #[must_use]
    pub fn with_jitter(mut self, on: bool) -> Self {
        self.jitter = on;
        self
    }

    /// How many times a request is sent in all.
    pub fn max_attempts(&self) -> u32 {
        self.max_attempts
    }

    /// The first backoff delay.
    pub fn base_delay(&self) -> Duration {
        self.base_delay
    }

    /// The cap of one backoff delay.
    pub fn max_delay(&self) -> Duration {
        self.max_delay
    }

    /// The overall deadline of one call.
    pub fn deadline(&self) -> Option<Duration> {
        self.deadline
    }

    /// The longest `Retry-After` waited out.
    pub fn max_retry_after(&self) -> Duration {
        self.max_retry_after
    }

    /// Whether delays carry jitter.
    pub fn jitter(&self) -> bool {
        self.jitter
    }

    /// The backoff delays between attempts (`max_attempts - 1` of them), from backon's
    /// exponential backoff.
    pub fn backoff(&self) -> impl Iterator<Item = Duration> + Send + Sync + use<> {
        let mut builder = ExponentialBuilder::new()
            .with_min_delay(self.base_delay)
            .with_max_delay(self.max_delay.max(self.base_delay))
            .with_factor(2.0)
            .with_max_times((self.max_attempts - 1) as usize);
        if self.jitter {
            builder = builder.with_jitter().with_jitter_seed(rand::random());
        }
        builder.build()
    }

    /// Starts tracking one call under this policy.
    pub fn start(&self) -> RetryState {
        RetryState {
            policy: *self,
            backoff: Box::new(self.backoff()),
            attempts: 1,
            started: Instant::now(),
        }
    }
}

/// Which retry rule, if any, applies to an HTTP status: 429 is [`RetryReason::RateLimited`],
/// 502/503/504 [`RetryReason::ServerError`]; everything else is not retried.
pub fn retry_reason(status: u16) -> Option<RetryReason> {
    match status {
        429 => Some(RetryReason::RateLimited),
        502..=504 => Some(RetryReason::ServerError),
        _ => None,
    }
}

/// Parses a `Retry-After` value: whole seconds, or an HTTP date (a date in the past means no
/// wait). `None` when the value is neither.
pub fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    // Some servers send fractional seconds; accept them when finite and non-negative.
    if let Ok(secs) = value.parse::<f64>() {
        return Duration::try_from_secs_f64(secs).ok();
    }
    let at = httpdate::parse_http_date(value).ok()?;
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}

/// What to do after a failed attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Decision {
    /// Wait this long, then try again.
    Wait(Duration),
    /// The server asked for a wait longer than the policy allows: give up at once.
    RetryAfterTooLong {
        /// The wait the server asked for.
        retry_after: Duration,
        /// The policy's limit.
        max_wait: Duration,
    },
    /// Every attempt is used, or the next wait would pass the deadline: give up.
    Exhausted,
}

/// The retry bookkeeping of one call: attempts made, backoff, deadline.
pub struct RetryState {
    policy: RetryPolicy,
    backoff: Box<dyn Iterator<Item = Duration> + Send + Sync>,
    attempts: u32,
    started: Instant,
}

impl std::fmt::Debug for RetryState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RetryState")
            .field("policy", &self.policy)
            .field("attempts", &self.attempts)
            .field("elapsed", &self.started.elapsed())
            .finish_non_exhaustive()
    }
}

impl RetryState {
    /// Attempts made so far (the first counts).
    pub fn attempts(&self) -> u32 {
        self.attempts
    }

    /// The policy being applied.
    pub fn policy(&self) -> &RetryPolicy {
        &self.policy
    }

    /// Decides whether another attempt may follow a failure, and after what wait. A
    /// `retry_after` from the server replaces the backoff delay; one beyond the policy's
    /// maximum ends the call at once. A `Wait` counts the next attempt.
    pub fn next(&mut self, retry_after: Option<Duration>) -> Decision {
        if let Some(ra) = retry_after
            && ra > self.policy.max_retry_after
        {
            return Decision::RetryAfterTooLong {
                retry_after: ra,
                max_wait: self.policy.max_retry_after,
            };
        }
        if self.attempts >= self.policy.max_attempts {
            return Decision::Exhausted;
        }
        let Some(backoff) = self.backoff.next() else {
            return Decision::Exhausted;
        };
        let wait = retry_after.unwrap_or(backoff);
        if let Some(deadline) = self.policy.deadline
            && self.started.elapsed() + wait > deadline
        {
            return Decision::Exhausted;
        }
        self.attempts += 1;
        Decision::Wait(wait)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_retried() {
        assert_eq!(retry_reason(429), Some(RetryReason::RateLimited));
        for s in [502, 503, 504] {
            assert_eq!(retry_reason(s), Some(RetryReason::ServerError));
        }
        for s in [400, 401, 403, 404, 409, 422, 500, 501] {
            assert_eq!(retry_reason(s), None, "{s}");
        }
    }

    #[test]
    fn retry_after_forms() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        assert_eq!(parse_retry_after("42", now), Some(Duration::from_secs(42)));
        assert_eq!(parse_retry_after(" 0 ", now), Some(Duration::ZERO));
        assert_eq!(
            parse_retry_after("1.5", now),
            Some(Duration::from_millis(1500))
        );
        let later = httpdate::fmt_http_date(now + Duration::from_secs(90));
        assert_eq!(
            parse_retry_after(&later, now),
            Some(Duration::from_secs(90))
        );
        let earlier = httpdate::fmt_http_date(now - Duration::from_secs(90));
        assert_eq!(parse_retry_after(&earlier, now), Some(Duration::ZERO));
        assert_eq!(parse_retry_after("soon", now), None);
        assert_eq!(parse_retry_after("-3", now), None);
    }

    #[test]
    fn backoff_doubles_up_to_the_cap() {
        let policy = RetryPolicy::default()
            .with_max_attempts(6)
            .with_base_delay(Duration::from_millis(100))
            .with_max_delay(Duration::from_millis(400))
            .with_jitter(false);
        let delays: Vec<_> = policy.backoff().map(|d| d.as_millis()).collect();
        assert_eq!(delays, [100, 200, 400, 400, 400]);
        let jittered = RetryPolicy::default()
            .with_base_delay(Duration::from_millis(100))
            .backoff()
            .next()
            .unwrap();
        assert!(jittered >= Duration::from_millis(100) && jittered <= Duration::from_millis(200));
    }

    #[test]
    fn state_counts_attempts_and_honours_retry_after() {
        let policy = RetryPolicy::default()
            .with_base_delay(Duration::from_millis(10))
            .with_jitter(false)
            .with_max_retry_after(Duration::from_secs(5));
        let mut state = policy.start();
        assert_eq!(
            state.next(Some(Duration::from_secs(2))),
            Decision::Wait(Duration::from_secs(2))
        );
        assert_eq!(state.next(None), Decision::Wait(Duration::from_millis(20)));
        assert_eq!(state.attempts(), 3);
        assert_eq!(state.next(None), Decision::Exhausted);
        let mut state = policy.start();
        assert_eq!(
            state.next(Some(Duration::from_secs(6))),
            Decision::RetryAfterTooLong {
                retry_after: Duration::from_secs(6),
                max_wait: Duration::from_secs(5)
            }
        );
    }

    #[test]
    fn deadline_stops_long_waits() {
        let policy = RetryPolicy::default()
            .with_deadline(Some(Duration::from_secs(1)))
            .with_max_retry_after(Duration::from_secs(10));
        let mut state = policy.start();
        assert_eq!(
            state.next(Some(Duration::from_secs(3))),
            Decision::Exhausted
        );
        assert_eq!(RetryPolicy::never().start().next(None), Decision::Exhausted);
    }
}
