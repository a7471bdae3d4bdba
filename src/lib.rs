//! loglift: a log-ingestion and metrics agent for AWS.
//!
//! Data flows one way (see `DESIGN.md` §1): an object reference (from SQS or
//! a bucket listing) is routed to a dataset ([`route`]), its bytes are
//! decompressed ([`decompress`]), framed and parsed by `loglift-parsers`,
//! normalized and serialized ([`pipeline`]), and shipped to outputs. The
//! CloudWatch poller ([`cloudwatch`]) turns metrics into gauges on `/metrics`
//! and into metric events for the same outputs.

#![warn(missing_docs)]

pub mod agent;
pub mod aws;
pub mod cli;
pub mod cloudwatch;
pub mod commands;
pub mod config;
pub mod dataset;
pub mod decompress;
pub mod geoip;
pub mod http;
pub mod input;
pub mod metrics;
pub mod output;
pub mod pipeline;
pub mod route;
pub mod schema;
pub mod status;
pub mod telemetry;

/// Locks `m`, taking the data of a poisoned mutex as it is: every value
/// this crate guards stays consistent between its statements, so a panic
/// elsewhere does not make it unusable.
pub(crate) fn lock<T>(m: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}
