//! `POST /api/v1/short` (docs/API.md §4): creation, and every way a body can be wrong.

use futures_util::future::join_all;
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{DEFAULT_DOMAIN, ORG, TestApp, error_message, id_of};

fn is_iso_millis(value: &Value) -> bool {
    let text = value.as_str().unwrap_or_default();
    text.len() == 24
        && text.ends_with('Z')
        && text.as_bytes()[10] == b'T'
        && text.as_bytes()[19] == b'.'
}

#[tokio::test]
async fn creating_a_link_returns_201_with_the_short_object() {
    let app = TestApp::spawn().await;
    let response = app
        .create_short(json!({
            "destination": "https://example.com/launch?x=1",
            "route": "launch",
            "title": "Launch",
            "description": "Our launch page",
            "image": "https://example.com/card.png",
            "favicon": "https://example.com/favicon.ico",
            "consent": true,
        }))
        .await;
    assert_eq!(response.status(), 201);
    let short = response.json::<Value>().await.unwrap()["data"].clone();
    assert_eq!(short["id"], format!("{DEFAULT_DOMAIN}/launch"));
    assert_eq!(short["route"], "launch");
    assert_eq!(short["domain"], DEFAULT_DOMAIN);
    assert_eq!(short["destination"], "https://example.com/launch?x=1");
    assert_eq!(short["title"], "Launch");
    assert_eq!(short["description"], "Our launch page");
    assert_eq!(short["image"], "https://example.com/card.png");
    assert_eq!(short["favicon"], "https://example.com/favicon.ico");
    assert_eq!(short["consent"], true);
    assert_eq!(short["clicks"], 0);
    assert!(is_iso_millis(&short["createdAt"]), "{}", short["createdAt"]);
    assert_eq!(short["createdAt"], short["updatedAt"]);
}

#[tokio::test]
async fn optional_fields_default_to_null_and_consent_to_false() {
    let app = TestApp::spawn().await;
    let short = app
        .created(json!({"destination": "https://example.com"}))
        .await;
    for field in ["title", "description", "image", "favicon"] {
        assert!(short[field].is_null(), "{field}");
    }
    assert_eq!(short["consent"], false);
}

#[tokio::test]
async fn null_optional_fields_mean_not_set() {
    let app = TestApp::spawn().await;
    let short = app
        .created(
            json!({"destination": "https://example.com", "route": null, "domain": null,
                        "title": null, "consent": null, "image": null}),
        )
        .await;
    assert_eq!(short["route"].as_str().unwrap().len(), 7);
    assert_eq!(short["domain"], DEFAULT_DOMAIN);
    assert!(short["title"].is_null());
    assert_eq!(short["consent"], false);
}

#[tokio::test]
async fn a_link_without_a_route_gets_a_random_seven_character_route() {
    let app = TestApp::spawn().await;
    let mut routes = std::collections::HashSet::new();
    for _ in 0..5 {
        let short = app
            .created(json!({"destination": "https://example.com"}))
            .await;
        let route = short["route"].as_str().unwrap().to_owned();
        assert_eq!(route.len(), 7);
        assert!(
            route
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit()),
            "{route}"
        );
        routes.insert(route);
    }
    assert_eq!(routes.len(), 5);
}

#[tokio::test]
async fn routes_are_case_sensitive() {
    let app = TestApp::spawn().await;
    app.created(json!({"destination": "https://example.com/1", "route": "Promo"}))
        .await;
    let short = app
        .created(json!({"destination": "https://example.com/2", "route": "promo"}))
        .await;
    assert_eq!(short["route"], "promo");
}

#[tokio::test]
async fn a_taken_route_is_409() {
    let app = TestApp::spawn().await;
    app.created(json!({"destination": "https://example.com", "route": "taken"}))
        .await;
    let response = app
        .create_short(json!({"destination": "https://example.org", "route": "taken"}))
        .await;
    let message = error_message(response, 409).await;
    assert!(
        message.contains("taken") && message.contains(&format!("{DEFAULT_DOMAIN}/taken")),
        "{message}"
    );
}

#[tokio::test]
async fn a_route_taken_by_another_organization_is_409_too() {
    let app = TestApp::spawn().await;
    let other = app.other_org_token().await;
    app.created(json!({"destination": "https://example.com", "route": "shared"}))
        .await;
    let response = app
        .create_short_as(
            &other,
            json!({"destination": "https://x.example", "route": "shared"}),
        )
        .await;
    error_message(response, 409).await;
}

#[tokio::test]
async fn concurrent_creations_of_one_route_give_exactly_one_201() {
    let app = TestApp::spawn().await;
    let attempts = (0..12).map(|i| {
        app.create_short(
            json!({"destination": format!("https://example.com/{i}"), "route": "race"}),
        )
    });
    let statuses: Vec<u16> = join_all(attempts)
        .await
        .iter()
        .map(|r| r.status().as_u16())
        .collect();
    assert_eq!(
        statuses.iter().filter(|s| **s == 201).count(),
        1,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == 409).count(),
        11,
        "{statuses:?}"
    );
}

