//! Which addresses the prober may connect to.
//!
//! A resolver that calls user-supplied URLs from inside a company network must not become a
//! server-side request forgery tool. [`AddressPolicy::default`] refuses every address that is not
//! globally routable: loopback, RFC 1918 private networks, link-local (including the cloud
//! metadata address 169.254.169.254), CGNAT, `0.0.0.0/8`, `240.0.0.0/4`, broadcast, multicast,
//! documentation and benchmarking ranges, the IPv6 unspecified and loopback addresses, unique-local
//! `fc00::/7`, link-local `fe80::/10`, and IPv6 forms that embed a refused IPv4 address
//! (IPv4-mapped, IPv4-compatible, NAT64 `64:ff9b::/96`, 6to4 `2002::/16`, Teredo `2001::/32`).
//! An allow-list of CIDR ranges lifts the refusal.
//!
//! ```
//! use genesys_resolver::policy::AddressPolicy;
//!
//! let policy = AddressPolicy::default();
//! let refused = policy.check("169.254.169.254".parse()?).unwrap_err();
//! assert_eq!(refused.class, "cloud-metadata");
//! assert_eq!(refused.range.to_string(), "169.254.169.254/32");
//! assert!(policy.check("93.184.215.14".parse()?).is_ok());
//!
//! // Tests talk to servers on loopback.
//! let relaxed = AddressPolicy::default().with_allowed(["127.0.0.0/8".parse()?, "::1/128".parse()?]);
//! assert!(relaxed.check("127.0.0.1".parse()?).is_ok());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use ipnet::{IpNet, Ipv4Net, Ipv6Net};
use serde::{Deserialize, Deserializer, Serialize};

/// An address the policy refuses, with the range and class that refused it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[error("{}", self.describe())]
pub struct PolicyViolation {
    /// The address refused (as resolved or written in the URI).
    pub address: IpAddr,
    /// The refused range it falls in. For an IPv6 address that embeds an IPv4 address, this is
    /// the IPv4 range the embedded address falls in.
    pub range: IpNet,
    /// The kind of range, e.g. `"loopback"`, `"rfc1918-private"`, `"cloud-metadata"`.
    pub class: &'static str,
    /// For an IPv6 address that embeds an IPv4 address: the embedded address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub embedded_ipv4: Option<Ipv4Addr>,
    /// For an IPv6 address that embeds an IPv4 address: how (`"ipv4-mapped"`, `"nat64"`, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub embedding: Option<&'static str>,
}

impl PolicyViolation {
    fn describe(&self) -> String {
        match (self.embedded_ipv4, self.embedding) {
            (Some(v4), Some(how)) => format!(
                "address {} embeds {v4} ({how}), which is in the refused range {} ({})",
                self.address, self.range, self.class
            ),
            _ => format!(
                "address {} is in the refused range {} ({})",
                self.address, self.range, self.class
            ),
        }
    }
}

/// Every class and embedding name this module uses, so deserialized violations borrow the same
/// static strings.
const NAMES: &[&str] = &[
    "this-network",
    "rfc1918-private",
    "cgnat",
    "loopback",
    "cloud-metadata",
    "link-local",
    "ietf-protocol-assignments",
    "documentation",
    "benchmarking",
    "multicast",
    "reserved",
    "broadcast",
    "unspecified",
    "unique-local",
    "site-local",
    "discard-only",
    "nat64-local-use",
    "ipv4-mapped",
    "ipv4-compatible",
    "ipv4-translated",
    "nat64",
    "6to4",
    "teredo-server",
    "teredo-client",
    "unknown",
];

fn intern(s: &str) -> &'static str {
    NAMES
        .iter()
        .find(|n| **n == s)
        .copied()
        .unwrap_or("unknown")
}

/// The owned form a [`PolicyViolation`] is read from; names are interned on the way in.
#[derive(Deserialize)]
struct ViolationWire {
    address: IpAddr,
    range: IpNet,
    class: String,
    #[serde(default)]
    embedded_ipv4: Option<Ipv4Addr>,
    #[serde(default)]
    embedding: Option<String>,
}

impl<'de> Deserialize<'de> for PolicyViolation {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let w = ViolationWire::deserialize(d)?;
        Ok(Self {
            address: w.address,
            range: w.range,
            class: intern(&w.class),
            embedded_ipv4: w.embedded_ipv4,
            embedding: w.embedding.as_deref().map(intern),
        })
    }
}

