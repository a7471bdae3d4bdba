//! Logging setup (`tracing`), to stderr, filtered by `LOGLIFT_LOG` (default `info`).

/// Installs the global subscriber once.
pub fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("LOGLIFT_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .try_init();
}
