//! Bearer-token authentication (docs/API.md §2).

use openpxl::{auth::token, timestamp};
use reqwest::Method;

use crate::helpers::{TestApp, error_message};

#[tokio::test]
async fn a_request_without_a_token_is_401_with_a_bearer_challenge() {
    let app = TestApp::spawn().await;
    let response = app
        .client
        .get(app.url("/api/v1/short"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.headers()["www-authenticate"],
        r#"Bearer realm="openpxl""#
    );
    assert!(response.headers().get("x-ratelimit-limit").is_none());
    let message = error_message(response, 401).await;
    assert!(message.contains("Authorization: Bearer"), "{message}");
}

#[tokio::test]
async fn an_unknown_token_is_401_invalid_token() {
    let app = TestApp::spawn().await;
    let response = app
        .request_as("opxl_notarealtoken", Method::GET, "/api/v1/short")
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.headers()["www-authenticate"],
        r#"Bearer realm="openpxl", error="invalid_token""#
    );
    assert_eq!(
        error_message(response, 401).await,
        "invalid or expired token"
    );
}

#[tokio::test]
async fn a_malformed_authorization_header_is_401_invalid_token() {
    let app = TestApp::spawn().await;
    for header in [
        format!("Basic {}", app.token),
        "Bearer".to_owned(),
        format!("Bearer {} x", app.token),
    ] {
        let response = app
            .client
            .get(app.url("/api/v1/short"))
            .header("authorization", header)
            .send()
            .await
            .unwrap();
        assert_eq!(
            response.headers()["www-authenticate"],
            r#"Bearer realm="openpxl", error="invalid_token""#
        );
        assert_eq!(
            error_message(response, 401).await,
            "invalid or expired token"
        );
    }
}

#[tokio::test]
async fn the_bearer_scheme_is_accepted_in_any_case() {
    let app = TestApp::spawn().await;
    let response = app
        .client
        .get(app.url("/api/v1/short"))
        .header("authorization", format!("bearer {}", app.token))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
}

#[tokio::test]
async fn a_revoked_token_stops_working_at_once() {
    let app = TestApp::spawn().await;
    assert_eq!(app.list_shorts("").await.status(), 200);
    let auth = app
        .store()
        .find_token_by_digest(&token::digest(&app.token))
        .await
        .unwrap()
        .unwrap();
    assert!(
        app.store()
            .revoke_token(auth.id, timestamp::now())
            .await
            .unwrap()
    );
    let response = app.list_shorts("").await;
    assert_eq!(
        error_message(response, 401).await,
        "invalid or expired token"
    );
}

#[tokio::test]
async fn an_expired_token_is_401_and_one_not_yet_expired_works() {
    let app = TestApp::spawn().await;
    let auth = app
        .store()
        .find_token_by_digest(&token::digest(&app.token))
        .await
        .unwrap()
        .unwrap();
    let now = timestamp::now();
    app.store()
        .set_token_expiry(auth.id, Some(now + 3_600_000))
        .await
        .unwrap();
    assert_eq!(app.list_shorts("").await.status(), 200);
    app.store()
        .set_token_expiry(auth.id, Some(now - 1))
        .await
        .unwrap();
    let response = app.list_shorts("").await;
    assert_eq!(
        response.headers()["www-authenticate"],
        r#"Bearer realm="openpxl", error="invalid_token""#
    );
    assert_eq!(
        error_message(response, 401).await,
        "invalid or expired token"
    );
}

#[tokio::test]
async fn tokens_have_the_prefix_and_are_found_only_by_their_digest() {
    let app = TestApp::spawn().await;
    assert!(app.token.starts_with(token::TOKEN_PREFIX));
    assert!(app.token.len() >= token::TOKEN_PREFIX.len() + 43);
    let by_digest = app
        .store()
        .find_token_by_digest(&token::digest(&app.token))
        .await
        .unwrap();
    assert!(by_digest.is_some());
    let by_text = app
        .store()
        .find_token_by_digest(app.token.as_bytes())
        .await
        .unwrap();
    assert!(
        by_text.is_none(),
        "the token text itself must not be what is stored"
    );
}

#[tokio::test]
async fn a_token_records_when_it_was_last_used() {
    let app = TestApp::spawn().await;
    let digest = token::digest(&app.token);
    assert!(
        app.store()
            .find_token_by_digest(&digest)
            .await
            .unwrap()
            .unwrap()
            .last_used_at
            .is_none()
    );
    assert_eq!(app.list_shorts("").await.status(), 200);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    loop {
        let auth = app
            .store()
            .find_token_by_digest(&digest)
            .await
            .unwrap()
            .unwrap();
        if auth.last_used_at.is_some() {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "last_used_at was never written"
        );
        tokio::task::yield_now().await;
    }
}