/// Refused IPv4 ranges, most specific first (the first match names the class).
const V4_REFUSED: &[([u8; 4], u8, &str)] = &[
    ([169, 254, 169, 254], 32, "cloud-metadata"),
    ([255, 255, 255, 255], 32, "broadcast"),
    ([0, 0, 0, 0], 8, "this-network"),
    ([10, 0, 0, 0], 8, "rfc1918-private"),
    ([100, 64, 0, 0], 10, "cgnat"),
    ([127, 0, 0, 0], 8, "loopback"),
    ([169, 254, 0, 0], 16, "link-local"),
    ([172, 16, 0, 0], 12, "rfc1918-private"),
    ([192, 0, 0, 0], 24, "ietf-protocol-assignments"),
    ([192, 0, 2, 0], 24, "documentation"),
    ([192, 168, 0, 0], 16, "rfc1918-private"),
    ([198, 18, 0, 0], 15, "benchmarking"),
    ([198, 51, 100, 0], 24, "documentation"),
    ([203, 0, 113, 0], 24, "documentation"),
    ([224, 0, 0, 0], 4, "multicast"),
    ([240, 0, 0, 0], 4, "reserved"),
];

/// Refused IPv6 ranges that do not embed an IPv4 address.
const V6_REFUSED: &[(&str, u8, &str)] = &[
    ("::", 128, "unspecified"),
    ("::1", 128, "loopback"),
    ("100::", 64, "discard-only"),
    ("64:ff9b:1::", 48, "nat64-local-use"),
    ("2001:2::", 48, "benchmarking"),
    ("2001:db8::", 32, "documentation"),
    ("3fff::", 20, "documentation"),
    ("fc00::", 7, "unique-local"),
    ("fe80::", 10, "link-local"),
    ("fec0::", 10, "site-local"),
    ("ff00::", 8, "multicast"),
];

/// Decides which addresses may be connected to. Cheap to clone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddressPolicy {
    allowed: Vec<IpNet>,
    refuse_non_global: bool,
}

impl Default for AddressPolicy {
    /// Refuses every non-global range listed in the [module documentation](self).
    fn default() -> Self {
        Self {
            allowed: Vec::new(),
            refuse_non_global: true,
        }
    }
}

impl AddressPolicy {
    /// A policy that allows every address. Only for embedders that enforce their own egress
    /// rules; the prober then connects wherever a name resolves.
    pub fn allow_all() -> Self {
        Self {
            allowed: Vec::new(),
            refuse_non_global: false,
        }
    }

    /// Lifts the refusal for these ranges (added to any already allowed). An IPv6 address that
    /// embeds an IPv4 address is allowed when the embedded address is.
    #[must_use]
    pub fn with_allowed(mut self, ranges: impl IntoIterator<Item = IpNet>) -> Self {
        self.allowed.extend(ranges);
        self
    }

    /// The ranges allowed in spite of the default refusal.
    pub fn allowed(&self) -> &[IpNet] {
        &self.allowed
    }

    /// Whether `address` may be connected to; the error names the refused range and its class.
    pub fn check(&self, address: IpAddr) -> Result<(), PolicyViolation> {
        if !self.refuse_non_global || self.is_allowed(address) {
            return Ok(());
        }
        match address {
            IpAddr::V4(v4) => match refused_v4(v4) {
                Some((range, class)) => Err(PolicyViolation {
                    address,
                    range: IpNet::V4(range),
                    class,
                    embedded_ipv4: None,
                    embedding: None,
                }),
                None => Ok(()),
            },
            IpAddr::V6(v6) => self.check_v6(v6),
        }
    }

    /// Checks every address and returns the first refusal.
    pub fn check_all<'a>(
        &self,
        addresses: impl IntoIterator<Item = &'a IpAddr>,
    ) -> Result<(), PolicyViolation> {
        addresses.into_iter().try_for_each(|a| self.check(*a))
    }

    fn is_allowed(&self, address: IpAddr) -> bool {
        self.allowed.iter().any(|net| net.contains(&address))
    }

    fn check_v6(&self, v6: Ipv6Addr) -> Result<(), PolicyViolation> {
        let address = IpAddr::V6(v6);
        for (base, len, class) in V6_REFUSED {
            let Ok(base) = base.parse::<Ipv6Addr>() else {
                continue;
            };
            let Ok(net) = Ipv6Net::new(base, *len) else {
                continue;
            };
            if net.contains(&v6) {
                return Err(PolicyViolation {
                    address,
                    range: IpNet::V6(net),
                    class,
                    embedded_ipv4: None,
                    embedding: None,
                });
            }
        }
        for (embedding, v4) in embedded_ipv4(v6) {
            if self.is_allowed(IpAddr::V4(v4)) {
                continue;
            }
            if let Some((range, class)) = refused_v4(v4) {
                return Err(PolicyViolation {
                    address,
                    range: IpNet::V4(range),
                    class,
                    embedded_ipv4: Some(v4),
                    embedding: Some(embedding),
                });
            }
        }
        Ok(())
    }
}

fn refused_v4(v4: Ipv4Addr) -> Option<(Ipv4Net, &'static str)> {
    V4_REFUSED.iter().find_map(|(base, len, class)| {
        let net = Ipv4Net::new(Ipv4Addr::from(*base), *len).ok()?;
        net.contains(&v4).then_some((net, *class))
    })
}

