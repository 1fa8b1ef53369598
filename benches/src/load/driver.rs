//! The driver loop: concurrent clients posting a list of bodies, and the bodies themselves.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use crate::payload_for;

use super::report::Measured;

/// Sends `bodies` to `url` from `concurrency` clients; returns what was measured (no CPU/RSS).
pub(super) async fn drive(
    client: &reqwest::Client,
    url: &str,
    bearer: Option<&str>,
    bodies: Arc<Vec<String>>,
    concurrency: usize,
    time_limit: Duration,
) -> Measured {
    let next = Arc::new(AtomicUsize::new(0));
    let deadline = Instant::now() + time_limit;
    let start = Instant::now();
    let mut tasks = Vec::with_capacity(concurrency);
    for _ in 0..concurrency {
        let client = client.clone();
        let url = url.to_owned();
        let bearer = bearer.map(|b| format!("Bearer {b}"));
        let bodies = Arc::clone(&bodies);
        let next = Arc::clone(&next);
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            let mut errors: BTreeMap<u16, usize> = BTreeMap::new();
            let mut first_error = None;
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= bodies.len() || Instant::now() > deadline {
                    break;
                }
                let mut request = client
                    .post(&url)
                    .header("content-type", "application/json")
                    .body(bodies[i].clone());
                if let Some(b) = &bearer {
                    request = request.header("authorization", b);
                }
                let sent = Instant::now();
                let outcome = match request.send().await {
                    Ok(r) => {
                        let status = r.status().as_u16();
                        let body = r.bytes().await.unwrap_or_default();
                        Ok((status, body))
                    }
                    Err(e) => Err(e),
                };
                latencies.push(sent.elapsed());
                match outcome {
                    Ok((status, _)) if (200..300).contains(&status) => {}
                    Ok((status, body)) => {
                        *errors.entry(status).or_default() += 1;
                        first_error.get_or_insert_with(|| {
                            String::from_utf8_lossy(&body[..body.len().min(300)]).into_owned()
                        });
                    }
                    Err(e) => {
                        *errors.entry(0).or_default() += 1;
                        first_error.get_or_insert_with(|| e.to_string());
                    }
                }
            }
            (latencies, errors, first_error)
        }));
    }
    let mut m = Measured::default();
    for t in tasks {
        let Ok((lat, errs, first)) = t.await else {
            continue;
        };
        m.latencies.extend(lat);
        for (k, v) in errs {
            *m.errors.entry(k).or_default() += v;
        }
        if m.first_error.is_none() {
            m.first_error = first;
        }
    }
    m.elapsed = start.elapsed();
    m.requests = m.latencies.len();
    m.ok = m.requests - m.errors.values().sum::<usize>();
    m
}

/// `count` payloads named `<prefix>-<i>`; with `distinct_uris` each one's destination has its
/// own path (`<uri>/<prefix>-<i>`), so no two requests probe the same endpoint.
pub(super) fn bodies(
    prefix: &str,
    count: usize,
    uri: &str,
    distinct_uris: bool,
) -> Arc<Vec<String>> {
    Arc::new(
        (0..count)
            .map(|i| {
                let name = format!("{prefix}-{i:06}");
                let uri = if distinct_uris {
                    format!("{uri}/{name}")
                } else {
                    uri.to_owned()
                };
                payload_for(&name, &uri, &[]).to_wire_json()
            })
            .collect(),
    )
}
