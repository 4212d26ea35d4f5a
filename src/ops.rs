//! Probes for orchestrators: `/healthz` (the process answers) and `/readyz` (the database
//! answers and clicks are being written; 503 otherwise, with what is wrong).

use std::time::Duration;

use axum::{Json, extract::State, http::StatusCode};
use serde_json::{Value, json};

use crate::state::AppState;

const READY_TIMEOUT: Duration = Duration::from_secs(2);

/// `GET /healthz`
pub async fn healthz() -> Json<Value> {
    Json(json!({"status": "ok"}))
}

/// `GET /readyz`
pub async fn readyz(State(state): State<AppState>) -> (StatusCode, Json<Value>) {
    let problem = match tokio::time::timeout(READY_TIMEOUT, state.store.ping()).await {
        Ok(Ok(())) => None,
        Ok(Err(error)) => Some(format!("database unreachable: {error}")),
        Err(_) => Some(format!(
            "database did not answer within {}s",
            READY_TIMEOUT.as_secs()
        )),
    };
    match problem {
        None => (
            StatusCode::OK,
            Json(json!({"status": "ok", "database": "ok"})),
        ),
        Some(problem) => {
            tracing::warn!(problem = %problem, "not ready");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(json!({"status": "unavailable", "database": problem})),
            )
        }
    }
}