/// The IPv4 addresses an IPv6 address carries, with the name of the form that carries them.
fn embedded_ipv4(v6: Ipv6Addr) -> Vec<(&'static str, Ipv4Addr)> {
    let s = v6.segments();
    let o = v6.octets();
    let tail = Ipv4Addr::new(o[12], o[13], o[14], o[15]);
    let mut found = Vec::new();
    match s {
        // ::ffff:a.b.c.d
        [0, 0, 0, 0, 0, 0xffff, _, _] => found.push(("ipv4-mapped", tail)),
        // ::ffff:0:a.b.c.d (RFC 2765 IPv4-translated)
        [0, 0, 0, 0, 0xffff, 0, _, _] => found.push(("ipv4-translated", tail)),
        // ::a.b.c.d (deprecated IPv4-compatible; :: and ::1 are refused before this)
        [0, 0, 0, 0, 0, 0, _, _] => found.push(("ipv4-compatible", tail)),
        // 64:ff9b::a.b.c.d (NAT64 well-known prefix)
        [0x64, 0xff9b, 0, 0, 0, 0, _, _] => found.push(("nat64", tail)),
        // 2002:AABB:CCDD::/48 (6to4)
        [0x2002, ..] => found.push(("6to4", Ipv4Addr::new(o[2], o[3], o[4], o[5]))),
        // 2001:0:SSSS:SSSS:flags:port:CCCC:CCCC (Teredo; the client address is inverted)
        [0x2001, 0, ..] => {
            found.push(("teredo-server", Ipv4Addr::new(o[4], o[5], o[6], o[7])));
            found.push((
                "teredo-client",
                Ipv4Addr::new(!o[12], !o[13], !o[14], !o[15]),
            ));
        }
        _ => {}
    }
    found
}

