//! Probes for orchestrators: `/healthz` (the process answers) and `/readyz` (the database
//! answers and takes writes, and clicks are being written; 503 otherwise).
//!
//! Both are public, so they say only ok or not: what is wrong (the database's error, how
//! many clicks wait) goes to the log, never to whoever asks.

use std::time::Duration;

use axum::{Json, extract::State, http::StatusCode};
use serde::Serialize;

use crate::state::AppState;

const READY_TIMEOUT: Duration = Duration::from_secs(2);

/// A probe's answer: `ok`, or `unavailable` and nothing more.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ProbeStatus {
    #[schema(example = "ok")]
    status: &'static str,
}

const OK: ProbeStatus = ProbeStatus { status: "ok" };

/// `GET /healthz`
#[utoipa::path(
    get,
    path = "/healthz",
    operation_id = "healthz",
    tag = "Probes",
    summary = "The process answers",
    security(()),
    responses((status = 200, description = "Always, while the process answers.", body = ProbeStatus)),
)]
pub async fn healthz() -> Json<ProbeStatus> {
    Json(OK)
}

/// The database answers; and if writes were failing, a write succeeds again (without
/// this, an instance taken out of the load balancer would never see the write that
/// clears it).
async fn check(state: &AppState) -> Result<(), sqlx::Error> {
    state.store.ping().await?;
    if state.store.health().writes_failing() {
        state.store.probe_write().await?;
    }
    Ok(())
}

/// `GET /readyz`: 503 while the database does not answer, refuses writes, or clicks cannot
/// be written.
#[utoipa::path(
    get,
    path = "/readyz",
    operation_id = "readyz",
    tag = "Probes",
    summary = "The database answers and takes writes, and clicks are being written",
    security(()),
    responses(
        (status = 200, description = "Ready.", body = ProbeStatus),
        (status = 503, description = "Not ready; the reason is in the server log.", body = ProbeStatus),
    ),
)]
pub async fn readyz(State(state): State<AppState>) -> (StatusCode, Json<ProbeStatus>) {
    let database = match tokio::time::timeout(READY_TIMEOUT, check(&state)).await {
        Ok(Ok(())) => None,
        Ok(Err(error)) => Some(format!("database unreachable: {error}")),
        Err(_) => Some(format!(
            "database did not answer within {}s",
            READY_TIMEOUT.as_secs()
        )),
    };
    let recorder = state.clicks.status();
    if database.is_none() && recorder.last_error.is_none() {
        return (StatusCode::OK, Json(OK));
    }
    tracing::warn!(
        database = database.as_deref().unwrap_or("ok"),
        clicks.pending = recorder.pending,
        clicks.error = recorder.last_error.as_deref().unwrap_or("none"),
        "not ready"
    );
    (
        StatusCode::SERVICE_UNAVAILABLE,
        Json(ProbeStatus {
            status: "unavailable",
        }),
    )
}
