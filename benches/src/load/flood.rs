//! The `flood` scenario: what legitimate callers get from one `resolver_service` (tokens
//! required) without, then with, a concurrent flood of hostile connections: `--flood-idle`
//! idle connections (2,000 by default) and `--flood-stalled` stalled bodies (200) from a caller
//! holding a valid token of its own. A flood connection the service lets go is opened again a
//! second later, so the flood keeps its size while the legitimate clients are measured.

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::task::JoinHandle;

use super::report::Measured;
use super::services::{Bench, Service};

/// The hostile connections, until dropped.
struct Flood {
    tasks: Vec<JoinHandle<()>>,
    connects: Arc<AtomicUsize>,
}

impl Drop for Flood {
    fn drop(&mut self) {
        for t in &self.tasks {
            t.abort();
        }
    }
}

impl Flood {
    fn start(port: u16, idle: usize, stalled: usize, token: &str) -> Self {
        let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
        let connects = Arc::new(AtomicUsize::new(0));
        let head: Arc<str> = format!(
            "POST /resolve HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\n\
             Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{{\"na",
            (1 << 20) - 10
        )
        .into();
        let tasks = (0..idle + stalled)
            .map(|i| {
                let opening: Arc<str> = if i < idle { "".into() } else { head.clone() };
                tokio::spawn(hostile(addr, opening, connects.clone()))
            })
            .collect();
        Self { tasks, connects }
    }

    fn connects(&self) -> usize {
        self.connects.load(Ordering::Relaxed)
    }
}

/// Keeps one connection open that sends `opening` and then nothing; opens it again a second
/// after the service closes it.
async fn hostile(addr: SocketAddr, opening: Arc<str>, connects: Arc<AtomicUsize>) {
    let mut buf = [0_u8; 1024];
    loop {
        if let Ok(mut s) = TcpStream::connect(addr).await {
            connects.fetch_add(1, Ordering::Relaxed);
            if s.write_all(opening.as_bytes()).await.is_ok() {
                while matches!(s.read(&mut buf).await, Ok(n) if n > 0) {}
            }
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

fn open_fds(pid: u32) -> usize {
    std::fs::read_dir(format!("/proc/{pid}/fd")).map_or(0, Iterator::count)
}

/// The one-minute load average, from `/proc/loadavg`.
fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|l| l.split_whitespace().next().map(str::to_owned))
        .unwrap_or_else(|| "-".to_owned())
}

impl Bench<'_> {
    /// The `flood` scenario for `service` (whose clients send `legit` tokens; the flood's
    /// stalled bodies carry `attacker`): the measurement without the flood, then with it.
    pub(super) async fn run_flood(
        &self,
        service: &Service<'_>,
        attacker: &str,
    ) -> Result<(Measured, Measured), String> {
        let o = self.options;
        let limit = raise_own_file_limit();
        let needed = o.flood_idle + o.flood_stalled + o.concurrency + 256;
        if limit < needed as u64 {
            return Err(format!(
                "the flood needs about {needed} open files here; the limit is {limit}"
            ));
        }
        let mut started = self.start(service).await?;
        let quiet_load = load_average();
        let quiet = self.measure(&started, service, "quiet").await?;
        let before = open_fds(started.pid);
        let flood = Flood::start(started.port, o.flood_idle, o.flood_stalled, attacker);
        let size = o.flood_idle + o.flood_stalled;
        // Until the flood is connected and the service holds it (a service that refuses
        // connections never does: then after 15 s, and the figures say what it held).
        let deadline = Instant::now() + Duration::from_secs(15);
        while (flood.connects() < size || open_fds(started.pid) < before + size * 95 / 100)
            && Instant::now() < deadline
        {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let held = open_fds(started.pid);
        let flooded_load = load_average();
        let flooded = self.measure(&started, service, "flooded").await?;
        eprintln!(
            "flood: {} idle and {} stalled-body connections ({} opened in all); the service held \
             {held} descriptors as the measurement began, {} as it ended; load average {quiet_load} \
             before the quiet run, {flooded_load} before the flooded one",
            o.flood_idle,
            o.flood_stalled,
            flood.connects(),
            open_fds(started.pid),
        );
        drop(flood);
        let _ = started.child.kill().await;
        self.check_creates(&started, &[&quiet, &flooded], service.name);
        Ok((quiet, flooded))
    }
}

/// Raises this process's soft open-file limit to its hard limit; returns the limit in force.
fn raise_own_file_limit() -> u64 {
    rlimit::increase_nofile_limit(u64::MAX).unwrap_or(0)
}
