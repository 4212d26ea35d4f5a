//! Daily request quotas per token (docs/API.md §3), exact under concurrency and across instances.

use futures_util::future::join_all;
use reqwest::{Method, Response};
use serde_json::json;

use crate::helpers::{Server, TestApp, error_message};

fn header(response: &Response, name: &str) -> i64 {
    response.headers()[name].to_str().unwrap().parse().unwrap()
}

fn next_utc_midnight_secs() -> i64 {
    let now = openpxl::timestamp::now();
    openpxl::timestamp::next_utc_midnight(now) / 1000
}

#[tokio::test]
async fn every_authenticated_response_carries_the_rate_limit_headers() {
    let app = TestApp::spawn().await;
    let responses = [
        app.list_shorts("").await, // 200
        app.create_short(json!({"destination": "https://example.com"}))
            .await, // 201
        app.get_short("missing").await, // 404
        app.create_short(json!({})).await, // 400
        app.request(Method::PUT, "/api/v1/short")
            .send()
            .await
            .unwrap(), // 405
        app.request(Method::GET, "/api/v1/unknown")
            .send()
            .await
            .unwrap(), // 404 fallback
    ];
    for response in &responses {
        assert_eq!(
            header(response, "x-ratelimit-limit"),
            500,
            "{}",
            response.status()
        );
        assert!(header(response, "x-ratelimit-remaining") < 500);
        assert_eq!(
            header(response, "x-ratelimit-reset"),
            next_utc_midnight_secs()
        );
        assert!(header(response, "x-ratelimit-latency") >= 0);
    }
}

#[tokio::test]
async fn remaining_counts_down_with_each_request() {
    let app = TestApp::spawn().await;
    let first = app.list_shorts("").await;
    let second = app.list_shorts("").await;
    assert_eq!(header(&first, "x-ratelimit-remaining"), 499);
    assert_eq!(header(&second, "x-ratelimit-remaining"), 498);
}

#[tokio::test]
async fn a_token_without_its_own_limit_uses_the_server_default() {
    let app = TestApp::spawn_with(|settings| settings.daily_limit = 7).await;
    let response = app.list_shorts("").await;
    assert_eq!(header(&response, "x-ratelimit-limit"), 7);
    assert_eq!(header(&response, "x-ratelimit-remaining"), 6);
}

#[tokio::test]
async fn an_exhausted_token_gets_429_with_retry_after_and_the_reset_time() {
    let app = TestApp::spawn().await;
    let token = app.issue_token("acme", "bot@acme.test", Some(2)).await;
    for remaining in [1, 0] {
        let response = app
            .request_as(&token, Method::GET, "/api/v1/short")
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        assert_eq!(header(&response, "x-ratelimit-remaining"), remaining);
    }
    let response = app
        .request_as(&token, Method::GET, "/api/v1/short")
        .send()
        .await
        .unwrap();
    assert_eq!(header(&response, "x-ratelimit-limit"), 2);
    assert_eq!(header(&response, "x-ratelimit-remaining"), 0);
    let reset = header(&response, "x-ratelimit-reset");
    let retry_after = header(&response, "retry-after");
    let now_secs = openpxl::timestamp::now() / 1000;
    assert!(
        retry_after >= 1 && (reset - now_secs - retry_after).abs() <= 2,
        "{retry_after} vs {reset}"
    );
    let message = error_message(response, 429).await;
    assert!(
        message.contains("daily request limit of 2") && message.contains("resets at"),
        "{message}"
    );
    // The app's own token has a quota of its own.
    assert_eq!(app.list_shorts("").await.status(), 200);
}

async fn count_statuses(responses: Vec<Response>) -> (usize, usize) {
    let ok = responses.iter().filter(|r| r.status() == 200).count();
    let limited = responses.iter().filter(|r| r.status() == 429).count();
    assert_eq!(
        ok + limited,
        responses.len(),
        "only 200 and 429 are expected"
    );
    (ok, limited)
}

#[tokio::test]
async fn the_quota_is_exact_under_concurrency() {
    let app = TestApp::spawn().await;
    let token = app.issue_token("acme", "burst@acme.test", Some(20)).await;
    let requests = (0..60).map(|_| app.request_as(&token, Method::GET, "/api/v1/short").send());
    let responses: Vec<Response> = join_all(requests)
        .await
        .into_iter()
        .map(Result::unwrap)
        .collect();
    assert_eq!(count_statuses(responses).await, (20, 40));
}

#[tokio::test]
async fn the_quota_is_exact_across_two_instances_sharing_a_database() {
    let app = TestApp::spawn().await;
    let mut second = Server::start(&app.db.url, app.settings.clone()).await;
    let token = app.issue_token("acme", "burst@acme.test", Some(25)).await;
    let requests = (0..80).map(|i| {
        let base = if i % 2 == 0 {
            &app.server.address
        } else {
            &second.address
        };
        app.client
            .get(format!("{base}/api/v1/short"))
            .bearer_auth(&token)
            .send()
    });
    let responses: Vec<Response> = join_all(requests)
        .await
        .into_iter()
        .map(Result::unwrap)
        .collect();
    assert_eq!(count_statuses(responses).await, (25, 55));
    second.stop().await;
}
