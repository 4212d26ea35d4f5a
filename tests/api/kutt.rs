//! `openpxl import kutt`: against a stand-in for Kutt's REST API (v2) made here, which
//! answers `GET /api/v2/links?limit=&skip=` with the documented shape, paged, and refuses
//! a wrong `X-API-KEY`.

use axum::{
    Json, Router,
    extract::Query,
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Response},
    routing::get,
};
use serde_json::{Value, json};

use crate::{helpers::TestApp, transfer::openpxl};

const KEY: &str = "kutt-api-key-0123";

fn link(address: &str, password: bool, banned: bool) -> Value {
    json!({
        "id": format!("00000000-0000-0000-0000-{address:0>12}"),
        "address": address,
        "banned": banned,
        "created_at": "2024-03-01T09:30:00.000Z",
        "updated_at": "2024-03-02T09:30:00.000Z",
        "link": format!("https://kutt.test/{address}"),
        "password": password,
        "target": format!("https://example.com/{address}"),
        "description": if address == "about" { json!("About us") } else { Value::Null },
        "visit_count": 7,
    })
}

async fn links(headers: HeaderMap, Query(query): Query<Vec<(String, String)>>) -> Response {
    if headers.get("x-api-key").and_then(|v| v.to_str().ok()) != Some(KEY) {
        return (
            StatusCode::UNAUTHORIZED,
            Json(json!({"error": "API key is not correct."})),
        )
            .into_response();
    }
    let number = |name: &str| {
        query
            .iter()
            .find(|(k, _)| k == name)
            .and_then(|(_, v)| v.parse::<usize>().ok())
    };
    // Kutt pages by `skip`; this stand-in gives at most two links a page.
    let (skip, limit) = (
        number("skip").unwrap_or(0),
        number("limit").unwrap_or(10).min(2),
    );
    let all = [
        link("about", false, false),
        link("secret", true, false),
        link("spam", false, true),
    ];
    let data: Vec<Value> = all.iter().skip(skip).take(limit).cloned().collect();
    Json(json!({"limit": limit, "skip": skip, "total": all.len(), "data": data})).into_response()
}

// Two worker threads: the stand-in answers while the test waits for the command.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kutt_links_move_in_and_a_protected_one_is_named_not_unprotected() {
    let app = Router::new().route("/api/v2/links", get(links));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let kutt = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let target = TestApp::spawn().await;
    let run = |key: &str| {
        openpxl(
            &target.db,
            &["import", "kutt", &kutt, "--api-key", key, "--org", "acme"],
        )
    };

    let wrong = run("nope");
    let said = String::from_utf8(wrong.stderr).unwrap();
    assert!(!wrong.status.success());
    assert!(
        said.contains("answered 401") && said.contains("API key is not correct"),
        "{said}"
    );

    let first = run(KEY);
    let said = String::from_utf8(first.stderr).unwrap();
    assert!(!first.status.success(), "a link failed: {said}");
    assert!(
        said.contains("created 2 links with 0 clicks; skipped 0; failed 1"),
        "{said}"
    );
    assert!(
        said.contains("failed short.test/secret: Kutt protects it with a password"),
        "{said}"
    );
    assert!(!said.contains(KEY));
    let about: Value = target.get_short("about").await.json().await.unwrap();
    assert_eq!(about["data"]["destination"], "https://example.com/about");
    assert_eq!(about["data"]["description"], "About us");
    assert_eq!(about["data"]["createdAt"], "2024-03-01T09:30:00.000Z");
    let spam: Value = target.get_short("spam").await.json().await.unwrap();
    assert_eq!(
        spam["data"]["disabled"], true,
        "a banned link stays switched off"
    );
    assert_eq!(target.get_short("secret").await.status(), 404);

    let again = run(KEY);
    let said = String::from_utf8(again.stderr).unwrap();
    assert!(
        said.contains("created 0 links with 0 clicks; skipped 2; failed 1"),
        "{said}"
    );
}
