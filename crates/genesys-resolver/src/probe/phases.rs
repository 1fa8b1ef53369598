//! The phases of one probe, in order: DNS and the address policy, TCP connect, the TLS
//! handshake (capturing the chain whatever the verdict), and the health `GET` on that same
//! connection. Each has its own timeout and is timed into the report and the metrics sink.

use std::io::Write as _;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::io::AsyncWriteExt as _;
use tokio::net::TcpStream;
use tracing::Instrument;
use url::Host;

use super::prober::Inner;
use super::report::{HealthReport, ProbeFailure, ProbeReport, TlsFailureKind, TlsReport};
use super::target::Target;
use super::{http1, inspect};
use crate::metrics::MetricsSink;
use crate::outcome::ProbePhase;
use crate::spans;

/// Records a phase's timing in the report and the metrics sink.
struct Clock<'a> {
    metrics: &'a dyn MetricsSink,
}

impl Clock<'_> {
    fn done(&self, phase: ProbePhase, started: Instant, slot: &mut Option<Duration>) -> Duration {
        let elapsed = started.elapsed();
        *slot = Some(elapsed);
        self.metrics.probe_phase(phase, elapsed);
        elapsed
    }
}

impl Inner {
    /// Probes `uri` inside its own span ([`spans::probe`]), a child of the caller's.
    pub(super) async fn run(&self, uri: &str) -> ProbeReport {
        let span = spans::probe(uri);
        let report = self.run_phases_timed(uri).instrument(span.clone()).await;
        if let Some(host) = (!report.host.is_empty()).then_some(report.host.as_str()) {
            span.record("server.address", host);
        }
        if report.port != 0 {
            span.record("server.port", report.port);
        }
        match &report.failure {
            None => {
                span.record("outcome", "ok");
                span.record("otel.status_code", "ok");
            }
            Some(failure) => {
                span.record("outcome", "failed");
                span.record("probe.failure", failure.stage());
                if let Some(phase) = failure.phase() {
                    span.record("probe.failed_phase", phase.as_str());
                }
                span.record("otel.status_code", "error");
            }
        }
        report
    }

    async fn run_phases_timed(&self, uri: &str) -> ProbeReport {
        let started = Instant::now();
        let mut report = ProbeReport::new(crate::redact::uri(uri));
        let outcome = self.run_phases(uri, &mut report).await;
        report.phases.total = started.elapsed();
        self.metrics
            .probe_phase(ProbePhase::Total, report.phases.total);
        if let Err(failure) = outcome {
            tracing::info!(uri = %report.uri, stage = failure.stage(), error = %failure, "probe failed");
            report.failure = Some(failure);
        } else {
            tracing::debug!(uri = %report.uri, total = ?report.phases.total, "probe healthy");
        }
        self.metrics.probe_finished(report.ok());
        report
    }

    async fn run_phases(&self, uri: &str, report: &mut ProbeReport) -> Result<(), ProbeFailure> {
        let clock = Clock {
            metrics: self.metrics.as_ref(),
        };
        let target = Target::parse(uri)?;
        report.host.clone_from(&target.host_display);
        report.port = target.port;

        // Resolve once; every address must pass the policy.
        let t = Instant::now();
        let addresses = match &target.host {
            Host::Ipv4(ip) => vec![IpAddr::V4(*ip)],
            Host::Ipv6(ip) => vec![IpAddr::V6(*ip)],
            Host::Domain(name) => {
                let lookup = tokio::time::timeout(self.resolve_timeout, self.resolver.lookup(name))
                    .instrument(spans::probe_phase(ProbePhase::Resolve));
                match lookup.await {
                    Err(_) => {
                        return Err(ProbeFailure::Timeout {
                            phase: ProbePhase::Resolve,
                            limit: self.resolve_timeout,
                        });
                    }
                    Ok(Err(e)) => return Err(ProbeFailure::Dns(e)),
                    Ok(Ok(addrs)) => addrs,
                }
            }
        };
        clock.done(ProbePhase::Resolve, t, &mut report.phases.resolve);
        report.addresses.clone_from(&addresses);
        if addresses.is_empty() {
            return Err(ProbeFailure::Dns(crate::dns::DnsError::NoRecords {
                host: target.host_display.clone(),
            }));
        }
        self.policy
            .check_all(&addresses)
            .map_err(ProbeFailure::AddressPolicy)?;

        // Connect to a checked address; never look the name up again.
        let t = Instant::now();
        let (tcp, peer) = self
            .connect(&addresses, target.port)
            .instrument(spans::probe_phase(ProbePhase::Connect))
            .await?;
        clock.done(ProbePhase::Connect, t, &mut report.phases.connect);
        report.connected_to = Some(peer);

        // TLS, capturing the chain whatever the verdict. The health request is handed to the
        // connection first: rustls sends it with the handshake's last flight, and only once the
        // server is verified (a handshake that fails sends nothing).
        let request = self.health_request(&target)?;
        let t = Instant::now();
        let tls = self
            .handshake(tcp, &target, report, request)
            .instrument(spans::probe_phase(ProbePhase::Tls))
            .await;
        clock.done(ProbePhase::Tls, t, &mut report.phases.tls);
        let tls = tls?;

        // Health, on the same connection.
        let t = Instant::now();
        let status = self
            .health(tls, report)
            .instrument(spans::probe_phase(ProbePhase::FirstByte))
            .await;
        clock.done(ProbePhase::FirstByte, t, &mut report.phases.first_byte);
        let status = status?;
        if !self.accepted.contains(status) {
            return Err(ProbeFailure::Health { status });
        }
        Ok(())
    }

