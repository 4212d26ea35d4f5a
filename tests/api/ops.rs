//! Health and readiness probes.

use serde_json::{Value, json};

use crate::helpers::TestApp;

#[tokio::test]
async fn healthz_answers_without_a_token() {
    let app = TestApp::spawn().await;
    let response = app.client.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.json::<Value>().await.unwrap()["status"], "ok");
    let head = app.client.head(app.url("/healthz")).send().await.unwrap();
    assert_eq!(head.status(), 200);
}

#[tokio::test]
async fn readyz_is_200_while_the_database_answers_and_503_when_it_does_not() {
    let app = TestApp::spawn().await;
    let response = app.client.get(app.url("/readyz")).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.json::<Value>().await.unwrap(),
        json!({"status": "ok"})
    );

    app.store().close().await; // the server's pool: the database is now out of reach
    let response = app.client.get(app.url("/readyz")).send().await.unwrap();
    assert_eq!(response.status(), 503);
    // Public: it says only that it is not ready; the cause goes to the log.
    let body: Value = response.json().await.unwrap();
    assert_eq!(body, json!({"status": "unavailable"}));
}

#[tokio::test]
async fn the_server_stops_gracefully_when_asked() {
    let mut app = TestApp::spawn().await;
    assert_eq!(app.list_shorts("").await.status(), 200);
    app.server.stop().await;
    assert!(
        app.client.get(app.url("/healthz")).send().await.is_err(),
        "nothing listens any more"
    );
}