#[tokio::test]
async fn reserved_routes_are_refused_on_the_default_domain() {
    let app = TestApp::spawn().await;
    for route in ["api", "healthz", "readyz", "static", "dashboard", "API"] {
        let response = app
            .create_short(json!({"destination": "https://example.com", "route": route}))
            .await;
        let message = error_message(response, 400).await;
        assert!(message.contains("reserved"), "{route}: {message}");
    }
}

#[tokio::test]
async fn reserved_routes_are_allowed_on_a_custom_domain() {
    let app = TestApp::spawn().await;
    app.add_domain(ORG, "go.acme.test").await;
    let short = app
        .created(
            json!({"destination": "https://example.com", "route": "api", "domain": "go.acme.test"}),
        )
        .await;
    assert_eq!(short["id"], "go.acme.test/api");
}

#[tokio::test]
async fn invalid_routes_are_400() {
    let app = TestApp::spawn().await;
    let long = "x".repeat(101);
    for route in ["", "a b", "a/b", "ü", "a.b", long.as_str()] {
        let response = app
            .create_short(json!({"destination": "https://example.com", "route": route}))
            .await;
        let message = error_message(response, 400).await;
        assert!(
            message.contains("route must be 1 to 100 characters"),
            "{route:?}: {message}"
        );
    }
    let ok = "x".repeat(100);
    app.created(json!({"destination": "https://example.com", "route": ok}))
        .await;
}

#[tokio::test]
async fn a_missing_destination_is_400() {
    let app = TestApp::spawn().await;
    for body in [
        json!({}),
        json!({"destination": null}),
        json!({"route": "x"}),
    ] {
        let message = error_message(app.create_short(body).await, 400).await;
        assert!(message.contains("destination is required"), "{message}");
    }
}

#[tokio::test]
async fn destinations_that_are_not_absolute_http_urls_are_400() {
    let app = TestApp::spawn().await;
    for destination in [
        "javascript:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        "ftp://example.com/file",
        "mailto:a@example.com",
        "/relative/path",
        "example.com",
        "https://",
        "",
    ] {
        let response = app.create_short(json!({"destination": destination})).await;
        let message = error_message(response, 400).await;
        assert!(
            message.contains("destination"),
            "{destination:?}: {message}"
        );
    }
}

#[tokio::test]
async fn an_over_long_destination_is_400_and_the_longest_allowed_is_kept() {
    let app = TestApp::spawn().await;
    let base = "https://example.com/";
    let longest = format!("{base}{}", "a".repeat(4096 - base.len()));
    let short = app.created(json!({"destination": longest})).await;
    assert_eq!(short["destination"], longest.as_str());
    let too_long = format!("{longest}a");
    let message = error_message(
        app.create_short(json!({"destination": too_long})).await,
        400,
    )
    .await;
    assert!(message.contains("at most 4096 bytes"), "{message}");
}

#[tokio::test]
async fn a_destination_on_one_of_our_short_domains_is_400() {
    let app = TestApp::spawn().await;
    app.other_org_token().await;
    app.add_domain("globex", "go.other.test").await;
    for destination in [
        format!("https://{DEFAULT_DOMAIN}/x"),
        "http://GO.other.test/loop".to_owned(),
    ] {
        let message = error_message(
            app.create_short(json!({"destination": destination})).await,
            400,
        )
        .await;
        assert!(message.contains("loop"), "{message}");
    }
}

#[tokio::test]
async fn an_unknown_domain_is_400_saying_how_to_add_it() {
    let app = TestApp::spawn().await;
    let response = app
        .create_short(json!({"destination": "https://example.com", "domain": "go.nowhere.test"}))
        .await;
    let message = error_message(response, 400).await;
    assert!(
        message.contains("openpxl domain add go.nowhere.test"),
        "{message}"
    );
}

#[tokio::test]
async fn another_organizations_domain_is_400() {
    let app = TestApp::spawn().await;
    app.other_org_token().await;
    app.add_domain("globex", "go.globex.test").await;
    let response = app
        .create_short(json!({"destination": "https://example.com", "domain": "go.globex.test"}))
        .await;
    let message = error_message(response, 400).await;
    assert!(
        message.contains("not set up for your organization"),
        "{message}"
    );
}

#[tokio::test]
async fn a_domain_of_the_organization_is_used_in_any_case() {
    let app = TestApp::spawn().await;
    app.add_domain(ORG, "go.acme.test").await;
    let short = app
        .created(
            json!({"destination": "https://example.com", "domain": "Go.Acme.TEST", "route": "x"}),
        )
        .await;
    assert_eq!(short["id"], "go.acme.test/x");
    assert_eq!(short["domain"], "go.acme.test");
}

#[tokio::test]
async fn a_malformed_domain_is_400() {
    let app = TestApp::spawn().await;
    let response = app
        .create_short(json!({"destination": "https://example.com", "domain": "https://x.test/"}))
        .await;
    let message = error_message(response, 400).await;
    assert!(message.contains("without scheme or path"), "{message}");
}

