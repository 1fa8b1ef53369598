//! TLS inspection: a verifier that records the presented chain and the verification result,
//! the certificate parser, and the mapping of rustls errors to [`TlsFailureKind`].

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};

use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{CertificateError, DigitallySignedStruct, SignatureScheme};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;
use x509_parser::prelude::{FromDer, GeneralName, X509Certificate};

use super::report::{CertificateInfo, TlsFailureKind};
use super::verified::VerifiedChains;

/// What the verifier saw: the chain, leaf first, and the verification error, if any.
#[derive(Debug, Clone, Default)]
pub(crate) struct Captured {
    pub(crate) chain: Vec<CertificateDer<'static>>,
    pub(crate) error: Option<rustls::Error>,
}

/// Wraps the webpki verifier: verification is unchanged (a failure still aborts the handshake,
/// so no request reaches an unverified server), but the chain and the outcome are recorded.
/// A chain the verifier accepted before for the same name, still within its validity, is not
/// checked against the roots again ([`VerifiedChains`]); the handshake's signature is checked
/// every time.
#[derive(Debug)]
pub(crate) struct CapturingVerifier {
    inner: Arc<WebPkiServerVerifier>,
    verified: Arc<VerifiedChains>,
    seen: Arc<Mutex<Option<Captured>>>,
}

impl CapturingVerifier {
    pub(crate) fn new(
        inner: Arc<WebPkiServerVerifier>,
        verified: Arc<VerifiedChains>,
    ) -> (Self, Arc<Mutex<Option<Captured>>>) {
        let seen = Arc::new(Mutex::new(None));
        (
            Self {
                inner,
                verified,
                seen: Arc::clone(&seen),
            },
            seen,
        )
    }
}

impl ServerCertVerifier for CapturingVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let result = if self
            .verified
            .accepted(end_entity, intermediates, server_name, now)
        {
            Ok(ServerCertVerified::assertion())
        } else {
            let result = self.inner.verify_server_cert(
                end_entity,
                intermediates,
                server_name,
                ocsp_response,
                now,
            );
            if result.is_ok() {
                self.verified
                    .remember(end_entity, intermediates, server_name);
            }
            result
        };
        let chain = std::iter::once(end_entity)
            .chain(intermediates)
            .map(|c| c.clone().into_owned())
            .collect();
        if let Ok(mut seen) = self.seen.lock() {
            *seen = Some(Captured {
                chain,
                error: result.as_ref().err().cloned(),
            });
        }
        result
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.inner.supported_verify_schemes()
    }
}

/// The report's details of each leaf certificate seen (subject, issuer, names, validity,
/// fingerprint), parsed once per distinct certificate; the days left are counted afresh for
/// every probe.
#[derive(Debug, Default)]
pub(crate) struct CertificateDetails {
    leaves: Mutex<HashMap<Vec<u8>, CertificateInfo>>,
}

impl CertificateDetails {
    /// The details of the DER certificate `der` at `now`; `None` if it does not parse.
    pub(crate) fn of(&self, der: &[u8], now: OffsetDateTime) -> Option<CertificateInfo> {
        if let Ok(leaves) = self.leaves.lock()
            && let Some(info) = leaves.get(der)
        {
            let mut info = info.clone();
            info.days_until_expiry = days_until(info.not_after, now);
            return Some(info);
        }
        let info = certificate_info(der, now)?;
        if let Ok(mut leaves) = self.leaves.lock() {
            if leaves.len() >= super::verified::CAPACITY {
                leaves.clear();
            }
            leaves.insert(der.to_vec(), info.clone());
        }
        Some(info)
    }
}

/// The failure kind of a rustls error.
pub(crate) fn classify(err: &rustls::Error) -> TlsFailureKind {
    use rustls::{AlertDescription, PeerIncompatible};
    match err {
        rustls::Error::InvalidCertificate(cert) => match cert {
            CertificateError::Expired | CertificateError::ExpiredContext { .. } => {
                TlsFailureKind::Expired
            }
            CertificateError::NotValidYet | CertificateError::NotValidYetContext { .. } => {
                TlsFailureKind::NotYetValid
            }
            CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. } => {
                TlsFailureKind::HostnameMismatch
            }
            CertificateError::UnknownIssuer => TlsFailureKind::UnknownIssuer,
            _ => TlsFailureKind::Other,
        },
        rustls::Error::AlertReceived(AlertDescription::ProtocolVersion)
        | rustls::Error::PeerIncompatible(
            PeerIncompatible::ServerDoesNotSupportTls12Or13
            | PeerIncompatible::ServerTlsVersionIsDisabledByOurConfig
            | PeerIncompatible::SupportedVersionsExtensionRequired,
        ) => TlsFailureKind::ProtocolVersion,
        _ => TlsFailureKind::Other,
    }
}

