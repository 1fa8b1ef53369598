//! Chains the prober's verifier has already accepted, so a later handshake presenting the very
//! same chain for the same name skips the chain's signature checks (one or more ECDSA or RSA
//! verifications each, the largest part of a probe's CPU after the key exchange).
//!
//! What a hit still proves, on every handshake: the server holds the leaf's private key (the
//! handshake's own signature, `CertificateVerify` in TLS 1.3, is verified every time, outside
//! this cache), and the chain is valid *now* (the cached entry holds the validity window of
//! every certificate presented, checked against the current time). What it does not redo is
//! pure arithmetic on unchanged bytes: the chain's path to a root and its signatures depend only
//! on the certificates' bytes, the name and the prober's roots, and the roots are fixed for the
//! prober's life (no revocation lists are configured). A chain that failed is never cached.

use std::collections::HashMap;
use std::sync::Mutex;

use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use x509_parser::prelude::{FromDer, X509Certificate};

/// At most this many chains are remembered; the map starts afresh when it is full.
pub(crate) const CAPACITY: usize = 256;

/// Chains accepted by the prober's verifier, keyed by the name and every certificate's bytes.
#[derive(Debug, Default)]
pub(crate) struct VerifiedChains {
    chains: Mutex<HashMap<Vec<u8>, Window>>,
}

/// The interval in which every certificate of a chain is valid, in seconds since the epoch:
/// `not_before <= now <= not_after`, as webpki checks each certificate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Window {
    not_before: u64,
    not_after: u64,
}

impl VerifiedChains {
    /// Whether this exact chain was accepted for this name and every certificate of it is
    /// still valid at `now`.
    pub(crate) fn accepted(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        now: UnixTime,
    ) -> bool {
        let key = key(end_entity, intermediates, server_name);
        let Ok(chains) = self.chains.lock() else {
            return false;
        };
        chains.get(&key).is_some_and(|w| {
            let now = now.as_secs();
            w.not_before <= now && now <= w.not_after
        })
    }

    /// Remembers a chain the verifier has just accepted for `server_name`. A chain whose
    /// validity cannot be read is not remembered (it is verified in full every time).
    pub(crate) fn remember(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
    ) {
        let Some(window) = window(end_entity, intermediates) else {
            return;
        };
        let key = key(end_entity, intermediates, server_name);
        if let Ok(mut chains) = self.chains.lock() {
            if chains.len() >= CAPACITY && !chains.contains_key(&key) {
                chains.clear();
            }
            chains.insert(key, window);
        }
    }

    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.chains.lock().map_or(0, |c| c.len())
    }
}

/// The name and every certificate, each preceded by its length, so two different chains never
/// share a key.
fn key(
    end_entity: &CertificateDer<'_>,
    intermediates: &[CertificateDer<'_>],
    server_name: &ServerName<'_>,
) -> Vec<u8> {
    let name = server_name.to_str();
    let size = 8
        + name.len()
        + std::iter::once(end_entity)
            .chain(intermediates)
            .map(|c| 8 + c.len())
            .sum::<usize>();
    let mut key = Vec::with_capacity(size);
    for part in std::iter::once(name.as_bytes())
        .chain(std::iter::once(end_entity.as_ref()))
        .chain(intermediates.iter().map(AsRef::as_ref))
    {
        key.extend_from_slice(&(part.len() as u64).to_le_bytes());
        key.extend_from_slice(part);
    }
    key
}

/// The intersection of the validity periods of every certificate presented (whatever path the
/// verifier built, it is valid at least there); `None` if one does not parse.
fn window(end_entity: &CertificateDer<'_>, intermediates: &[CertificateDer<'_>]) -> Option<Window> {
    let mut window = Window {
        not_before: 0,
        not_after: u64::MAX,
    };
    for der in std::iter::once(end_entity).chain(intermediates) {
        let (_, cert) = X509Certificate::from_der(der.as_ref()).ok()?;
        let validity = cert.validity();
        let not_before = u64::try_from(validity.not_before.timestamp()).unwrap_or(0);
        let not_after = u64::try_from(validity.not_after.timestamp()).ok()?;
        window.not_before = window.not_before.max(not_before);
        window.not_after = window.not_after.min(not_after);
    }
    Some(window)
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::testkit::destination::{CertKind, TestCa};

    fn name(s: &str) -> ServerName<'static> {
        ServerName::try_from(s.to_owned()).unwrap()
    }

    fn at(secs: u64) -> UnixTime {
        UnixTime::since_unix_epoch(Duration::from_secs(secs))
    }

    fn issue_leaf(ca: &TestCa) -> CertificateDer<'static> {
        ca.issue(&CertKind::Valid, &["localhost".to_owned()])
            .chain
            .remove(0)
    }

    #[test]
    fn only_the_same_chain_for_the_same_name_within_its_validity() {
        let ca = TestCa::new();
        let leaf = issue_leaf(&ca);
        let other = issue_leaf(&ca);
        let chains = VerifiedChains::default();
        let now = UnixTime::now();
        assert!(!chains.accepted(&leaf, &[], &name("localhost"), now));

        chains.remember(&leaf, &[], &name("localhost"));
        assert!(chains.accepted(&leaf, &[], &name("localhost"), now));
        // Another name, another leaf, or the same leaf with an intermediate: not accepted.
        assert!(!chains.accepted(&leaf, &[], &name("example.com"), now));
        assert!(!chains.accepted(&other, &[], &name("localhost"), now));
        assert!(!chains.accepted(&leaf, std::slice::from_ref(&other), &name("localhost"), now));
        // Outside the leaf's validity (valid from yesterday for 90 days; neither the epoch nor
        // a year on is inside).
        assert!(!chains.accepted(&leaf, &[], &name("localhost"), at(0)));
        assert!(!chains.accepted(
            &leaf,
            &[],
            &name("localhost"),
            at(now.as_secs() + 365 * 86_400)
        ));
    }

    #[test]
    fn bounded_and_unreadable_chains_are_not_remembered() {
        let ca = TestCa::new();
        let leaf = issue_leaf(&ca);
        let chains = VerifiedChains::default();
        chains.remember(
            &CertificateDer::from(b"not a certificate".to_vec()),
            &[],
            &name("a.test"),
        );
        assert_eq!(chains.len(), 0);
        for i in 0..CAPACITY + 10 {
            chains.remember(&leaf, &[], &name(&format!("h{i}.test")));
        }
        assert!(chains.len() <= CAPACITY);
    }
}
