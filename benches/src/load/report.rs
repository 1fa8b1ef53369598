//! What a driven scenario measured, and how it is printed and written as JSON.

use std::collections::BTreeMap;
use std::time::Duration;

use super::services::Received;

/// What one driven scenario measured.
#[derive(Debug, Clone, Default)]
pub(super) struct Measured {
    pub(super) name: String,
    pub(super) requests: usize,
    pub(super) ok: usize,
    pub(super) errors: BTreeMap<u16, usize>,
    pub(super) first_error: Option<String>,
    pub(super) elapsed: Duration,
    pub(super) latencies: Vec<Duration>,
    pub(super) cpu_secs: Option<f64>,
    /// The system (kernel) part of `cpu_secs`.
    pub(super) cpu_system_secs: Option<f64>,
    pub(super) peak_rss_kib: Option<u64>,
    pub(super) handshakes: usize,
    /// CPU seconds of this process (the driver, the mock Genesys and the destination).
    pub(super) load_cpu_secs: Option<f64>,
    /// Share of the machine's CPU time that was busy during the measurement.
    pub(super) machine_busy: Option<f64>,
    /// The machine's 1-minute load average just before the measurement.
    pub(super) load_average: Option<f64>,
    /// What the driver's OTLP receiver got from the service during the measurement.
    pub(super) otlp: Option<Received>,
}

impl Measured {
    pub(super) fn throughput(&self) -> f64 {
        self.ok as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }

    pub(super) fn percentile(&self, p: f64) -> Duration {
        if self.latencies.is_empty() {
            return Duration::ZERO;
        }
        let mut sorted = self.latencies.clone();
        sorted.sort_unstable();
        let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
        sorted[rank.clamp(1, sorted.len()) - 1]
    }

    /// The service's CPU time (user + system) per successful request, in microseconds.
    pub(super) fn cpu_us_per_request(&self) -> Option<f64> {
        self.cpu_secs.map(|s| s * 1e6 / self.ok.max(1) as f64)
    }

    pub(super) fn handshakes_per_request(&self) -> f64 {
        self.handshakes as f64 / self.ok.max(1) as f64
    }

    /// Spans the OTLP receiver got per successful request during the measurement.
    pub(super) fn spans_per_request(&self) -> Option<f64> {
        self.otlp.map(|r| r.spans as f64 / self.ok.max(1) as f64)
    }

    pub(super) fn print(&self) {
        let ms = |d: Duration| d.as_secs_f64() * 1000.0;
        println!(
            "{:<8} n={:<5} ok={:<5} err={:<4} {:>8.1} req/s  p50 {:>7.2} ms  p90 {:>7.2} ms  p99 {:>7.2} ms  cpu {}  peak RSS {}  TLS handshakes/req {:.2}",
            self.name,
            self.requests,
            self.ok,
            self.requests - self.ok,
            self.throughput(),
            ms(self.percentile(50.0)),
            ms(self.percentile(90.0)),
            ms(self.percentile(99.0)),
            self.cpu_secs
                .map_or_else(|| "-".to_owned(), |s| format!("{s:.2} s")),
            self.peak_rss_kib.map_or_else(
                || "-".to_owned(),
                |k| format!("{:.1} MiB", k as f64 / 1024.0)
            ),
            self.handshakes_per_request(),
        );
        println!(
            "         cpu per request {} (system {}); this process (driver, mock, destination) cpu {}; machine busy {}; load average before {}",
            self.cpu_us_per_request()
                .map_or_else(|| "-".to_owned(), |us| format!("{us:.0} us")),
            self.cpu_system_secs.map_or_else(
                || "-".to_owned(),
                |s| format!("{:.0} us", s * 1e6 / self.ok.max(1) as f64)
            ),
            self.load_cpu_secs
                .map_or_else(|| "-".to_owned(), |s| format!("{s:.2} s")),
            self.machine_busy
                .map_or_else(|| "-".to_owned(), |b| format!("{:.0}%", b * 100.0)),
            self.load_average
                .map_or_else(|| "-".to_owned(), |l| format!("{l:.2}")),
        );
        if let Some(r) = self.otlp {
            println!(
                "         OTLP receiver: {} exports, {} spans ({:.1} per request), {:.0} bytes per request",
                r.requests,
                r.spans,
                self.spans_per_request().unwrap_or_default(),
                r.bytes as f64 / self.ok.max(1) as f64
            );
        }
        if !self.errors.is_empty() {
            println!(
                "         errors by status: {:?}; first: {}",
                self.errors,
                self.first_error.as_deref().unwrap_or("")
            );
        }
    }

    pub(super) fn to_json(&self) -> serde_json::Value {
        let ms = |d: Duration| d.as_secs_f64() * 1000.0;
        serde_json::json!({
            "scenario": self.name,
            "requests": self.requests,
            "ok": self.ok,
            "errors": self.errors.iter().map(|(k, v)| (k.to_string(), *v)).collect::<BTreeMap<_, _>>(),
            "elapsed_s": self.elapsed.as_secs_f64(),
            "throughput_rps": self.throughput(),
            "p50_ms": ms(self.percentile(50.0)),
            "p90_ms": ms(self.percentile(90.0)),
            "p99_ms": ms(self.percentile(99.0)),
            "cpu_s": self.cpu_secs,
            "cpu_us_per_request": self.cpu_us_per_request(),
            "cpu_system_s": self.cpu_system_secs,
            "load_average_before": self.load_average,
            "peak_rss_kib": self.peak_rss_kib,
            "tls_handshakes_per_request": self.handshakes_per_request(),
            "load_process_cpu_s": self.load_cpu_secs,
            "machine_busy": self.machine_busy,
            "otlp_exports": self.otlp.map(|r| r.requests),
            "otlp_spans": self.otlp.map(|r| r.spans),
            "otlp_bytes": self.otlp.map(|r| r.bytes),
        })
    }
}

/// Prints and returns `a / b`, labelled.
pub(super) fn ratio_line(label: &str, a: f64, b: f64) -> f64 {
    let r = a / b;
    println!("{label}: {r:.2}x");
    r
}