/// Parses a DER certificate; `None` if it is not a certificate x509-parser can read.
pub(crate) fn certificate_info(der: &[u8], now: OffsetDateTime) -> Option<CertificateInfo> {
    let (_, cert) = X509Certificate::from_der(der).ok()?;
    let not_before =
        OffsetDateTime::from_unix_timestamp(cert.validity().not_before.timestamp()).ok()?;
    let not_after =
        OffsetDateTime::from_unix_timestamp(cert.validity().not_after.timestamp()).ok()?;
    let sans = match cert.subject_alternative_name() {
        Ok(Some(ext)) => ext
            .value
            .general_names
            .iter()
            .filter_map(|name| match name {
                GeneralName::DNSName(s) => Some((*s).to_owned()),
                GeneralName::IPAddress(bytes) => ip_from_bytes(bytes).map(|ip| ip.to_string()),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    };
    Some(CertificateInfo {
        subject: cert.subject().to_string(),
        issuer: cert.issuer().to_string(),
        sans,
        serial: cert.raw_serial_as_string(),
        not_before,
        not_after,
        days_until_expiry: days_until(not_after, now),
        sha256_fingerprint: hex(&Sha256::digest(der)),
    })
}

/// Whole days from `now` until `not_after`; negative once it has passed.
pub(crate) fn days_until(not_after: OffsetDateTime, now: OffsetDateTime) -> i64 {
    (not_after - now).whole_seconds().div_euclid(86_400)
}

fn ip_from_bytes(bytes: &[u8]) -> Option<IpAddr> {
    match bytes.len() {
        4 => <[u8; 4]>::try_from(bytes).ok().map(IpAddr::from),
        16 => <[u8; 16]>::try_from(bytes).ok().map(IpAddr::from),
        _ => None,
    }
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

/// The protocol version's conventional name.
pub(crate) fn version_name(v: rustls::ProtocolVersion) -> String {
    match v {
        rustls::ProtocolVersion::TLSv1_2 => "TLSv1.2".to_owned(),
        rustls::ProtocolVersion::TLSv1_3 => "TLSv1.3".to_owned(),
        other => format!("{other:?}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testkit::destination::{CertKind, TestCa};

    #[test]
    fn classifies_certificate_errors() {
        use rustls::Error::InvalidCertificate as Ic;
        assert_eq!(
            classify(&Ic(CertificateError::Expired)),
            TlsFailureKind::Expired
        );
        assert_eq!(
            classify(&Ic(CertificateError::NotValidYet)),
            TlsFailureKind::NotYetValid
        );
        assert_eq!(
            classify(&Ic(CertificateError::NotValidForName)),
            TlsFailureKind::HostnameMismatch
        );
        assert_eq!(
            classify(&Ic(CertificateError::UnknownIssuer)),
            TlsFailureKind::UnknownIssuer
        );
        assert_eq!(
            classify(&rustls::Error::AlertReceived(
                rustls::AlertDescription::ProtocolVersion
            )),
            TlsFailureKind::ProtocolVersion
        );
        assert_eq!(
            classify(&rustls::Error::General("x".into())),
            TlsFailureKind::Other
        );
    }

    #[test]
    fn details_are_parsed_once_and_their_days_counted_afresh() {
        let ca = TestCa::new();
        let leaf = ca
            .issue(&CertKind::Valid, &["localhost".to_owned()])
            .chain
            .remove(0);
        let details = CertificateDetails::default();
        let now = OffsetDateTime::now_utc();
        let first = details.of(leaf.as_ref(), now).unwrap();
        assert_eq!(first, certificate_info(leaf.as_ref(), now).unwrap());
        let later = details
            .of(leaf.as_ref(), now + time::Duration::days(10))
            .unwrap();
        assert_eq!(later.days_until_expiry, first.days_until_expiry - 10);
        assert_eq!(
            CertificateInfo {
                days_until_expiry: first.days_until_expiry,
                ..later
            },
            first
        );
        assert!(details.of(b"not a certificate", now).is_none());
        assert_eq!(details.leaves.lock().unwrap().len(), 1);
    }

    #[test]
    fn garbage_is_not_a_certificate() {
        assert!(certificate_info(b"not a certificate", OffsetDateTime::now_utc()).is_none());
    }

    #[test]
    fn hex_is_lowercase() {
        assert_eq!(hex(&[0x0a, 0xff]), "0aff");
    }
}
