//! `rediss://` against a real redis-server serving TLS on loopback (`--tls-port`, a
//! certificate from the test CA): leases work over TLS when the resolver trusts the CA
//! (`RESOLVER_CA_FILE`), a server it does not trust is refused, and `#insecure` (which the
//! Redis client reads as "skip verification") is refused before any connection.
//!
//! Needs `redis-server` built with TLS (Debian's is) on the PATH.

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use genesys_resolver::coordination::{
    CoordinationError, Coordinator, LeaseKey, RedisCoordinator, RedisOptions,
};
use genesys_resolver::settings::ResolverSettings;
use genesys_resolver::testkit::destination::{CertKind, TestCa};

/// A redis-server with TLS only (no plain port) on 127.0.0.1, killed when dropped.
struct TlsRedis {
    child: Child,
    port: u16,
    dir: tempfile::TempDir,
}

impl TlsRedis {
    fn start(ca: &TestCa) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let leaf = ca.issue(&CertKind::Valid, &["127.0.0.1".to_owned()]);
        let cert = dir.path().join("server.pem");
        let key = dir.path().join("server.key");
        std::fs::write(&cert, leaf.chain_pem()).unwrap();
        std::fs::write(&key, leaf.key_pem()).unwrap();
        let ca_file = ca.write_ca_pem(dir.path()).unwrap();
        for _ in 0..5 {
            let port = TcpListener::bind("127.0.0.1:0")
                .and_then(|l| l.local_addr())
                .unwrap()
                .port();
            let log = std::fs::File::create(dir.path().join("redis.log")).unwrap();
            let mut child = Command::new("redis-server")
                .args(["--port", "0", "--bind", "127.0.0.1"])
                .args(["--tls-port", &port.to_string()])
                .arg("--tls-cert-file")
                .arg(&cert)
                .arg("--tls-key-file")
                .arg(&key)
                .arg("--tls-ca-cert-file")
                .arg(&ca_file)
                .args(["--tls-auth-clients", "no"])
                .args(["--save", "", "--appendonly", "no"])
                .arg("--dir")
                .arg(dir.path())
                .stdin(Stdio::null())
                .stdout(log.try_clone().unwrap())
                .stderr(log)
                .spawn()
                .expect("redis-server is installed (Debian: apt-get install redis-server)");
            let deadline = Instant::now() + Duration::from_secs(10);
            loop {
                if let Ok(Some(_)) = child.try_wait() {
                    break; // the port was taken, or TLS is not built in: try again, then fail
                }
                if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                    return Self { child, port, dir };
                }
                if Instant::now() > deadline {
                    let _ = child.kill();
                    break;
                }
                std::thread::sleep(Duration::from_millis(20));
            }
        }
        let log = std::fs::read_to_string(dir.path().join("redis.log")).unwrap_or_default();
        panic!("redis-server with --tls-port did not start (is it built with TLS?):\n{log}");
    }

    fn url(&self) -> String {
        format!("rediss://127.0.0.1:{}/", self.port)
    }
}

impl Drop for TlsRedis {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn settings(vars: &[(&str, String)]) -> ResolverSettings {
    ResolverSettings::from_lookup(|name| {
        vars.iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.clone())
    })
    .unwrap()
}

#[tokio::test]
async fn leases_work_over_tls_when_the_ca_is_trusted() {
    let ca = TestCa::new();
    let server = TlsRedis::start(&ca);
    let ca_file = ca.write_ca_pem(server.dir.path()).unwrap();
    let s = settings(&[
        ("RESOLVER_REDIS_URL", server.url()),
        ("RESOLVER_CA_FILE", ca_file.display().to_string()),
    ]);
    let shared = RedisCoordinator::connect_settings(&s).await.unwrap();
    let key = LeaseKey::new("https://api.example.test/", "seed", "over-tls");
    let lease = shared
        .coordinator
        .acquire(&key, Duration::from_secs(2))
        .await
        .unwrap();
    lease.ensure_held().unwrap();
    // A second caller over TLS waits its turn: the lease is really in the TLS Redis.
    let second = shared
        .coordinator
        .acquire(&key, Duration::from_millis(300))
        .await;
    assert!(
        matches!(second, Err(CoordinationError::Timeout { .. })),
        "{second:?}"
    );
    lease.release().await.unwrap();
}

#[tokio::test]
async fn an_untrusted_server_is_refused() {
    let ca = TestCa::new();
    let server = TlsRedis::start(&ca);
    // The system store does not hold the test CA.
    let err = RedisCoordinator::connect(
        &server.url(),
        RedisOptions::default().connect_timeout(Duration::from_secs(3)),
    )
    .await
    .unwrap_err();
    assert!(
        matches!(err, CoordinationError::Unavailable { .. }),
        "{err}"
    );
    // Another CA's bundle does not help either.
    let other = TestCa::new();
    let err = RedisCoordinator::connect(
        &server.url(),
        RedisOptions::default()
            .connect_timeout(Duration::from_secs(3))
            .tls_roots_pem(other.ca_pem()),
    )
    .await
    .unwrap_err();
    assert!(
        matches!(err, CoordinationError::Unavailable { .. }),
        "{err}"
    );
}

#[tokio::test]
async fn insecure_is_refused_before_connecting() {
    let err = ResolverSettings::from_lookup(|name| {
        (name == "RESOLVER_REDIS_URL").then(|| "rediss://127.0.0.1:1/#insecure".to_owned())
    })
    .unwrap_err();
    assert_eq!(err.setting, "coordination.redis_url");
    assert!(err.reason.contains("#insecure"), "{err}");
    let err = RedisCoordinator::connect("rediss://127.0.0.1:1/#insecure", RedisOptions::default())
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            CoordinationError::Config {
                field: "redis_url",
                ..
            }
        ),
        "{err}"
    );
}
