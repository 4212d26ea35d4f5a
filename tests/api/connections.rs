//! Slow and numerous clients cannot hold the server: a header-read timeout (also the idle
//! keep-alive timeout), a connection limit, graceful shutdown with a deadline, and one
//! `Host` per request. Raw sockets, so the test controls every byte.

use std::time::{Duration, Instant};

use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
};

use crate::helpers::TestApp;

fn socket_address(app: &TestApp) -> String {
    app.server.address.trim_start_matches("http://").to_owned()
}

async fn connect(app: &TestApp) -> TcpStream {
    TcpStream::connect(socket_address(app)).await.unwrap()
}

/// Reads until the server closes the connection (or `limit` passes: then `None`).
async fn read_until_closed(stream: &mut TcpStream, limit: Duration) -> Option<String> {
    let mut received = Vec::new();
    let read = tokio::time::timeout(limit, stream.read_to_end(&mut received)).await;
    match read {
        Ok(Ok(_)) | Ok(Err(_)) => Some(String::from_utf8_lossy(&received).into_owned()),
        Err(_) => None,
    }
}

/// Reads one response head and whatever came with it.
async fn read_response(stream: &mut TcpStream, limit: Duration) -> Option<String> {
    let mut received = Vec::new();
    let mut buffer = [0u8; 4096];
    let deadline = Instant::now() + limit;
    while !String::from_utf8_lossy(&received).contains("\r\n\r\n") {
        let left = deadline.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, stream.read(&mut buffer)).await {
            Ok(Ok(0)) | Ok(Err(_)) | Err(_) => return None,
            Ok(Ok(n)) => received.extend_from_slice(&buffer[..n]),
        }
    }
    Some(String::from_utf8_lossy(&received).into_owned())
}

const HALF_A_HEAD: &[u8] = b"GET /healthz HTTP/1.1\r\nHost: short.test\r\nUser-Agent: slow";
const A_WHOLE_REQUEST: &[u8] = b"GET /healthz HTTP/1.1\r\nHost: short.test\r\n\r\n";

#[tokio::test]
async fn a_half_sent_request_head_is_cut_off_at_the_header_read_timeout() {
    let app = TestApp::spawn_with(|s| {
        s.connections.header_read_timeout = Duration::from_millis(500);
    })
    .await;
    let mut slow = connect(&app).await;
    slow.write_all(HALF_A_HEAD).await.unwrap();
    let started = Instant::now();
    let closed = read_until_closed(&mut slow, Duration::from_secs(10)).await;
    assert!(
        closed.is_some(),
        "the server closes a connection that never finishes its head"
    );
    assert!(started.elapsed() >= Duration::from_millis(400));
}

#[tokio::test]
async fn an_idle_keep_alive_connection_is_closed_at_the_same_timeout() {
    let app = TestApp::spawn_with(|s| {
        s.connections.header_read_timeout = Duration::from_millis(500);
    })
    .await;
    let mut client = connect(&app).await;
    client.write_all(A_WHOLE_REQUEST).await.unwrap();
    let response = read_response(&mut client, Duration::from_secs(5))
        .await
        .unwrap();
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    // Kept alive, then idle: closed by the server, not before the timeout.
    let idle_since = Instant::now();
    let closed = read_until_closed(&mut client, Duration::from_secs(10)).await;
    assert!(closed.is_some(), "an idle keep-alive connection is closed");
    assert!(idle_since.elapsed() >= Duration::from_millis(400));
}

#[tokio::test]
async fn beyond_the_connection_limit_new_connections_wait_for_a_free_one() {
    let app = TestApp::spawn_with(|s| {
        s.connections.max_connections = 3;
        s.connections.header_read_timeout = Duration::from_secs(60);
    })
    .await;
    let mut held = Vec::new();
    for _ in 0..3 {
        let mut stream = connect(&app).await;
        stream.write_all(HALF_A_HEAD).await.unwrap();
        held.push(stream);
    }
    // The kernel completes the handshake, but the server does not take the connection.
    let mut waiting = connect(&app).await;
    waiting.write_all(A_WHOLE_REQUEST).await.unwrap();
    assert!(
        read_response(&mut waiting, Duration::from_millis(300))
            .await
            .is_none(),
        "a fourth connection is not served while three are open"
    );
    drop(held.pop()); // one client goes away: its place is free
    let response = read_response(&mut waiting, Duration::from_secs(5))
        .await
        .expect("served once a place is free");
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
}

#[tokio::test]
async fn a_graceful_shutdown_is_not_held_by_half_read_or_idle_connections() {
    let mut app = TestApp::spawn_with(|s| {
        s.connections.header_read_timeout = Duration::from_secs(60);
        s.connections.drain_timeout = Duration::from_secs(60);
    })
    .await;
    let mut half = connect(&app).await;
    half.write_all(HALF_A_HEAD).await.unwrap();
    let mut idle = connect(&app).await;
    idle.write_all(A_WHOLE_REQUEST).await.unwrap();
    read_response(&mut idle, Duration::from_secs(5))
        .await
        .unwrap();

    let started = Instant::now();
    tokio::time::timeout(Duration::from_secs(5), app.server.stop())
        .await
        .expect("shutdown does not wait for clients that send nothing");
    assert!(started.elapsed() < Duration::from_secs(5));
    assert!(
        read_until_closed(&mut half, Duration::from_secs(1))
            .await
            .is_some()
    );
    assert!(
        read_until_closed(&mut idle, Duration::from_secs(1))
            .await
            .is_some()
    );
}

#[tokio::test]
async fn two_host_headers_are_a_400() {
    let app = TestApp::spawn().await;
    for path in ["/healthz", "/some-route", "/api/v1/short"] {
        let mut stream = connect(&app).await;
        let request =
            format!("GET {path} HTTP/1.1\r\nHost: short.test\r\nHost: other.test\r\n\r\n");
        stream.write_all(request.as_bytes()).await.unwrap();
        let response = read_response(&mut stream, Duration::from_secs(5))
            .await
            .unwrap();
        assert!(response.starts_with("HTTP/1.1 400"), "{path}: {response}");
        assert!(response.contains("exactly one Host"), "{response}");
    }
}
