//! The load benchmark of `resolver_service` against the seed's Go service: see
//! `genesys_resolver_benches::load`, `benches/load.sh` and `docs/src/benchmarks.md`.

fn main() -> std::process::ExitCode {
    genesys_resolver_benches::load::main()
}
