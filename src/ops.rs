//! Probes for orchestrators: `/healthz` (the process answers) and `/readyz` (the database
//! answers and clicks are being written; 503 otherwise, saying what is wrong).

use std::time::Duration;

use axum::{Json, extract::State, http::StatusCode};
use serde_json::{Value, json};

use crate::state::AppState;

const READY_TIMEOUT: Duration = Duration::from_secs(2);

/// `GET /healthz`
pub async fn healthz() -> Json<Value> {
    Json(json!({"status": "ok"}))
}

/// `GET /readyz`: 503 while the database does not answer or clicks cannot be written.
pub async fn readyz(State(state): State<AppState>) -> (StatusCode, Json<Value>) {
    let database = match tokio::time::timeout(READY_TIMEOUT, state.store.ping()).await {
        Ok(Ok(())) => None,
        Ok(Err(error)) => Some(format!("database unreachable: {error}")),
        Err(_) => Some(format!(
            "database did not answer within {}s",
            READY_TIMEOUT.as_secs()
        )),
    };
    let recorder = state.clicks.status();
    let ready = database.is_none() && recorder.last_error.is_none();
    let body = json!({
        "status": if ready { "ok" } else { "unavailable" },
        "database": database.as_deref().unwrap_or("ok"),
        "clicks": {
            "received": recorder.received,
            "written": recorder.written,
            "pending": recorder.pending,
            "lastError": recorder.last_error,
        },
    });
    if ready {
        return (StatusCode::OK, Json(body));
    }
    tracing::warn!(
        database = database.as_deref().unwrap_or("ok"),
        clicks.pending = recorder.pending,
        clicks.error = recorder.last_error.as_deref().unwrap_or("none"),
        "not ready"
    );
    (StatusCode::SERVICE_UNAVAILABLE, Json(body))
}
