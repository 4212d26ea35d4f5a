//! `PUT`/`PATCH`/`DELETE /api/v1/short/{id}` (docs/API.md §4): partial updates and deletion.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{DEFAULT_DOMAIN, TestApp, error_message, id_of};

async fn data(response: reqwest::Response) -> Value {
    assert_eq!(response.status(), 200);
    response.json::<Value>().await.unwrap()["data"].clone()
}

async fn full_link(app: &TestApp) -> Value {
    app.created(
        json!({"destination": "https://example.com/a", "route": "page", "title": "Title",
                       "description": "Description", "image": "https://example.com/i.png",
                       "favicon": "https://example.com/f.ico"}),
    )
    .await
}

#[tokio::test]
async fn put_and_patch_change_only_the_fields_given() {
    let app = TestApp::spawn().await;
    let original = full_link(&app).await;
    for (method, title) in [(Method::PUT, "By PUT"), (Method::PATCH, "By PATCH")] {
        let updated = data(
            app.update_short(method, "page", json!({"title": title}))
                .await,
        )
        .await;
        assert_eq!(updated["title"], title);
        for unchanged in [
            "id",
            "route",
            "destination",
            "description",
            "image",
            "favicon",
            "consent",
            "createdAt",
        ] {
            assert_eq!(updated[unchanged], original[unchanged], "{unchanged}");
        }
        assert!(updated["updatedAt"].as_str() >= original["updatedAt"].as_str());
    }
}

#[tokio::test]
async fn every_updatable_field_can_change() {
    let app = TestApp::spawn().await;
    full_link(&app).await;
    let updated = data(
        app.update_short(
            Method::PATCH,
            "page",
            json!({"destination": "https://example.org/b", "title": "T2", "description": "D2",
                   "image": "https://example.org/i2.png", "favicon": "https://example.org/f2.ico",
                   "consent": true}),
        )
        .await,
    )
    .await;
    assert_eq!(updated["destination"], "https://example.org/b");
    assert_eq!(updated["title"], "T2");
    assert_eq!(updated["description"], "D2");
    assert_eq!(updated["image"], "https://example.org/i2.png");
    assert_eq!(updated["favicon"], "https://example.org/f2.ico");
    assert_eq!(updated["consent"], true);
    assert_eq!(data(app.get_short("page").await).await, updated);
}

#[tokio::test]
async fn null_clears_an_optional_field() {
    let app = TestApp::spawn().await;
    full_link(&app).await;
    let updated = data(
        app.update_short(Method::PATCH, "page", json!({"title": null, "image": null}))
            .await,
    )
    .await;
    assert!(updated["title"].is_null());
    assert!(updated["image"].is_null());
    assert_eq!(updated["description"], "Description");
}

#[tokio::test]
async fn read_only_fields_in_an_update_are_ignored() {
    let app = TestApp::spawn().await;
    let original = full_link(&app).await;
    let mut body = original.clone();
    body["title"] = json!("Sent back whole");
    body["clicks"] = json!(99);
    body["createdAt"] = json!("2000-01-01T00:00:00.000Z");
    let updated = data(app.update_short(Method::PUT, &id_of(&original), body).await).await;
    assert_eq!(updated["title"], "Sent back whole");
    assert_eq!(updated["clicks"], 0);
    assert_eq!(updated["createdAt"], original["createdAt"]);
}

#[tokio::test]
async fn changing_the_route_moves_the_link_and_frees_the_old_one() {
    let app = TestApp::spawn().await;
    full_link(&app).await;
    let moved = data(
        app.update_short(Method::PATCH, "page", json!({"route": "moved"}))
            .await,
    )
    .await;
    assert_eq!(moved["id"], format!("{DEFAULT_DOMAIN}/moved"));
    error_message(app.get_short("page").await, 404).await;
    app.created(json!({"destination": "https://example.com", "route": "page"}))
        .await;
}

#[tokio::test]
async fn changing_the_route_to_a_taken_one_is_409() {
    let app = TestApp::spawn().await;
    full_link(&app).await;
    app.created(json!({"destination": "https://example.com", "route": "other"}))
        .await;
    let message = error_message(
        app.update_short(Method::PATCH, "page", json!({"route": "other"}))
            .await,
        409,
    )
    .await;
    assert!(message.contains("already taken"), "{message}");
}

#[tokio::test]
async fn invalid_updates_are_400_and_change_nothing() {
    let app = TestApp::spawn().await;
    let original = full_link(&app).await;
    let cases = [
        json!({"destination": "javascript:alert(1)"}),
        json!({"destination": null}),
        json!({"route": "bad route"}),
        json!({"route": "api"}),
        json!({"image": "not a url"}),
        json!({"consent": "perhaps"}),
        json!({"destination": format!("https://{DEFAULT_DOMAIN}/loop")}),
        json!({"domain": "elsewhere.test"}),
    ];
    for body in cases {
        error_message(
            app.update_short(Method::PATCH, "page", body.clone()).await,
            400,
        )
        .await;
    }
    assert_eq!(data(app.get_short("page").await).await, original);
}

#[tokio::test]
async fn an_update_without_fields_returns_the_link_unchanged() {
    let app = TestApp::spawn().await;
    let original = full_link(&app).await;
    let updated = data(app.update_short(Method::PUT, "page", json!({})).await).await;
    assert_eq!(updated["title"], original["title"]);
    assert_eq!(updated["destination"], original["destination"]);
}

#[tokio::test]
async fn updates_need_a_json_or_form_body() {
    let app = TestApp::spawn().await;
    full_link(&app).await;
    let response = app
        .request(Method::PATCH, "/api/v1/short/page")
        .header("content-type", "text/xml")
        .body("<a/>")
        .send()
        .await;
    error_message(response.unwrap(), 415).await;
}

#[tokio::test]
async fn deleting_returns_the_deleted_link_and_frees_its_route() {
    let app = TestApp::spawn().await;
    let original = full_link(&app).await;
    let deleted = data(app.delete_short(&format!("{DEFAULT_DOMAIN}%2Fpage")).await).await;
    assert_eq!(deleted, original);
    error_message(app.get_short("page").await, 404).await;
    error_message(app.delete_short("page").await, 404).await;
    let response = app.list_shorts("").await;
    assert_eq!(response.headers()["x-total-count"], "0");
    app.created(json!({"destination": "https://example.com", "route": "page"}))
        .await;
}

#[tokio::test]
async fn another_organizations_link_cannot_be_updated_or_deleted() {
    let app = TestApp::spawn().await;
    let other = app.other_org_token().await;
    app.create_short_as(
        &other,
        json!({"destination": "https://example.com", "route": "theirs"}),
    )
    .await;
    let update = app
        .update_short(Method::PATCH, "theirs", json!({"title": "mine now"}))
        .await;
    error_message(update, 404).await;
    error_message(
        app.delete_short(&format!("{DEFAULT_DOMAIN}/theirs")).await,
        404,
    )
    .await;
    let theirs = app
        .request_as(&other, Method::GET, "/api/v1/short/theirs")
        .send()
        .await
        .unwrap()
        .json::<Value>()
        .await
        .unwrap();
    assert!(theirs["data"]["title"].is_null());
}
