//! The system resolver against a tiny DNS server on loopback: answers, NXDOMAIN, no records,
//! silence (timeout), the hosts file, IP literals and `.invalid` names.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::{Duration, Instant};

use genesys_resolver::dns::{DnsError, DnsResolver, SystemResolver};
use tokio::net::UdpSocket;

/// A UDP DNS server answering a few fixed names:
/// - `both.test`: A 93.184.215.14 and AAAA 2606:2800::1
/// - `nx.test`: NXDOMAIN
/// - `nodata.test`: no error, no answers
/// - anything else: no reply at all.
async fn start_dns_server() -> SocketAddr {
    let socket = UdpSocket::bind((Ipv4Addr::LOCALHOST, 0)).await.unwrap();
    let addr = socket.local_addr().unwrap();
    tokio::spawn(async move {
        let mut buf = [0u8; 1500];
        loop {
            let Ok((n, peer)) = socket.recv_from(&mut buf).await else {
                return;
            };
            if let Some(reply) = answer(&buf[..n]) {
                let _ = socket.send_to(&reply, peer).await;
            }
        }
    });
    addr
}

fn answer(query: &[u8]) -> Option<Vec<u8>> {
    if query.len() < 12 {
        return None;
    }
    // Question: labels from offset 12 to a zero byte, then type and class.
    let mut i = 12;
    let mut labels = Vec::new();
    while query[i] != 0 {
        let len = query[i] as usize;
        labels.push(String::from_utf8_lossy(&query[i + 1..i + 1 + len]).to_ascii_lowercase());
        i += 1 + len;
    }
    let qtype = u16::from_be_bytes([query[i + 1], query[i + 2]]);
    let question_end = i + 5;
    let name = labels.join(".");

    let (rcode, answers): (u8, Vec<(u16, Vec<u8>)>) = match name.as_str() {
        "both.test" => match qtype {
            1 => (0, vec![(1, vec![93, 184, 215, 14])]),
            28 => (
                0,
                vec![(
                    28,
                    "2606:2800::1"
                        .parse::<std::net::Ipv6Addr>()
                        .unwrap()
                        .octets()
                        .to_vec(),
                )],
            ),
            _ => (0, vec![]),
        },
        "nx.test" => (3, vec![]),
        "nodata.test" => (0, vec![]),
        _ => return None,
    };

    let mut out = Vec::new();
    out.extend_from_slice(&query[0..2]); // id
    let rd = query[2] & 0x01;
    out.push(0x80 | 0x04 | rd); // QR, AA, RD copied
    out.push(0x80 | rcode); // RA, rcode
    out.extend_from_slice(&1u16.to_be_bytes()); // qdcount
    out.extend_from_slice(&u16::try_from(answers.len()).unwrap().to_be_bytes());
    out.extend_from_slice(&0u16.to_be_bytes()); // nscount
    out.extend_from_slice(&0u16.to_be_bytes()); // arcount
    out.extend_from_slice(&query[12..question_end]);
    for (rtype, rdata) in answers {
        out.extend_from_slice(&[0xc0, 0x0c]); // pointer to the question name
        out.extend_from_slice(&rtype.to_be_bytes());
        out.extend_from_slice(&1u16.to_be_bytes()); // IN
        out.extend_from_slice(&60u32.to_be_bytes()); // TTL
        out.extend_from_slice(&u16::try_from(rdata.len()).unwrap().to_be_bytes());
        out.extend_from_slice(&rdata);
    }
    Some(out)
}

async fn resolver(timeout: Duration) -> SystemResolver {
    let server = start_dns_server().await;
    SystemResolver::with_name_servers(&[server], timeout).unwrap()
}

#[tokio::test]
async fn every_a_and_aaaa_answer_is_returned() {
    let r = resolver(Duration::from_secs(5)).await;
    let addrs = r.lookup("both.test").await.unwrap();
    assert!(
        addrs.contains(&"93.184.215.14".parse().unwrap()),
        "{addrs:?}"
    );
    assert!(
        addrs.contains(&"2606:2800::1".parse().unwrap()),
        "{addrs:?}"
    );
    assert_eq!(addrs.len(), 2);
}

#[tokio::test]
async fn nxdomain_is_no_such_name() {
    let r = resolver(Duration::from_secs(5)).await;
    let err = r.lookup("nx.test").await.unwrap_err();
    assert_eq!(
        err,
        DnsError::NxDomain {
            host: "nx.test".into()
        }
    );
    assert!(err.is_not_found() && !err.is_retryable());
    assert_eq!(err.to_string(), "no such name: nx.test");
}

#[tokio::test]
async fn no_address_records_is_no_records() {
    let r = resolver(Duration::from_secs(5)).await;
    let err = r.lookup("nodata.test").await.unwrap_err();
    assert_eq!(
        err,
        DnsError::NoRecords {
            host: "nodata.test".into()
        }
    );
    assert!(err.is_not_found());
}

#[tokio::test]
async fn a_silent_server_is_a_timeout() {
    let r = resolver(Duration::from_millis(300)).await;
    let started = Instant::now();
    let err = r.lookup("silent.test").await.unwrap_err();
    assert!(err.is_timeout(), "{err:?}");
    assert!(err.is_retryable());
    assert!(err.to_string().contains("silent.test"), "{err}");
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn ip_literals_and_invalid_names_ask_no_server() {
    // The server never answers these names, so an answer proves no query was needed.
    let r = resolver(Duration::from_secs(5)).await;
    let started = Instant::now();
    assert_eq!(
        r.lookup("127.0.0.1").await.unwrap(),
        [IpAddr::V4(Ipv4Addr::LOCALHOST)]
    );
    assert_eq!(
        r.lookup("[::1]").await.unwrap(),
        ["::1".parse::<IpAddr>().unwrap()]
    );
    let err = r.lookup("anything.invalid").await.unwrap_err();
    assert_eq!(
        err,
        DnsError::NxDomain {
            host: "anything.invalid".into()
        }
    );
    assert!(started.elapsed() < Duration::from_secs(1));
}

#[tokio::test]
async fn localhost_comes_from_the_hosts_file() {
    // Every hosts file maps localhost to loopback; the (silent) server is never asked.
    let r = resolver(Duration::from_secs(5)).await;
    let addrs = r.lookup("localhost").await.unwrap();
    assert!(!addrs.is_empty());
    assert!(addrs.iter().all(IpAddr::is_loopback), "{addrs:?}");
}

#[tokio::test]
async fn system_configuration_loads() {
    let r = SystemResolver::new().unwrap();
    assert_eq!(r.timeout(), Duration::from_secs(5));
    assert!(format!("{r:?}").contains("SystemResolver"));
}