impl fmt::Display for AddressPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !self.refuse_non_global {
            return f.write_str("allow all");
        }
        f.write_str("refuse non-global")?;
        if !self.allowed.is_empty() {
            f.write_str(" except ")?;
            for (i, net) in self.allowed.iter().enumerate() {
                if i > 0 {
                    f.write_str(", ")?;
                }
                write!(f, "{net}")?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(addr: &str) -> PolicyViolation {
        AddressPolicy::default()
            .check(addr.parse().unwrap())
            .expect_err(addr)
    }

    #[test]
    fn every_refused_ipv4_class() {
        for (addr, class, range) in [
            ("127.0.0.1", "loopback", "127.0.0.0/8"),
            ("127.255.255.254", "loopback", "127.0.0.0/8"),
            ("10.1.2.3", "rfc1918-private", "10.0.0.0/8"),
            ("172.16.0.1", "rfc1918-private", "172.16.0.0/12"),
            ("172.31.255.255", "rfc1918-private", "172.16.0.0/12"),
            ("192.168.1.1", "rfc1918-private", "192.168.0.0/16"),
            ("169.254.169.254", "cloud-metadata", "169.254.169.254/32"),
            ("169.254.1.1", "link-local", "169.254.0.0/16"),
            ("100.64.0.1", "cgnat", "100.64.0.0/10"),
            ("100.127.255.255", "cgnat", "100.64.0.0/10"),
            ("0.0.0.0", "this-network", "0.0.0.0/8"),
            ("0.1.2.3", "this-network", "0.0.0.0/8"),
            ("240.0.0.1", "reserved", "240.0.0.0/4"),
            ("255.255.255.255", "broadcast", "255.255.255.255/32"),
            ("224.0.0.1", "multicast", "224.0.0.0/4"),
            ("239.255.255.250", "multicast", "224.0.0.0/4"),
            ("192.0.2.1", "documentation", "192.0.2.0/24"),
            ("198.51.100.7", "documentation", "198.51.100.0/24"),
            ("203.0.113.9", "documentation", "203.0.113.0/24"),
            ("198.18.0.1", "benchmarking", "198.18.0.0/15"),
            ("198.19.255.1", "benchmarking", "198.18.0.0/15"),
        ] {
            let v = refused(addr);
            assert_eq!(v.class, class, "{addr}");
            assert_eq!(v.range.to_string(), range, "{addr}");
            assert_eq!(v.address.to_string(), addr);
        }
    }

    #[test]
    fn every_refused_ipv6_class() {
        for (addr, class) in [
            ("::", "unspecified"),
            ("::1", "loopback"),
            ("fc00::1", "unique-local"),
            ("fd12:3456::1", "unique-local"),
            ("fe80::1", "link-local"),
            ("febf::1", "link-local"),
            ("ff02::1", "multicast"),
            ("2001:db8::1", "documentation"),
            ("2001:2::1", "benchmarking"),
            ("fec0::1", "site-local"),
            ("100::1", "discard-only"),
        ] {
            assert_eq!(refused(addr).class, class, "{addr}");
        }
    }

    #[test]
    fn ipv6_forms_embedding_a_refused_ipv4_are_refused() {
        for (addr, embedding, v4, class) in [
            ("::ffff:127.0.0.1", "ipv4-mapped", "127.0.0.1", "loopback"),
            (
                "::ffff:169.254.169.254",
                "ipv4-mapped",
                "169.254.169.254",
                "cloud-metadata",
            ),
            (
                "::ffff:0:10.0.0.1",
                "ipv4-translated",
                "10.0.0.1",
                "rfc1918-private",
            ),
            ("::127.0.0.1", "ipv4-compatible", "127.0.0.1", "loopback"),
            (
                "::10.0.0.1",
                "ipv4-compatible",
                "10.0.0.1",
                "rfc1918-private",
            ),
            ("64:ff9b::7f00:1", "nat64", "127.0.0.1", "loopback"),
            (
                "64:ff9b::a9fe:a9fe",
                "nat64",
                "169.254.169.254",
                "cloud-metadata",
            ),
            ("2002:7f00:1::1", "6to4", "127.0.0.1", "loopback"),
            ("2002:c0a8:101::", "6to4", "192.168.1.1", "rfc1918-private"),
            // Teredo server 10.0.0.1, client public 8.8.8.8 (inverted f7f7:f7f7).
            (
                "2001:0:a00:1::f7f7:f7f7",
                "teredo-server",
                "10.0.0.1",
                "rfc1918-private",
            ),
            // Teredo server 8.8.8.8, client 127.0.0.1 (inverted 80ff:fffe).
            (
                "2001:0:808:808::80ff:fffe",
                "teredo-client",
                "127.0.0.1",
                "loopback",
            ),
        ] {
            let v = refused(addr);
            assert_eq!(v.embedding, Some(embedding), "{addr}");
            assert_eq!(v.embedded_ipv4, Some(v4.parse().unwrap()), "{addr}");
            assert_eq!(v.class, class, "{addr}");
            assert!(v.to_string().contains(v4), "{v}");
        }
    }

    #[test]
    fn global_addresses_pass_including_embedded_forms() {
        let p = AddressPolicy::default();
        for addr in [
            "93.184.215.14",
            "8.8.8.8",
            "1.1.1.1",
            "172.32.0.1",
            "100.128.0.1",
            "2606:4700::1111",
            "::ffff:8.8.8.8",
            "64:ff9b::808:808",
            "2002:808:808::1",
            "2001:0:808:808::f7f7:f7f7",
        ] {
            assert!(p.check(addr.parse().unwrap()).is_ok(), "{addr}");
        }
    }

    #[test]
    fn allow_list_lifts_refusal_including_embedded_forms() {
        let p = AddressPolicy::default()
            .with_allowed(["127.0.0.0/8".parse().unwrap(), "::1/128".parse().unwrap()]);
        for addr in ["127.0.0.1", "127.1.2.3", "::1", "::ffff:127.0.0.1"] {
            assert!(p.check(addr.parse().unwrap()).is_ok(), "{addr}");
        }
        assert!(p.check("10.0.0.1".parse().unwrap()).is_err());
        assert!(p.check("169.254.169.254".parse().unwrap()).is_err());
        assert_eq!(
            p.to_string(),
            "refuse non-global except 127.0.0.0/8, ::1/128"
        );
        assert!(
            AddressPolicy::allow_all()
                .check("10.0.0.1".parse().unwrap())
                .is_ok()
        );
    }

    #[test]
    fn check_all_refuses_when_any_address_is_refused() {
        let p = AddressPolicy::default();
        let addrs: Vec<IpAddr> = vec!["8.8.8.8".parse().unwrap(), "10.0.0.5".parse().unwrap()];
        let v = p.check_all(&addrs).unwrap_err();
        assert_eq!(v.address, addrs[1]);
    }

    #[test]
    fn violation_round_trips_through_json() {
        let v = refused("::ffff:169.254.169.254");
        let json = serde_json::to_value(&v).unwrap();
        assert_eq!(json["class"], "cloud-metadata");
        assert_eq!(json["range"], "169.254.169.254/32");
        assert_eq!(json["embedding"], "ipv4-mapped");
        let back: PolicyViolation = serde_json::from_value(json).unwrap();
        assert_eq!(back, v);
        let plain = serde_json::to_value(refused("10.0.0.1")).unwrap();
        assert!(plain.get("embedding").is_none());
    }

    #[test]
    fn every_class_name_is_interned() {
        for (_, _, class) in V4_REFUSED {
            assert_eq!(intern(class), *class);
        }
        for (_, _, class) in V6_REFUSED {
            assert_eq!(intern(class), *class);
        }
    }
}
