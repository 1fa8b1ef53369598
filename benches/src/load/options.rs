//! The load driver's command line.

use std::path::PathBuf;
use std::time::Duration;

/// The usage text printed on `--help` or a bad option.
pub(super) const USAGE: &str = "\
usage: load [options]
  --requests N           measured requests per scenario (default 2000)
  --concurrency C        concurrent clients (default 32)
  --warmup W             unmeasured requests before each scenario (default 200)
  --time-limit SECS      stop a scenario's measurement after this long (default 120)
  --scenarios LIST       comma-separated: seed,full,auth,otlp,auth_otlp,redis,shared,cached,
                         ceiling,flood,paced,fanout
                         (default all but otlp and auth_otlp; with --baseline: seed,full)
  --service PATH         resolver_service binary (default target/release/resolver_service)
  --baseline PATH        an older resolver_service binary: run it, the current one (each chosen
                         scenario of full, auth, otlp, auth_otlp) and the seed (if chosen) in
                         alternating rounds, and print each round's figures and ratios, then
                         the medians of each configuration and every run as Markdown tables
  --rounds R             rounds of the --baseline comparison (default 3)
  --wrap CMD             run our services (current and baseline) under CMD, split at spaces
                         (e.g. 'valgrind --tool=callgrind --instr-atstart=no')
  --callgrind            with --wrap valgrind --tool=callgrind: switch instrumentation on after
                         the warm-up (callgrind_control -i on) and dump after the measured
                         requests (callgrind_control -d), so the profile holds exactly those
  --seed PATH            the seed's Go binary (default /tmp/seed-resolver)
  --redis-server PATH    redis-server binary for the redis scenario (default redis-server)
  --paced-requests M     payloads of the paced run (default 200)
  --paced-rate R         creates per second the mock allows in the paced run (default 20)
  --paced-concurrency K  resolve_many concurrency of the paced run (default 8)
  --paced-headroom F     fraction of R the client's write limiter is set to (default 0.98)
  --flood-idle N         idle connections of the flood scenario (default 2000)
  --flood-stalled M      stalled bodies of the flood scenario (default 200)
  --service-cpus LIST    run each service under `taskset -c LIST` (e.g. 1; default: no pinning)
  --json PATH            also write the results as JSON to PATH
";

#[derive(Debug, Clone)]
/// The command line of the load driver.
pub(super) struct Options {
    pub(super) requests: usize,
    pub(super) concurrency: usize,
    pub(super) warmup: usize,
    pub(super) time_limit: Duration,
    pub(super) scenarios: Vec<String>,
    pub(super) service: PathBuf,
    pub(super) baseline: Option<PathBuf>,
    pub(super) rounds: usize,
    pub(super) wrap: Vec<String>,
    pub(super) callgrind: bool,
    pub(super) seed: PathBuf,
    pub(super) redis_server: PathBuf,
    pub(super) paced_requests: usize,
    pub(super) paced_rate: u32,
    pub(super) paced_concurrency: usize,
    pub(super) paced_headroom: f64,
    pub(super) flood_idle: usize,
    pub(super) flood_stalled: usize,
    pub(super) service_cpus: Option<String>,
    pub(super) json: Option<PathBuf>,
}

impl Options {
    /// Parses the process's arguments; `Err("")` for `--help`.
    pub(super) fn parse() -> Result<Self, String> {
        let mut o = Self {
            requests: 2000,
            concurrency: 32,
            warmup: 200,
            time_limit: Duration::from_secs(120),
            scenarios: Vec::new(),
            service: PathBuf::from("target/release/resolver_service"),
            baseline: None,
            rounds: 3,
            wrap: Vec::new(),
            callgrind: false,
            seed: PathBuf::from("/tmp/seed-resolver"),
            redis_server: PathBuf::from("redis-server"),
            paced_requests: 200,
            paced_rate: 20,
            paced_concurrency: 8,
            paced_headroom: 0.98,
            flood_idle: 2000,
            flood_stalled: 200,
            service_cpus: None,
            json: None,
        };
        let mut args = std::env::args().skip(1);
        while let Some(flag) = args.next() {
            if flag == "-h" || flag == "--help" {
                return Err(String::new());
            }
            if flag == "--callgrind" {
                o.callgrind = true;
                continue;
            }
            let value = args.next().ok_or_else(|| format!("{flag} needs a value"))?;
            let num = |v: &str| v.parse::<usize>().map_err(|e| format!("{flag} {v:?}: {e}"));
            match flag.as_str() {
                "--requests" => o.requests = num(&value)?.max(1),
                "--concurrency" => o.concurrency = num(&value)?.max(1),
                "--warmup" => o.warmup = num(&value)?,
                "--time-limit" => o.time_limit = Duration::from_secs(num(&value)? as u64),
                "--scenarios" => {
                    o.scenarios = value.split(',').map(|s| s.trim().to_owned()).collect();
                }
                "--service" => o.service = PathBuf::from(value),
                "--baseline" => o.baseline = Some(PathBuf::from(value)),
                "--rounds" => o.rounds = num(&value)?.max(1),
                "--wrap" => o.wrap = value.split_whitespace().map(String::from).collect(),
                "--seed" => o.seed = PathBuf::from(value),
                "--redis-server" => o.redis_server = PathBuf::from(value),
                "--paced-requests" => o.paced_requests = num(&value)?.max(1),
                "--paced-rate" => {
                    o.paced_rate = u32::try_from(num(&value)?.max(1))
                        .map_err(|e| format!("--paced-rate: {e}"))?;
                }
                "--paced-concurrency" => o.paced_concurrency = num(&value)?.max(1),
                "--paced-headroom" => {
                    o.paced_headroom = value
                        .parse::<f64>()
                        .ok()
                        .filter(|f| *f > 0.0 && *f <= 1.0)
                        .ok_or_else(|| format!("--paced-headroom {value:?}: 0 < F <= 1"))?;
                }
                "--flood-idle" => o.flood_idle = num(&value)?,
                "--flood-stalled" => o.flood_stalled = num(&value)?,
                "--service-cpus" => o.service_cpus = Some(value),
                "--json" => o.json = Some(PathBuf::from(value)),
                other => return Err(format!("unknown option {other}")),
            }
        }
        if o.callgrind && o.wrap.is_empty() {
            return Err("--callgrind needs --wrap 'valgrind --tool=callgrind ...'".to_owned());
        }
        if o.scenarios.is_empty() {
            let default: &[&str] = if o.baseline.is_some() {
                &["seed", "full"]
            } else {
                &[
                    "seed", "full", "auth", "redis", "shared", "cached", "ceiling", "flood",
                    "paced", "fanout",
                ]
            };
            o.scenarios = default.iter().map(|s| (*s).to_owned()).collect();
        }
        Ok(o)
    }

    /// Whether `scenario` is to run.
    pub(super) fn wants(&self, scenario: &str) -> bool {
        self.scenarios.iter().any(|s| s == scenario)
    }
}
