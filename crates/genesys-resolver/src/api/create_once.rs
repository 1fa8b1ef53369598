//! Create-once, written once: a create whose outcome is unknown is looked up before it is sent
//! again, so a lost response never makes a second entity.

use std::fmt::Display;
use std::future::Future;
use std::time::Duration;

use super::error::ClientError;
use super::request::{ApiRequest, ApiResponse};
use super::transport::{Failure, GenesysClient};

/// What to do when the lookup after an unknown outcome fails itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum IfLookupFails {
    /// Take it as "not there" and send the create again (within the retry policy).
    Resend,
    /// Give up with the create's error (retryable: running again later is safe).
    GiveUp,
}

/// How a create ended.
#[derive(Debug)]
pub(crate) enum Created<T> {
    /// The create's own success response.
    Sent(Box<ApiResponse>),
    /// A create whose response was lost, found by the lookup.
    Found(T),
}

impl GenesysClient {
    /// Sends the create `request` at most as often as the retry policy allows, never blindly
    /// twice. Failures that are safe to repeat (429, 503, a refused connection) are retried by
    /// the transport. When the outcome is unknown (a timeout or broken connection after
    /// sending, a 502 or 504), `lookup` looks for the entity `name` first: one found is the
    /// result ([`Created::Found`]); only when there is none is the create sent again. A 409
    /// conflict after such an unknown outcome is looked up the same way and never resent.
    ///
    /// One retry budget covers the transport's retries and the resends.
    pub(crate) async fn create_once<T, L, F, E>(
        &self,
        name: &str,
        request: &ApiRequest,
        if_lookup_fails: IfLookupFails,
        lookup: L,
    ) -> Result<Created<T>, ClientError>
    where
        L: Fn() -> F + Send + Sync,
        F: Future<Output = Result<Option<T>, E>> + Send,
        E: Display + Send,
        T: Send,
    {
        let request = request.clone().resend_on_unknown_outcome(false);
        let mut state = self.retry_policy().start();
        let mut after_unknown = false;
        loop {
            let error = match self.execute_with(&request, &mut state).await {
                Ok(response) => return Ok(Created::Sent(Box::new(response))),
                Err(e) => e,
            };
            let conflict_after_unknown = after_unknown && error.status() == Some(409);
            if !error.is_outcome_unknown() && !conflict_after_unknown {
                return Err(error);
            }
            tracing::warn!(
                name,
                error = %error,
                "create outcome unknown: looking it up before sending again"
            );
            // The listing lags behind a create for a while: "not there" is believed only once
            // it has said so for the whole recovery window.
            let looked_from = tokio::time::Instant::now();
            let mut pause = Duration::from_millis(100);
            loop {
                match lookup().await {
                    Ok(Some(found)) => {
                        tracing::info!(name, "lost create recovered by lookup");
                        return Ok(Created::Found(found));
                    }
                    Ok(None) if looked_from.elapsed() + pause <= self.inner.recovery_window => {
                        tokio::time::sleep(pause).await;
                        pause = (pause * 2).min(Duration::from_secs(1));
                    }
                    Ok(None) => break,
                    Err(lookup_error) => {
                        tracing::warn!(name, error = %lookup_error, "lookup after a lost create failed");
                        if if_lookup_fails == IfLookupFails::GiveUp {
                            return Err(error);
                        }
                        break;
                    }
                }
            }
            if conflict_after_unknown {
                return Err(error);
            }
            after_unknown = true;
            let method = request.method().clone();
            let path = request.path.clone();
            self.wait_to_retry(&mut state, Failure::of(error), &method, &path)
                .await?;
        }
    }
}
