//! Single flight and cache: callers probing the same endpoint at once share one probe task, and
//! with a cache TTL a repeated probe is served from the last report.

use std::sync::Arc;
use std::time::Instant;

use futures_util::future::FutureExt;
use tracing::Instrument;
use url::Url;

use super::EndpointProber;
use super::prober::{Inner, Prober, SharedProbe};
use super::report::{ProbeFailure, ProbeReport};

impl Prober {
    /// Drops every cached result.
    pub fn clear_cache(&self) {
        if let Ok(mut cache) = self.inner.cache.lock() {
            cache.clear();
        }
    }

    fn cached(&self, key: &str) -> Option<ProbeReport> {
        let ttl = self.inner.cache_ttl?;
        let cache = self.inner.cache.lock().ok()?;
        let (at, report) = cache.get(key)?;
        (at.elapsed() < ttl).then(|| {
            let mut report = report.clone();
            report.from_cache = true;
            report
        })
    }

    /// The in-flight probe of `key`, joining one already running or starting one. The probe
    /// runs in its own task, so a caller that gives up (drops its future) leaves it to finish
    /// for the others, bounded by its timeouts; the task removes its own entry when done.
    fn join_or_start(&self, key: &str, uri: &str) -> SharedProbe {
        let Ok(mut inflight) = self.inner.inflight.lock() else {
            // A poisoned map only means another caller panicked mid-insert; probe unshared.
            let inner = Arc::clone(&self.inner);
            let uri = uri.to_owned();
            return async move { inner.run(&uri).await }
                .in_current_span()
                .boxed()
                .shared();
        };
        if let Some(running) = inflight.get(key) {
            return running.clone();
        }
        let inner = Arc::clone(&self.inner);
        let task_key = key.to_owned();
        let task_uri = uri.to_owned();
        let task = tokio::spawn(
            async move {
                let _entry = InflightEntry {
                    inner: Arc::clone(&inner),
                    key: task_key.clone(),
                };
                // No budget shared by every caller: each `probe_all` bounds its own endpoints, so one
                // caller's slow destinations never delay another caller's probes.
                // Boxed: the probe's future is kilobytes, and the task's own future is moved on
                // its way into the runtime; this way only a pointer is.
                let report = Box::pin(inner.run(&task_uri)).await;
                inner.store(&task_key, &report);
                report
            }
            // The probe's span is a child of the span of the caller that started it.
            .in_current_span(),
        );
        // The redacted URI is needed only if the task fails; keep the raw one until then.
        let report_uri = uri.to_owned();
        let shared = async move {
            task.await.unwrap_or_else(|e| {
                let mut report = ProbeReport::new(crate::redact::uri(&report_uri));
                report.failure = Some(ProbeFailure::Internal {
                    message: e.to_string(),
                });
                report
            })
        }
        .boxed()
        .shared();
        inflight.insert(key.to_owned(), shared.clone());
        shared
    }
}

/// Removes an in-flight entry when its task ends, however it ends.
struct InflightEntry {
    inner: Arc<Inner>,
    key: String,
}

impl Drop for InflightEntry {
    fn drop(&mut self) {
        if let Ok(mut inflight) = self.inner.inflight.lock() {
            inflight.remove(&self.key);
        }
    }
}

#[async_trait::async_trait]
impl EndpointProber for Prober {
    async fn probe(&self, uri: &str) -> ProbeReport {
        let key = Url::parse(uri.trim()).map_or_else(|_| uri.to_owned(), |u| u.to_string());
        if let Some(hit) = self.cached(&key) {
            tracing::debug!(uri = %hit.uri, "probe served from cache");
            return hit;
        }
        self.join_or_start(&key, uri).await
    }

    fn concurrency(&self) -> usize {
        self.inner.concurrency
    }
}

impl Inner {
    fn store(&self, key: &str, report: &ProbeReport) {
        let Some(ttl) = self.cache_ttl else { return };
        if let Ok(mut cache) = self.cache.lock() {
            cache.retain(|_, (at, _)| at.elapsed() < ttl);
            cache.insert(key.to_owned(), (Instant::now(), report.clone()));
        }
    }
}
