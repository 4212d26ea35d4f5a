//! Listing and fetching short links (docs/API.md §4): paging, the three ways to write an id, and
//! tenant isolation.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{DEFAULT_DOMAIN, ORG, TestApp, error_message, id_of};

async fn data(response: reqwest::Response) -> Value {
    assert_eq!(response.status(), 200);
    response.json::<Value>().await.unwrap()["data"].clone()
}

fn routes(list: &Value) -> Vec<&str> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|s| s["route"].as_str().unwrap())
        .collect()
}

#[tokio::test]
async fn listing_returns_newest_first_with_the_total_count() {
    let app = TestApp::spawn().await;
    for route in ["first", "second", "third"] {
        app.created(json!({"destination": "https://example.com", "route": route}))
            .await;
    }
    let response = app.list_shorts("").await;
    assert_eq!(response.headers()["x-total-count"], "3");
    assert_eq!(routes(&data(response).await), ["third", "second", "first"]);
}

#[tokio::test]
async fn take_and_skip_page_through_links() {
    let app = TestApp::spawn().await;
    for i in 0..5 {
        app.created(json!({"destination": "https://example.com", "route": format!("r{i}")}))
            .await;
    }
    let response = app.list_shorts("?take=2&skip=1").await;
    assert_eq!(response.headers()["x-total-count"], "5");
    assert_eq!(routes(&data(response).await), ["r3", "r2"]);
    assert_eq!(
        routes(&data(app.list_shorts("?skip=4").await).await),
        ["r0"]
    );
    assert!(routes(&data(app.list_shorts("?skip=10").await).await).is_empty());
}

#[tokio::test]
async fn an_empty_organization_lists_nothing() {
    let app = TestApp::spawn().await;
    let response = app.list_shorts("").await;
    assert_eq!(response.headers()["x-total-count"], "0");
    assert_eq!(data(response).await, json!([]));
}

#[tokio::test]
async fn take_and_skip_out_of_range_or_not_numbers_are_400() {
    let app = TestApp::spawn().await;
    for query in [
        "?take=0",
        "?take=1001",
        "?take=ten",
        "?skip=-1",
        "?skip=1e3",
        "?take=",
    ] {
        let message = error_message(app.list_shorts(query).await, 400).await;
        assert!(
            message.contains("take must be") || message.contains("skip must be"),
            "{query}: {message}"
        );
    }
    assert_eq!(app.list_shorts("?take=1000&skip=0").await.status(), 200);
}

#[tokio::test]
async fn listing_shows_only_the_callers_organization() {
    let app = TestApp::spawn().await;
    let other = app.other_org_token().await;
    app.created(json!({"destination": "https://example.com", "route": "mine"}))
        .await;
    app.create_short_as(
        &other,
        json!({"destination": "https://example.com", "route": "theirs"}),
    )
    .await;
    let response = app.list_shorts("").await;
    assert_eq!(response.headers()["x-total-count"], "1");
    assert_eq!(routes(&data(response).await), ["mine"]);
}

#[tokio::test]
async fn a_link_can_be_fetched_by_encoded_raw_or_bare_id() {
    let app = TestApp::spawn().await;
    let short = app
        .created(json!({"destination": "https://example.com", "route": "launch"}))
        .await;
    for id in [
        format!("{DEFAULT_DOMAIN}%2Flaunch"),
        format!("{DEFAULT_DOMAIN}/launch"),
        "launch".to_owned(),
    ] {
        let fetched = data(app.get_short(&id).await).await;
        assert_eq!(fetched, short, "{id}");
    }
}

#[tokio::test]
async fn a_bare_route_prefers_the_default_domain() {
    let app = TestApp::spawn().await;
    app.add_domain(ORG, "go.acme.test").await;
    app.created(json!({"destination": "https://example.com/custom", "route": "x", "domain": "go.acme.test"}))
        .await;
    app.created(json!({"destination": "https://example.com/default", "route": "x"}))
        .await;
    let fetched = data(app.get_short("x").await).await;
    assert_eq!(fetched["id"], format!("{DEFAULT_DOMAIN}/x"));
}

#[tokio::test]
async fn a_bare_route_finds_the_callers_only_link_on_a_custom_domain() {
    let app = TestApp::spawn().await;
    app.add_domain(ORG, "go.acme.test").await;
    app.created(
        json!({"destination": "https://example.com", "route": "only", "domain": "go.acme.test"}),
    )
    .await;
    assert_eq!(
        data(app.get_short("only").await).await["id"],
        "go.acme.test/only"
    );
}

#[tokio::test]
async fn a_bare_route_shared_by_two_custom_domains_is_409_listing_both() {
    let app = TestApp::spawn().await;
    app.add_domain(ORG, "a.acme.test").await;
    app.add_domain(ORG, "b.acme.test").await;
    for domain in ["a.acme.test", "b.acme.test"] {
        app.created(
            json!({"destination": "https://example.com", "route": "dup", "domain": domain}),
        )
        .await;
    }
    let message = error_message(app.get_short("dup").await, 409).await;
    assert!(
        message.contains("a.acme.test/dup") && message.contains("b.acme.test/dup"),
        "{message}"
    );
}

#[tokio::test]
async fn another_organizations_link_is_404_never_403() {
    let app = TestApp::spawn().await;
    let other = app.other_org_token().await;
    let response = app
        .create_short_as(
            &other,
            json!({"destination": "https://example.com", "route": "secret"}),
        )
        .await;
    assert_eq!(response.status(), 201);
    for id in [format!("{DEFAULT_DOMAIN}/secret"), "secret".to_owned()] {
        let message = error_message(app.get_short(&id).await, 404).await;
        assert_eq!(message, format!("short link {id} not found"));
    }
}

#[tokio::test]
async fn ids_that_cannot_name_a_link_are_404() {
    let app = TestApp::spawn().await;
    for id in ["%00", "a%00b", "short.test%2F%00", "bad%20route"] {
        assert_eq!(app.get_short(id).await.status(), 404, "{id}");
    }
}

#[tokio::test]
async fn an_unknown_link_is_404_naming_it() {
    let app = TestApp::spawn().await;
    let message = error_message(app.get_short("pxl.example%2Fnothing").await, 404).await;
    assert_eq!(message, "short link pxl.example/nothing not found");
}

#[tokio::test]
async fn head_works_on_the_list_and_on_a_link() {
    let app = TestApp::spawn().await;
    let short = app
        .created(json!({"destination": "https://example.com"}))
        .await;
    for path in [
        "/api/v1/short".to_owned(),
        format!("/api/v1/short/{}", id_of(&short)),
    ] {
        let response = app.request(Method::HEAD, &path).send().await.unwrap();
        assert_eq!(response.status(), 200, "{path}");
        assert!(response.headers().get("x-ratelimit-remaining").is_some());
        assert!(response.bytes().await.unwrap().is_empty());
    }
}
