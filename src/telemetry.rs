//! Logging setup (`tracing`), to stderr, filtered by `LOGLIFT_LOG` (default
//! `info`).
//!
//! Two formats: `text` (one human-readable line per record, coloured only
//! when stderr is a terminal and `NO_COLOR` is not set, so files and journald
//! get no escape codes) and `json` (one JSON object per record, with the
//! record's structured fields, for log shippers), chosen with `--log-format`
//! or `LOGLIFT_LOG_FORMAT`.

use std::io::IsTerminal;

/// How log records are written.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    /// One line of text per record.
    #[default]
    Text,
    /// One JSON object per record: `timestamp`, `level`, `fields` (the
    /// message and the record's structured fields) and `span`s.
    Json,
}

impl LogFormat {
    /// The format given on the command line, else `LOGLIFT_LOG_FORMAT`, else text.
    pub fn choose(flag: Option<LogFormat>) -> Result<LogFormat, String> {
        if let Some(format) = flag {
            return Ok(format);
        }
        match std::env::var("LOGLIFT_LOG_FORMAT") {
            Ok(v) if v.eq_ignore_ascii_case("json") => Ok(LogFormat::Json),
            Ok(v) if v.eq_ignore_ascii_case("text") || v.is_empty() => Ok(LogFormat::Text),
            Ok(v) => Err(format!("LOGLIFT_LOG_FORMAT={v}: expected text or json")),
            Err(_) => Ok(LogFormat::Text),
        }
    }
}

/// Whether text logs get ANSI colours: only on a terminal, and never when
/// `NO_COLOR` is set to a non-empty value (<https://no-color.org>).
fn colour() -> bool {
    std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

/// Installs the global subscriber once.
pub fn init_logging(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("LOGLIFT_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false);
    let _ = match format {
        LogFormat::Text => builder.with_ansi(colour()).try_init(),
        LogFormat::Json => builder
            .json()
            .flatten_event(false)
            .with_current_span(false)
            .try_init(),
    };
}
