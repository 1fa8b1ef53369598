//! Trust anchors and rustls client configuration shared by the Genesys client and the prober.
//!
//! Every TLS connection this crate makes verifies the peer against the same roots: the system
//! trust store (`rustls-native-certs`, which honours `SSL_CERT_FILE` and `SSL_CERT_DIR`) plus
//! optional extra anchors from PEM files. The crypto provider is *ring* and TLS 1.2 is the
//! minimum version.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use base64::Engine as _;
use rustls::RootCertStore;
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;

/// Why the trust store or TLS configuration could not be built.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TlsConfigError {
    /// An extra trust-anchor file could not be read. Check the path and its permissions.
    #[error("cannot read CA file {path}: {source}")]
    ReadCaFile {
        /// The file named.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// A PEM file held no certificate, or one that is not a valid trust anchor.
    #[error("CA file {path} has no usable certificate: {reason}")]
    BadCaFile {
        /// The file named.
        path: PathBuf,
        /// What was wrong.
        reason: String,
    },
    /// No trust anchor at all: the system store is empty and no extra anchor was given.
    /// Install the system CA bundle (`ca-certificates`) or pass a CA file.
    #[error("no trust anchors: the system store is empty and no CA file was given")]
    NoTrustAnchors,
    /// rustls refused the configuration (for example, no protocol version in common).
    #[error("TLS configuration rejected: {0}")]
    Rustls(#[from] rustls::Error),
}

/// Which roots to trust.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct TrustConfig {
    /// Whether to load the system trust store (default true).
    pub system_roots: bool,
    /// Extra PEM files of trust anchors.
    pub ca_files: Vec<PathBuf>,
    /// Extra trust anchors in DER form (for tests and embedders that hold certificates in memory).
    pub extra_roots: Vec<CertificateDer<'static>>,
    /// Extra trust anchors as PEM text (one or more `CERTIFICATE` blocks each).
    pub ca_pem: Vec<String>,
}

impl TrustConfig {
    /// The system trust store only.
    pub fn system() -> Self {
        Self {
            system_roots: true,
            ..Self::default()
        }
    }

    /// Adds a PEM file of extra trust anchors.
    #[must_use]
    pub fn with_ca_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.ca_files.push(path.into());
        self
    }

    /// Adds a trust anchor in DER form.
    #[must_use]
    pub fn with_root(mut self, der: CertificateDer<'static>) -> Self {
        self.extra_roots.push(der);
        self
    }

    /// Adds trust anchors from PEM text (one or more `CERTIFICATE` blocks).
    #[must_use]
    pub fn with_ca_pem(mut self, pem: impl Into<String>) -> Self {
        self.ca_pem.push(pem.into());
        self
    }

    /// The trust configuration [`TrustSettings`](crate::settings::TrustSettings) describe.
    pub fn from_settings(settings: &crate::settings::TrustSettings) -> Self {
        Self {
            system_roots: settings.system_roots,
            ca_files: settings.ca_files.clone(),
            extra_roots: Vec::new(),
            ca_pem: settings.ca_pem.clone(),
        }
    }

    /// Turns the system trust store on or off.
    #[must_use]
    pub fn with_system_roots(mut self, on: bool) -> Self {
        self.system_roots = on;
        self
    }

    /// Builds the root store.
    pub fn root_store(&self) -> Result<RootCertStore, TlsConfigError> {
        let mut store = RootCertStore::empty();
        if self.system_roots {
            let loaded = rustls_native_certs::load_native_certs();
            for err in &loaded.errors {
                tracing::debug!(error = %err, "skipping unreadable system certificate");
            }
            let (added, ignored) = store.add_parsable_certificates(loaded.certs);
            tracing::debug!(added, ignored, "loaded system trust anchors");
        }
        for path in &self.ca_files {
            let bytes = std::fs::read(path).map_err(|source| TlsConfigError::ReadCaFile {
                path: path.clone(),
                source,
            })?;
            add_pem(&mut store, &bytes, path)?;
        }
        for (i, pem) in self.ca_pem.iter().enumerate() {
            add_pem(
                &mut store,
                pem.as_bytes(),
                Path::new(&format!("<ca_pem[{i}]>")),
            )?;
        }
        for der in &self.extra_roots {
            store
                .add(der.clone())
                .map_err(|e| TlsConfigError::BadCaFile {
                    path: PathBuf::from("<in-memory>"),
                    reason: e.to_string(),
                })?;
        }
        if store.is_empty() {
            return Err(TlsConfigError::NoTrustAnchors);
        }
        Ok(store)
    }

    /// Whether anchors beyond the system store are configured (or the system store is off).
    pub fn has_extra_anchors(&self) -> bool {
        !self.system_roots
            || !self.ca_files.is_empty()
            || !self.ca_pem.is_empty()
            || !self.extra_roots.is_empty()
    }

    /// The same anchors as [`root_store`](Self::root_store), as PEM text (one `CERTIFICATE`
    /// block each), for a TLS client that takes a PEM bundle (the Redis client's `rediss://`).
    /// System certificates rustls cannot use are left out, as `root_store` leaves them out.
    pub fn pem_bundle(&self) -> Result<Vec<u8>, TlsConfigError> {
        let mut ders: Vec<CertificateDer<'static>> = Vec::new();
        if self.system_roots {
            for der in rustls_native_certs::load_native_certs().certs {
                if RootCertStore::empty().add(der.clone()).is_ok() {
                    ders.push(der);
                }
            }
        }
        let mut check = RootCertStore::empty();
        for path in &self.ca_files {
            let bytes = std::fs::read(path).map_err(|source| TlsConfigError::ReadCaFile {
                path: path.clone(),
                source,
            })?;
            add_pem(&mut check, &bytes, path)?;
            ders.extend(CertificateDer::pem_slice_iter(&bytes).filter_map(Result::ok));
        }
        for (i, pem) in self.ca_pem.iter().enumerate() {
            add_pem(
                &mut check,
                pem.as_bytes(),
                Path::new(&format!("<ca_pem[{i}]>")),
            )?;
            ders.extend(CertificateDer::pem_slice_iter(pem.as_bytes()).filter_map(Result::ok));
        }
        ders.extend(self.extra_roots.iter().cloned());
        if ders.is_empty() {
            return Err(TlsConfigError::NoTrustAnchors);
        }
        let mut out = String::new();
        for der in &ders {
            let b64 = base64::engine::general_purpose::STANDARD.encode(der.as_ref());
            out.push_str("-----BEGIN CERTIFICATE-----\n");
            for line in b64.as_bytes().chunks(64) {
                out.push_str(std::str::from_utf8(line).unwrap_or_default());
                out.push('\n');
            }
            out.push_str("-----END CERTIFICATE-----\n");
        }
        Ok(out.into_bytes())
    }

    /// A rustls client configuration on ring, TLS 1.2 and 1.3, verifying against these roots.
    pub fn client_config(&self) -> Result<rustls::ClientConfig, TlsConfigError> {
        let roots = self.root_store()?;
        Ok(rustls::ClientConfig::builder_with_provider(provider())
            .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])?
            .with_root_certificates(roots)
            .with_no_client_auth())
    }
}

