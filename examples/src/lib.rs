//! Shared parts of the examples: their configuration from the environment ([`config`]), a
//! readable rendering of reports ([`render`]) and command-line plumbing ([`cli`]). The HTTP
//! service is its own package, `genesys-resolver-service` (binary `resolver_service`).

pub mod cli;
pub mod config;
pub mod render;

/// The repository README's examples (the project's front page), compiled as doctests.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
pub struct FrontPageDoctests;
