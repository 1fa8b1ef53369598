//! Address policy checks: allowed and refused addresses, IPv4 and IPv6 (embedded IPv4 too),
//! with and without allow-listed ranges.

use std::hint::black_box;
use std::net::IpAddr;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use genesys_resolver::policy::AddressPolicy;
use ipnet::IpNet;

fn addresses() -> Vec<(&'static str, IpAddr)> {
    [
        ("v4_global", "93.184.216.34"),
        ("v4_loopback", "127.0.0.1"),
        ("v4_private", "10.1.2.3"),
        ("v4_metadata", "169.254.169.254"),
        ("v6_global", "2606:2800:220:1:248:1893:25c8:1946"),
        ("v6_loopback", "::1"),
        ("v6_mapped_private", "::ffff:192.168.1.10"),
        ("v6_unique_local", "fd00::1"),
    ]
    .into_iter()
    .map(|(label, ip)| (label, ip.parse().expect("a literal address")))
    .collect()
}

fn check(c: &mut Criterion) {
    let default = AddressPolicy::default();
    let with_allowed = AddressPolicy::default().with_allowed(
        ["127.0.0.0/8", "::1/128", "10.0.0.0/8", "fd00::/8"]
            .map(|n| n.parse::<IpNet>().expect("a literal range")),
    );
    let mut group = c.benchmark_group("policy_check");
    for (label, ip) in addresses() {
        group.bench_with_input(BenchmarkId::new("default", label), &ip, |b, ip| {
            b.iter(|| default.check(black_box(*ip)).is_ok());
        });
        group.bench_with_input(BenchmarkId::new("allow_listed", label), &ip, |b, ip| {
            b.iter(|| with_allowed.check(black_box(*ip)).is_ok());
        });
    }
    group.finish();

    // A host that resolves to many addresses: every one is checked.
    let all: Vec<IpAddr> = addresses().into_iter().map(|(_, ip)| ip).collect();
    let globals: Vec<IpAddr> = (0..16u8).map(|i| IpAddr::from([93, 184, 216, i])).collect();
    let mut group = c.benchmark_group("policy_check_all");
    group.throughput(Throughput::Elements(globals.len() as u64));
    group.bench_function("16_global_v4", |b| {
        b.iter(|| default.check_all(black_box(&globals)).is_ok());
    });
    group.throughput(Throughput::Elements(all.len() as u64));
    group.bench_function("mixed_first_refusal", |b| {
        b.iter(|| default.check_all(black_box(&all)).is_err());
    });
    group.finish();
}

criterion_group!(benches, check);
criterion_main!(benches);
