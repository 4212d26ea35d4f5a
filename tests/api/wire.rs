//! Wire conventions (docs/API.md §1): gzip, JSON errors from the router itself, envelopes.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{TestApp, error_message};

#[tokio::test]
async fn responses_are_gzipped_when_the_client_asks() {
    let app = TestApp::spawn().await;
    for i in 0..3 {
        app.created(json!({"destination": format!("https://example.com/{i}")}))
            .await;
    }
    let response = app
        .request(Method::GET, "/api/v1/short")
        .header("accept-encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-encoding"], "gzip");
    let bytes = response.bytes().await.unwrap();
    assert_eq!(&bytes[..2], &[0x1f, 0x8b], "a gzip stream");

    let plain = app
        .request(Method::GET, "/api/v1/short")
        .send()
        .await
        .unwrap();
    assert!(plain.headers().get("content-encoding").is_none());
    assert!(plain.json::<Value>().await.unwrap()["data"].is_array());
}

#[tokio::test]
async fn an_unknown_api_path_is_a_json_404() {
    let app = TestApp::spawn().await;
    for path in ["/api/v1/nothing", "/api/v2/short", "/api/"] {
        let message =
            error_message(app.request(Method::GET, path).send().await.unwrap(), 404).await;
        assert!(message.contains(path), "{message}");
    }
}

#[tokio::test]
async fn a_wrong_method_is_a_json_405_with_allow() {
    let app = TestApp::spawn().await;
    let response = app
        .request(Method::DELETE, "/api/v1/short")
        .send()
        .await
        .unwrap();
    let allow = response.headers()["allow"].to_str().unwrap().to_owned();
    assert!(allow.contains("GET") && allow.contains("POST"), "{allow}");
    let message = error_message(response, 405).await;
    assert!(message.contains("DELETE"), "{message}");
}

#[tokio::test]
async fn every_response_has_a_request_id() {
    let app = TestApp::spawn().await;
    let response = app.list_shorts("").await;
    assert!(!response.headers()["x-request-id"].is_empty());
    let response = app
        .request(Method::GET, "/api/v1/short")
        .header("x-request-id", "trace-me-123")
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["x-request-id"], "trace-me-123");
}

#[tokio::test]
async fn an_unknown_page_outside_the_api_is_html() {
    let app = TestApp::spawn().await;
    let response = app
        .client
        .get(app.url("/no-such-link"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 404);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
}

#[tokio::test]
async fn a_request_that_takes_too_long_is_a_json_408_with_the_quota_headers() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let app =
        TestApp::spawn_with(|s| s.request_timeout = std::time::Duration::from_millis(200)).await;
    let address = app.server.address.trim_start_matches("http://").to_owned();
    let mut stream = tokio::net::TcpStream::connect(&address).await.unwrap();
    // Promise a body and never send it: the handler waits for it until the timeout.
    let head = format!(
        "POST /api/v1/short HTTP/1.1\r\nHost: {address}\r\nAuthorization: Bearer {}\r\n\
         Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{{",
        app.token
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let mut response = vec![0; 4096];
    let read = stream.read(&mut response).await.unwrap();
    let response = String::from_utf8_lossy(&response[..read]).to_lowercase();
    assert!(response.starts_with("http/1.1 408"), "{response}");
    assert!(response.contains("x-ratelimit-remaining:"), "{response}");
    assert!(response.contains(r#""statuscode":408"#), "{response}");
}
