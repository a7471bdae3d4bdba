//! The HTTP server: `/metrics` (Prometheus text), `/healthz` (200, or 503
//! with the reasons), `/status` (JSON, see [`crate::status`]).

use anyhow::Context;
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use tracing::info;

/// Starts serving on `listen`; the server stops when `shutdown` is cancelled.
pub async fn serve(listen: &str, shutdown: CancellationToken) -> anyhow::Result<JoinHandle<()>> {
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .with_context(|| format!("binding the HTTP server to {listen}"))?;
    info!(address = %listener.local_addr()?, "serving /metrics, /healthz and /status");
    let app = Router::new()
        .route("/metrics", get(metrics))
        .route("/healthz", get(healthz))
        .route("/status", get(status));
    Ok(tokio::spawn(async move {
        let _ = axum::serve(listener, app)
            .with_graceful_shutdown(async move { shutdown.cancelled().await })
            .await;
    }))
}

async fn metrics() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        crate::metrics::render(),
    )
}

async fn healthz() -> impl IntoResponse {
    let problems = crate::status::global().problems();
    if problems.is_empty() {
        (StatusCode::OK, "ok\n".to_string())
    } else {
        let mut body = String::from("unhealthy\n");
        for p in problems {
            body.push_str(&p);
            body.push('\n');
        }
        (StatusCode::SERVICE_UNAVAILABLE, body)
    }
}

async fn status() -> impl IntoResponse {
    axum::Json(crate::status::global().report())
}
