//! The OpenAPI document against the server that serves it: every documented operation
//! exists (not a 405, not "no endpoint"), answers with a documented status, and its
//! path allows exactly the documented methods; every route the code declares is
//! documented; and the browsable reference at /api/docs is served from the binary.

use std::collections::BTreeSet;

use reqwest::Method;
use serde_json::Value;

use crate::helpers::TestApp;

/// The methods an OpenAPI path item may hold that the API could use.
const METHODS: [&str; 5] = ["get", "put", "post", "delete", "patch"];

async fn document(app: &TestApp) -> Value {
    let response = app
        .client
        .get(app.url("/api/v1/openapi.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200, "the document needs no token");
    assert_eq!(response.headers()["content-type"], "application/json");
    response.json().await.unwrap()
}

/// A concrete path for a template: parameters filled with values that name nothing.
fn concrete(template: &str) -> String {
    template
        .replace("{id}", "nothing.test%2Fnone")
        .replace("{host}", "nothing.example")
        .replace("{userId}", "987654")
}

fn documented_methods(item: &Value) -> BTreeSet<String> {
    METHODS
        .iter()
        .filter(|m| item.get(**m).is_some())
        .map(|m| m.to_uppercase())
        .collect()
}

#[tokio::test]
async fn every_documented_operation_exists_with_exactly_its_methods() {
    let app = TestApp::spawn().await;
    let doc = document(&app).await;
    assert_eq!(doc["openapi"], "3.1.0");
    let paths = doc["paths"].as_object().unwrap();
    assert!(paths.len() >= 13, "{paths:?}");
    for (template, item) in paths {
        let path = concrete(template);
        for method in documented_methods(item) {
            let operation = &item[method.to_lowercase()];
            let mut request = app.request(Method::from_bytes(method.as_bytes()).unwrap(), &path);
            if operation.get("requestBody").is_some() {
                request = request.json(&serde_json::json!({}));
            }
            let response = request.send().await.unwrap();
            let status = response.status().as_u16();
            let body = response.text().await.unwrap();
            assert_ne!(status, 405, "{method} {template} is documented: {body}");
            assert!(
                !body.contains("no endpoint"),
                "{method} {template} is documented but the server has no such endpoint: {body}"
            );
            assert!(
                operation["responses"].get(status.to_string()).is_some(),
                "{method} {template} answered {status}, which is not documented: {body}"
            );
        }
        // A method no path documents: the 405's Allow header lists the methods the server
        // has for this path, which must be the documented ones (HEAD comes with GET). Not
        // for the QR code: its path is also /short/{id} with an id ending in `/qr` (a link
        // whose route is `qr`), which takes that path's methods.
        if template.ends_with("/qr") {
            continue;
        }
        let response = app.request(Method::TRACE, &path).send().await.unwrap();
        assert_eq!(response.status(), 405, "TRACE {template}");
        let allowed: BTreeSet<String> = response.headers()["allow"]
            .to_str()
            .unwrap()
            .split(',')
            .map(|m| m.trim().to_owned())
            .filter(|m| m != "HEAD")
            .collect();
        assert_eq!(allowed, documented_methods(item), "methods of {template}");
    }
}

/// Every `.route("...")` the code declares, with where it is mounted.
fn declared_routes() -> Vec<String> {
    let mut routes = Vec::new();
    for (file, prefix) in [("src/api/mod.rs", "/api/v1"), ("src/lib.rs", "")] {
        let source = std::fs::read_to_string(file).unwrap();
        for piece in source.split(".route(").skip(1) {
            let piece = piece
                .trim_start()
                .strip_prefix('"')
                .expect("a literal path");
            let route = &piece[..piece.find('"').unwrap()];
            routes.push(format!("{prefix}{route}"));
        }
    }
    routes
}

/// A path template with its parameters' names left out (`/members/{}`): the router and
/// the document may name them differently (`{*id}`, `{userId}`).
fn shape(template: &str) -> String {
    let mut shape = String::new();
    let mut in_parameter = false;
    for c in template.chars() {
        match c {
            '{' => {
                in_parameter = true;
                shape.push_str("{}");
            }
            '}' => in_parameter = false,
            _ if in_parameter => {}
            _ => shape.push(c),
        }
    }
    shape
}

#[tokio::test]
async fn every_route_the_code_declares_is_documented() {
    let app = TestApp::spawn().await;
    let doc = document(&app).await;
    let documented: BTreeSet<String> = doc["paths"]
        .as_object()
        .unwrap()
        .keys()
        .map(|path| shape(path))
        .collect();
    let routes = declared_routes();
    assert!(routes.len() >= 12, "{routes:?}");
    for route in routes {
        // Visits to short links are for browsers (HTML, redirects; docs/API.md §5), not
        // part of the JSON API the document describes.
        if route == "/{route}" {
            continue;
        }
        assert!(
            documented.contains(&shape(&route)),
            "the code routes {route}, which the OpenAPI document does not describe"
        );
    }
    // The QR code is reached through /short/{*id} and documented on its own.
    assert!(doc["paths"].get("/api/v1/short/{id}/qr").is_some());
}

#[tokio::test]
async fn the_reference_page_is_served_from_the_binary() {
    let app = TestApp::spawn().await;
    let page = app.client.get(app.url("/api/docs")).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let policy = page.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(policy.contains("script-src 'self'"), "{policy}");
    let html = page.text().await.unwrap();
    for asset in [
        "/api/docs/swagger-ui.css",
        "/api/docs/swagger-ui-bundle.js",
        "/api/docs/api-docs.js",
    ] {
        assert!(html.contains(asset), "{asset} in {html}");
        let response = app.client.get(app.url(asset)).send().await.unwrap();
        assert_eq!(response.status(), 200, "{asset}");
        assert!(response.bytes().await.unwrap().len() > 100, "{asset}");
    }
    assert!(
        !html.contains("http://") && !html.contains("https://"),
        "no CDN: {html}"
    );
}
