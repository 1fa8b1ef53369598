//! Shared parts of the examples: the seed-compatible HTTP service ([`service`]), its
//! configuration from the environment ([`config`]), a readable rendering of reports
//! ([`render`]) and command-line plumbing ([`cli`]).

pub mod cli;
pub mod config;
pub mod render;
pub mod service;