    async fn connect(
        &self,
        addresses: &[IpAddr],
        port: u16,
    ) -> Result<(TcpStream, SocketAddr), ProbeFailure> {
        let mut tried = Vec::with_capacity(addresses.len());
        let mut last_error = String::new();
        let mut all_timed_out = true;
        for ip in addresses {
            let addr = SocketAddr::new(*ip, port);
            tried.push(addr);
            match tokio::time::timeout(self.connect_timeout, TcpStream::connect(addr)).await {
                Ok(Ok(stream)) => {
                    let _ = stream.set_nodelay(true);
                    return Ok((stream, addr));
                }
                Ok(Err(e)) => {
                    all_timed_out = false;
                    tracing::debug!(%addr, error = %e, "connect failed");
                    last_error = format!("{addr}: {e}");
                }
                Err(_) => {
                    tracing::debug!(%addr, "connect timed out");
                    last_error = format!("{addr}: timed out");
                }
            }
        }
        if all_timed_out {
            return Err(ProbeFailure::Timeout {
                phase: ProbePhase::Connect,
                limit: self.connect_timeout,
            });
        }
        Err(ProbeFailure::Connect {
            addresses: tried,
            message: last_error,
        })
    }

    async fn handshake(
        &self,
        tcp: TcpStream,
        target: &Target,
        report: &mut ProbeReport,
        request: Vec<u8>,
    ) -> Result<tokio_rustls::client::TlsStream<TcpStream>, ProbeFailure> {
        let (verifier, seen) =
            inspect::CapturingVerifier::new(Arc::clone(&self.verifier), Arc::clone(&self.verified));
        let mut config = rustls::ClientConfig::builder_with_provider(Arc::clone(&self.provider))
            .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
            .map_err(|e| ProbeFailure::Tls {
                kind: TlsFailureKind::Other,
                message: e.to_string(),
            })?
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(verifier))
            .with_no_client_auth();
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
        let server_name = target.server_name()?;

