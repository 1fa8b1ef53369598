//! What EventBridge would do with a destination's answer: [`Verdict`], and the classification
//! of an attempt by its status (EventBridge User Guide, `eb-api-destinations`: 429 and 5xx are
//! retried, as are timeouts and failed connections; 1xx, 3xx and the other 4xx are not, and
//! the event goes to the target's dead-letter queue when it has one, else it is dropped).

use std::fmt;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::names::named_enum;

named_enum! {
    /// EventBridge's verdict for one destination's delivery of one event.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
    #[non_exhaustive]
    pub enum Verdict {
        /// Not sent (no `send`): the request is shown, nothing is judged.
        NotSent = "not_sent",
        /// A 2xx answer: delivered.
        Delivered = "delivered",
        /// 429, 5xx, a timeout or a failed connection: EventBridge retries, within the target's
        /// retry policy (attempts and event age).
        Retried = "retried",
        /// Another 4xx, a 1xx or a 3xx, and no dead-letter queue: the event is dropped.
        Dropped = "dropped",
        /// Another 4xx, a 1xx or a 3xx: the event goes to the dead-letter queue.
        DeadLettered = "dead_lettered",
        /// The event is larger than EventBridge takes (256 KiB): it never reaches a rule.
        TooLarge = "too_large",
        /// Not sent: the destination fails the address policy (every address is checked, as
        /// the probe checks them), or its URI cannot be reached at all.
        Refused = "refused",
    }
}

impl Verdict {
    /// Whether the event reaches (or, unsent, may reach) the destination: `delivered` and
    /// `not_sent`.
    pub fn is_delivered(self) -> bool {
        matches!(self, Self::Delivered | Self::NotSent)
    }
}

/// The retry policy of the route's targets, and where refused events go.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RetryBudget {
    /// `MaximumRetryAttempts`.
    pub max_attempts: i32,
    /// `MaximumEventAgeInSeconds`.
    pub max_event_age_secs: i32,
    /// Whether the targets have a dead-letter queue.
    pub dead_letter_queue: bool,
}

/// How one attempt ended, as far as EventBridge's verdict is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Ending {
    /// The destination answered with this status.
    Status(u16),
    /// No answer within the attempt limit.
    TimedOut,
    /// No connection, TLS or HTTP exchange (or no OAuth token).
    Failed,
}

/// EventBridge's verdict for an attempt that ended so, under `budget`, with the reason in words.
pub(super) fn judge(ending: Ending, budget: &RetryBudget, limit: Duration) -> (Verdict, String) {
    let retried = |why: String| {
        let within = if budget.max_attempts == 0 {
            "the retry policy allows no retry, so it is then dropped or dead-lettered".to_owned()
        } else {
            format!(
                "up to {} retries within {} s of the event's age",
                budget.max_attempts, budget.max_event_age_secs
            )
        };
        (
            Verdict::Retried,
            format!("{why}: EventBridge retries ({within})"),
        )
    };
    let refused = |why: String| {
        if budget.dead_letter_queue {
            (
                Verdict::DeadLettered,
                format!("{why}: not retried; the event goes to the dead-letter queue"),
            )
        } else {
            (
                Verdict::Dropped,
                format!("{why}: not retried; the event is dropped (no dead-letter queue)"),
            )
        }
    };
    match ending {
        Ending::Status(s) if (200..300).contains(&s) => {
            (Verdict::Delivered, format!("HTTP {s}: delivered"))
        }
        Ending::Status(s) if s == 429 || s >= 500 => retried(format!("HTTP {s}")),
        Ending::Status(s) => refused(format!("HTTP {s}")),
        Ending::TimedOut => retried(format!("timed out after {} s", limit.as_secs_f64())),
        Ending::Failed => retried("no answer".to_owned()),
    }
}

impl fmt::Display for RetryBudget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} retries, {} s event age, {}",
            self.max_attempts,
            self.max_event_age_secs,
            if self.dead_letter_queue {
                "dead-letter queue"
            } else {
                "no dead-letter queue"
            }
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn budget(dlq: bool) -> RetryBudget {
        RetryBudget {
            max_attempts: 3,
            max_event_age_secs: 60,
            dead_letter_queue: dlq,
        }
    }

    #[test]
    fn statuses_get_eventbridge_verdicts() {
        let limit = Duration::from_secs(5);
        let v = |e, dlq| judge(e, &budget(dlq), limit).0;
        assert_eq!(v(Ending::Status(200), false), Verdict::Delivered);
        assert_eq!(v(Ending::Status(204), true), Verdict::Delivered);
        assert_eq!(v(Ending::Status(429), false), Verdict::Retried);
        assert_eq!(v(Ending::Status(503), false), Verdict::Retried);
        assert_eq!(v(Ending::TimedOut, false), Verdict::Retried);
        assert_eq!(v(Ending::Failed, false), Verdict::Retried);
        for s in [100, 301, 400, 401, 403, 404, 405, 413] {
            assert_eq!(v(Ending::Status(s), false), Verdict::Dropped, "{s}");
            assert_eq!(v(Ending::Status(s), true), Verdict::DeadLettered, "{s}");
        }
        let (_, why) = judge(Ending::TimedOut, &budget(false), limit);
        assert!(why.contains("timed out after 5 s"), "{why}");
        assert!(why.contains("3 retries"), "{why}");
    }
}
