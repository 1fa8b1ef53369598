//! A legacy TLS 1.0 server (`openssl s_server -tls1`) is refused as a protocol version failure.
//! Needs the `openssl` program: built with the `external-tests` feature only.

use std::net::{Ipv4Addr, SocketAddr, TcpListener};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use genesys_resolver::probe::{EndpointProber, TlsFailureKind};
use genesys_resolver::testkit::destination::{CertKind, TestCa, prober_for};

use crate::probe_tls::tls_failure;

/// An `openssl s_server` offering only TLS 1.0, killed on drop.
struct LegacyServer {
    child: Child,
    addr: SocketAddr,
    _dir: tempfile::TempDir,
}

impl Drop for LegacyServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `openssl s_server -tls1` if the local openssl can serve TLS 1.0; `Err` says why not.
fn start_legacy_server(ca: &TestCa) -> Result<LegacyServer, String> {
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let issued = ca.issue(
        &CertKind::Valid,
        &["localhost".to_owned(), "127.0.0.1".to_owned()],
    );
    let cert = dir.path().join("cert.pem");
    let key = dir.path().join("key.pem");
    std::fs::write(&cert, issued.chain_pem()).map_err(|e| e.to_string())?;
    std::fs::write(&key, issued.key_pem()).map_err(|e| e.to_string())?;
    let port = {
        let l = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).map_err(|e| e.to_string())?;
        l.local_addr().map_err(|e| e.to_string())?.port()
    };
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let child = Command::new("openssl")
        .args([
            "s_server",
            "-tls1",
            "-cipher",
            "DEFAULT:@SECLEVEL=0",
            "-www",
            "-quiet",
        ])
        .arg("-accept")
        .arg(addr.to_string())
        .arg("-cert")
        .arg(&cert)
        .arg("-key")
        .arg(&key)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("cannot run openssl: {e}"))?;
    let mut server = LegacyServer {
        child,
        addr,
        _dir: dir,
    };
    for _ in 0..50 {
        if let Ok(Some(status)) = server.child.try_wait() {
            return Err(format!("openssl s_server -tls1 exited with {status}"));
        }
        if std::net::TcpStream::connect(addr).is_ok() {
            return Ok(server);
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let _ = server.child.kill();
    Err("openssl s_server -tls1 did not start listening within 5 s".to_owned())
}

#[tokio::test]
async fn tls10_only_server_is_a_protocol_version_failure() {
    let ca = TestCa::new();
    let server = match start_legacy_server(&ca) {
        Ok(server) => server,
        Err(why) if std::env::var_os("GENESYS_SKIP_LEGACY_TLS").is_some() => {
            eprintln!(
                "SKIPPED tls10_only_server_is_a_protocol_version_failure: {why} \
                 (GENESYS_SKIP_LEGACY_TLS is set)"
            );
            return;
        }
        Err(why) => panic!(
            "cannot start a TLS 1.0 server: {why}. Install openssl (OpenSSL 3 with \
             `-cipher DEFAULT:@SECLEVEL=0` works) or set GENESYS_SKIP_LEGACY_TLS=1 to skip"
        ),
    };
    let prober = prober_for(&ca).build().unwrap();
    let report = prober
        .probe(&format!("https://localhost:{}/", server.addr.port()))
        .await;
    assert_eq!(
        tls_failure(&report),
        TlsFailureKind::ProtocolVersion,
        "{report:#?}"
    );
    assert!(report.health.is_none());
}
