//! Validation of valid and invalid payloads; payload parse and serialize.

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use genesys_resolver::payload::ResolvePayload;
use genesys_resolver::validate::validate;
use genesys_resolver_benches::{invalid_payload, sample_payload};

fn validation(c: &mut Criterion) {
    let mut group = c.benchmark_group("validate");
    for extra in [0usize, 10] {
        let p = sample_payload(extra);
        group.bench_with_input(BenchmarkId::new("valid", extra + 1), &p, |b, p| {
            b.iter(|| validate(black_box(p)).is_ok());
        });
    }
    let bad = invalid_payload();
    group.bench_function("invalid_many_violations", |b| {
        b.iter(|| validate(black_box(&bad)).unwrap_err().violations().len());
    });
    group.finish();
}

fn parse_serialize(c: &mut Criterion) {
    let mut group = c.benchmark_group("wire");
    for extra in [0usize, 10] {
        let p = sample_payload(extra);
        let json = p.to_wire_json();
        group.throughput(Throughput::Bytes(json.len() as u64));
        group.bench_with_input(BenchmarkId::new("serialize", extra + 1), &p, |b, p| {
            b.iter(|| black_box(p).to_wire_json());
        });
        group.bench_with_input(
            BenchmarkId::new("parse_strict", extra + 1),
            &json,
            |b, j| {
                b.iter(|| ResolvePayload::from_json(black_box(j.as_bytes())));
            },
        );
        group.bench_with_input(
            BenchmarkId::new("parse_serde_derive", extra + 1),
            &json,
            |b, j| {
                b.iter(|| serde_json::from_str::<ResolvePayload>(black_box(j)));
            },
        );
    }
    group.finish();
}

criterion_group!(benches, validation, parse_serialize);
criterion_main!(benches);
