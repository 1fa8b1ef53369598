//! Shared parts of the examples: the seed-compatible HTTP service ([`service`]), its
//! configuration from the environment ([`config`]) and a readable rendering of reports
//! ([`render`]).

pub mod config;
pub mod render;
pub mod service;