#[tokio::test]
async fn image_and_favicon_must_be_http_urls() {
    let app = TestApp::spawn().await;
    let response = app
        .create_short(json!({"destination": "https://example.com", "image": "javascript:x", "favicon": "icon.png"}))
        .await;
    let message = error_message(response, 400).await;
    assert!(
        message.contains("image must be") && message.contains("favicon must be"),
        "{message}"
    );
}

#[tokio::test]
async fn over_long_title_and_description_are_400() {
    let app = TestApp::spawn().await;
    let response = app
        .create_short(
            json!({"destination": "https://example.com", "title": "t".repeat(501),
                             "description": "d".repeat(2001)}),
        )
        .await;
    let message = error_message(response, 400).await;
    assert!(
        message.contains("title is 501 characters") && message.contains("description is 2001"),
        "{message}"
    );
}

#[tokio::test]
async fn control_characters_are_400() {
    let app = TestApp::spawn().await;
    for body in [
        json!({"destination": "https://example.com", "title": "a\u{0}b"}),
        json!({"destination": "https://example.com/a\nb"}),
        json!({"destination": "https://example.com", "favicon": "https://example.com/\u{0}"}),
    ] {
        let message = error_message(app.create_short(body.clone()).await, 400).await;
        assert!(message.contains("control characters"), "{body}: {message}");
    }
    let short = app
        .created(json!({"destination": "https://example.com", "description": "two\nlines\tok"}))
        .await;
    assert_eq!(short["description"], "two\nlines\tok");
}

#[tokio::test]
async fn wrong_field_types_get_one_message_per_field() {
    let app = TestApp::spawn().await;
    let response = app
        .create_short(
            json!({"destination": 42, "route": ["a"], "consent": "maybe", "title": {"a": 1}}),
        )
        .await;
    assert_eq!(response.status(), 400);
    let body: Value = response.json().await.unwrap();
    let messages = body["message"].as_array().expect("a list of messages");
    assert_eq!(messages.len(), 4, "{messages:?}");
}

#[tokio::test]
async fn read_only_and_unknown_fields_are_ignored() {
    let app = TestApp::spawn().await;
    let short = app
        .created(
            json!({"destination": "https://example.com", "route": "ro", "id": "evil.test/x",
                        "clicks": 1000, "createdAt": "2000-01-01T00:00:00.000Z", "updatedAt": 5,
                        "somethingElse": true}),
        )
        .await;
    assert_eq!(short["id"], format!("{DEFAULT_DOMAIN}/ro"));
    assert_eq!(short["clicks"], 0);
    assert_ne!(short["createdAt"], "2000-01-01T00:00:00.000Z");
}

#[tokio::test]
async fn a_form_encoded_body_is_accepted() {
    let app = TestApp::spawn().await;
    let response = app
        .request(Method::POST, "/api/v1/short")
        .header("content-type", "application/x-www-form-urlencoded")
        .body("destination=https%3A%2F%2Fexample.com%2Fa%3Fb%3Dc&route=form&consent=true&title=")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    let short = response.json::<Value>().await.unwrap()["data"].clone();
    assert_eq!(short["destination"], "https://example.com/a?b=c");
    assert_eq!(short["consent"], true);
    assert!(short["title"].is_null());
}

#[tokio::test]
async fn json_with_a_charset_parameter_is_accepted() {
    let app = TestApp::spawn().await;
    let response = app
        .request(Method::POST, "/api/v1/short")
        .header("content-type", "application/json; charset=utf-8")
        .body(r#"{"destination":"https://example.com"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
}

#[tokio::test]
async fn other_content_types_or_none_are_415() {
    let app = TestApp::spawn().await;
    for content_type in [
        Some("text/plain"),
        Some("multipart/form-data; boundary=x"),
        None,
    ] {
        let mut request = app
            .request(Method::POST, "/api/v1/short")
            .body(r#"{"destination":"https://a.b"}"#);
        if let Some(content_type) = content_type {
            request = request.header("content-type", content_type);
        }
        let message = error_message(request.send().await.unwrap(), 415).await;
        assert!(message.contains("application/json"), "{message}");
    }
}

#[tokio::test]
async fn malformed_or_non_object_json_is_400() {
    let app = TestApp::spawn().await;
    for body in ["{", r#"{"destination": }"#, "[]", "\"text\"", ""] {
        let response = app
            .request(Method::POST, "/api/v1/short")
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap();
        let message = error_message(response, 400).await;
        assert!(message.contains("JSON"), "{body:?}: {message}");
    }
}

#[tokio::test]
async fn an_oversized_body_is_413() {
    let app = TestApp::spawn().await;
    let huge = json!({"destination": "https://example.com", "description": "x".repeat(100_000)});
    let message = error_message(app.create_short(huge).await, 413).await;
    assert!(message.contains("larger than"), "{message}");
}

#[tokio::test]
async fn the_created_link_can_be_fetched_by_its_id() {
    let app = TestApp::spawn().await;
    let short = app
        .created(json!({"destination": "https://example.com"}))
        .await;
    let fetched = app.get_short(&id_of(&short)).await;
    assert_eq!(fetched.status(), 200);
    assert_eq!(fetched.json::<Value>().await.unwrap()["data"], short);
}