        // Plaintext written before the handshake completes waits in rustls until it does (its
        // buffer holds 64 KiB; the request is far smaller, but a cut one is never sent).
        let mut queued = false;
        let connect = connector.connect_with(server_name, tcp, |conn| {
            queued = conn.writer().write_all(&request).is_ok();
        });
        let result = tokio::time::timeout(self.tls_timeout, connect).await;
        let captured = seen.lock().ok().and_then(|mut s| s.take());
        let now = time::OffsetDateTime::now_utc();
        let mut tls_report = captured.as_ref().map(|c| TlsReport {
            verified: c.error.is_none(),
            verification_error: c.error.as_ref().map(ToString::to_string),
            protocol_version: None,
            cipher_suite: None,
            alpn: None,
            chain_length: c.chain.len(),
            certificate: c.chain.first().and_then(|leaf| self.details.of(leaf, now)),
        });
        let outcome = match result {
            Err(_) => Err(ProbeFailure::Timeout {
                phase: ProbePhase::Tls,
                limit: self.tls_timeout,
            }),
            Ok(Err(io)) => {
                // Prefer the verifier's own error; otherwise the rustls error inside the I/O error.
                let rustls_err = captured.as_ref().and_then(|c| c.error.clone()).or_else(|| {
                    io.get_ref()
                        .and_then(|e| e.downcast_ref::<rustls::Error>())
                        .cloned()
                });
                Err(match rustls_err {
                    Some(e) => ProbeFailure::Tls {
                        kind: inspect::classify(&e),
                        message: e.to_string(),
                    },
                    None => ProbeFailure::Tls {
                        kind: TlsFailureKind::Other,
                        message: io.to_string(),
                    },
                })
            }
            Ok(Ok(_)) if !queued => Err(ProbeFailure::Http {
                message: "the health request does not fit the TLS connection's buffer".to_owned(),
            }),
            Ok(Ok(stream)) => {
                let (_, conn) = stream.get_ref();
                if let Some(r) = tls_report.as_mut() {
                    r.protocol_version = conn.protocol_version().map(inspect::version_name);
                    r.cipher_suite = conn
                        .negotiated_cipher_suite()
                        .map(|s| format!("{:?}", s.suite()));
                    r.alpn = conn
                        .alpn_protocol()
                        .map(|p| String::from_utf8_lossy(p).into_owned());
                }
                Ok(stream)
            }
        };
        if let Some(cert) = tls_report.as_ref().and_then(|r| r.certificate.as_ref()) {
            let left = time::Duration::try_from(self.expiry_warning).unwrap_or(time::Duration::MAX);
            if cert.not_after > now && cert.not_after - now < left {
                self.metrics.certificate_expiring();
                report.warnings.push(format!(
                    "certificate expires in {} days (at {}), within the {}-day warning threshold",
                    cert.days_until_expiry,
                    cert.not_after
                        .format(&time::format_description::well_known::Rfc3339)
                        .unwrap_or_default(),
                    self.expiry_warning.as_secs() / 86_400
                ));
            }
        }
        report.tls = tls_report;
        outcome
    }

    /// The health `GET`'s bytes: the target's path, `Host`, `User-Agent`, `Accept: */*` and
    /// `Connection: close`.
    fn health_request(&self, target: &Target) -> Result<Vec<u8>, ProbeFailure> {
        use http::header::{ACCEPT, CONNECTION, HOST, USER_AGENT};
        http1::get_request(
            &target.path_and_query,
            &[
                (HOST, target.authority.as_str()),
                (USER_AGENT, self.user_agent.as_str()),
                (ACCEPT, "*/*"),
                (CONNECTION, "close"),
            ],
        )
        .map_err(|reason| ProbeFailure::InvalidUri { reason })
    }

    /// Reads the answer to the health request (sent with the handshake) and closes the
    /// connection with a TLS `close_notify`.
    async fn health(
        &self,
        mut tls: tokio_rustls::client::TlsStream<TcpStream>,
        report: &mut ProbeReport,
    ) -> Result<u16, ProbeFailure> {
        let exchange = async {
            // The request waits in the connection if the handshake's last flight did not carry
            // it (TLS 1.2, where the client speaks first after its Finished only once the
            // server's has come).
            tls.flush().await.map_err(|e| ProbeFailure::Http {
                message: format!("sending the request: {e}"),
            })?;
            let head = http1::read_head(&mut tls)
                .await
                .map_err(|message| ProbeFailure::Http { message })?;
            // The server closes after answering (`Connection: close`); a failure to say
            // goodbye changes nothing about its health. The `close_notify` goes out on its own
            // and the socket is then closed by dropping it: no `shutdown(SHUT_WR)` on a
            // connection the server has already closed (it fails with `ENOTCONN`).
            tls.get_mut().1.send_close_notify();
            let _ = tls.flush().await;
            Ok::<_, ProbeFailure>(head)
        };
        let head = tokio::time::timeout(self.health_timeout, exchange)
            .await
            .map_err(|_| ProbeFailure::Timeout {
                phase: ProbePhase::FirstByte,
                limit: self.health_timeout,
            })??;
        let status = http::StatusCode::from_u16(head.status).map_err(|e| ProbeFailure::Http {
            message: format!("invalid response: {e}"),
        })?;
        let redirect = if status.is_redirection() {
            head.location
                .as_deref()
                // A redirect target may carry a token or a signature of its own: the report and
                // its warning show it redacted, like the probed URI.
                .map(|v| crate::redact::uri(&String::from_utf8_lossy(v)))
        } else {
            None
        };
        if let Some(location) = &redirect {
            report.warnings.push(format!(
                "health check answered {} redirecting to {location}; redirects are not followed",
                status.as_u16()
            ));
        }
        report.health = Some(HealthReport {
            status: status.as_u16(),
            redirect,
        });
        Ok(status.as_u16())
    }
}
