//! CPU time, peak memory and machine load, read from `/proc`.

use super::report::Measured;

/// Clock ticks per second of `/proc/<pid>/stat` times.
pub(super) fn clock_ticks() -> f64 {
    std::process::Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|s| s.trim().parse::<f64>().ok())
        .unwrap_or(100.0)
}

/// utime + stime of `pid`, in seconds.
pub(super) fn cpu_seconds(pid: u32, ticks: f64) -> Option<f64> {
    cpu_times(pid, ticks).map(|(user, system)| user + system)
}

/// (utime, stime) of `pid`, in seconds.
pub(super) fn cpu_times(pid: u32, ticks: f64) -> Option<(f64, f64)> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
    let rest = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let utime: f64 = fields.get(11)?.parse().ok()?;
    let stime: f64 = fields.get(12)?.parse().ok()?;
    Some((utime / ticks, stime / ticks))
}

/// VmHWM (peak resident set) of `pid`, in KiB.
pub(super) fn peak_rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
}

/// (busy, total) jiffies of the whole machine, from the first line of `/proc/stat`.
pub(super) fn machine_jiffies() -> Option<(u64, u64)> {
    let stat = std::fs::read_to_string("/proc/stat").ok()?;
    let line = stat.lines().next()?.strip_prefix("cpu ")?;
    let v: Vec<u64> = line
        .split_whitespace()
        .filter_map(|f| f.parse().ok())
        .collect();
    let total: u64 = v.iter().take(8).sum();
    let idle = v.get(3)? + v.get(4).copied().unwrap_or(0);
    Some((total - idle, total))
}

/// The 1-minute load average of the machine (`/proc/loadavg`).
pub(super) fn load_average() -> Option<f64> {
    std::fs::read_to_string("/proc/loadavg")
        .ok()?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

/// Samples taken before a measurement, turned into figures after it.
pub(super) struct CpuWatch {
    ticks: f64,
    service: Option<(u32, (f64, f64))>,
    own: Option<f64>,
    machine: Option<(u64, u64)>,
    load_average: Option<f64>,
}

impl CpuWatch {
    pub(super) fn start(service_pid: Option<u32>, ticks: f64) -> Self {
        Self {
            ticks,
            service: service_pid.and_then(|p| cpu_times(p, ticks).map(|c| (p, c))),
            own: cpu_seconds(std::process::id(), ticks),
            machine: machine_jiffies(),
            load_average: load_average(),
        }
    }

    pub(super) fn finish(&self, m: &mut Measured) {
        if let Some((pid, (user, system))) = self.service
            && let Some((user_after, system_after)) = cpu_times(pid, self.ticks)
        {
            m.cpu_secs = Some(user_after - user + system_after - system);
            m.cpu_system_secs = Some(system_after - system);
        }
        m.load_average = self.load_average;
        m.load_cpu_secs = self
            .own
            .zip(cpu_seconds(std::process::id(), self.ticks))
            .map(|(b, a)| a - b);
        m.machine_busy = self
            .machine
            .zip(machine_jiffies())
            .map(|((b0, t0), (b1, t1))| (b1 - b0) as f64 / (t1 - t0).max(1) as f64);
    }
}