/// The crypto provider every connection of this crate uses: ring, with its cipher suites
/// reordered so AES-128-GCM comes first, as Go, the major browsers and Mozilla's "modern" TLS
/// profile order them. It is as secure for TLS as AES-256-GCM and cheaper per handshake (SHA-256
/// rather than SHA-384 for the TLS 1.3 suite), which matters when every resolve verifies its
/// destinations afresh. Every suite of ring's default set is still offered.
pub fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    let mut provider = rustls::crypto::ring::default_provider();
    // A stable sort keeps ring's order among the rest (and TLS 1.3 before TLS 1.2).
    provider.cipher_suites.sort_by_key(|suite| {
        !matches!(
            suite.suite(),
            rustls::CipherSuite::TLS13_AES_128_GCM_SHA256
                | rustls::CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256
                | rustls::CipherSuite::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256
        )
    });
    Arc::new(provider)
}

/// Adds every certificate of PEM `bytes` read from `path` (a file, or `<ca_pem[i]>` for text).
fn add_pem(store: &mut RootCertStore, bytes: &[u8], path: &Path) -> Result<(), TlsConfigError> {
    let mut added = 0usize;
    for cert in CertificateDer::pem_slice_iter(bytes) {
        let cert = cert.map_err(|e| TlsConfigError::BadCaFile {
            path: path.to_owned(),
            reason: e.to_string(),
        })?;
        store.add(cert).map_err(|e| TlsConfigError::BadCaFile {
            path: path.to_owned(),
            reason: e.to_string(),
        })?;
        added += 1;
    }
    if added == 0 {
        return Err(TlsConfigError::BadCaFile {
            path: path.to_owned(),
            reason: "no CERTIFICATE block found".to_owned(),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aes_128_gcm_is_preferred_and_every_default_suite_is_kept() {
        let ours = provider();
        let ring = rustls::crypto::ring::default_provider();
        assert_eq!(ours.cipher_suites.len(), ring.cipher_suites.len());
        assert_eq!(
            ours.cipher_suites[0].suite(),
            rustls::CipherSuite::TLS13_AES_128_GCM_SHA256
        );
        for suite in &ring.cipher_suites {
            assert!(
                ours.cipher_suites
                    .iter()
                    .any(|s| s.suite() == suite.suite())
            );
        }
    }

    #[test]
    fn missing_file_is_a_typed_error() {
        let err = TrustConfig::default()
            .with_ca_file("/nonexistent/ca.pem")
            .root_store()
            .unwrap_err();
        assert!(matches!(err, TlsConfigError::ReadCaFile { .. }), "{err}");
    }

    #[test]
    fn empty_store_is_refused() {
        let err = TrustConfig::default().root_store().unwrap_err();
        assert!(matches!(err, TlsConfigError::NoTrustAnchors));
    }

    #[test]
    fn file_without_certificates_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("empty.pem");
        std::fs::write(&path, "not a pem").unwrap();
        let err = TrustConfig::default()
            .with_ca_file(&path)
            .root_store()
            .unwrap_err();
        assert!(matches!(err, TlsConfigError::BadCaFile { .. }), "{err}");
    }

    #[test]
    fn generated_ca_is_accepted() {
        let key = rcgen::KeyPair::generate().unwrap();
        let params = rcgen::CertificateParams::new(vec!["ca.test".to_owned()]).unwrap();
        let mut params = params;
        params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        let cert = params.self_signed(&key).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ca.pem");
        std::fs::write(&path, cert.pem()).unwrap();
        let cfg = TrustConfig::default()
            .with_ca_file(&path)
            .client_config()
            .unwrap();
        assert!(cfg.alpn_protocols.is_empty());
    }
}
