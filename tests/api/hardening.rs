//! What a fault-finding review found and what now holds: hosts normalized once (loops,
//! domains), the last `X-Forwarded-For` line, `Location` as the parsed URL, routes that
//! never pass to another organization, `Unknown` as a filter value, HTTP tools counted as
//! bots, secrets kept out of `--help`, and private database files.

use std::process::Command;

use openpxl::store::ClickRow;
use reqwest::Method;
use serde_json::{Value, json};

use crate::{
    clicks::app_with_geoip,
    helpers::{CHROME_WINDOWS, DEFAULT_DOMAIN, ORG, TestApp, TestDatabase, error_message},
    insight::insight,
};

async fn clicks_of(app: &TestApp, route: &str) -> Vec<ClickRow> {
    app.flush_clicks().await;
    let id = app.link_id(DEFAULT_DOMAIN, route).await;
    app.store().link_clicks(id).await.unwrap()
}

#[tokio::test]
async fn every_spelling_of_this_servers_domains_is_a_redirect_loop() {
    let app = TestApp::spawn().await;
    app.add_domain(ORG, "go.acme.test").await;
    for destination in [
        "http://short.test./loop",
        "https://short.test%2e/loop",
        "https://SHORT.TEST./loop",
        "http://short.test:80/loop",
        "https://go.acme.test./x",
        "https://go%2eacme.test/x",
    ] {
        let response = app.create_short(json!({"destination": destination})).await;
        let message = error_message(response, 400).await;
        assert!(message.contains("loop"), "{destination}: {message}");
    }
}

#[tokio::test]
async fn a_host_is_one_domain_however_it_is_spelled() {
    let app = TestApp::spawn().await;
    app.created(json!({"destination": "https://example.com/d", "route": "d"}))
        .await;
    for host in ["short.test", "SHORT.test", "short.test.", "Short.Test.:80"] {
        let response = app.visit(host, "/d", CHROME_WINDOWS).await;
        assert_eq!(response.status(), 302, "Host: {host}");
    }
    // A custom domain added in another spelling is the same domain.
    app.add_domain(ORG, "go.acme.test").await;
    let created = app
        .created(json!({"destination": "https://example.com/c", "route": "c", "domain": "GO.Acme.Test."}))
        .await;
    assert_eq!(created["id"], "go.acme.test/c");
    assert_eq!(
        app.visit("go.acme.test.", "/c", CHROME_WINDOWS)
            .await
            .status(),
        302
    );
    app.flush_clicks().await;
    let link = app.get_short("d").await.json::<Value>().await.unwrap();
    assert_eq!(link["data"]["clicks"], 4);
}

#[tokio::test]
async fn behind_a_proxy_the_last_forwarded_line_counts() {
    let app = app_with_geoip(true).await;
    app.created(json!({"destination": "https://example.com", "route": "lines"}))
        .await;
    // The client wrote a Berlin address on its own line; the proxy appended a line with
    // the real (Tokyo) address, as HAProxy's `option forwardfor` does.
    app.visit_with(
        DEFAULT_DOMAIN,
        "/lines",
        CHROME_WINDOWS,
        &[
            ("x-forwarded-for", "203.0.113.5"),
            ("x-forwarded-for", "198.51.100.7"),
        ],
    )
    .await;
    let rows = clicks_of(&app, "lines").await;
    assert_eq!(rows[0].country, "JP");
}

#[tokio::test]
async fn location_is_the_parsed_urls_serialization() {
    let app = TestApp::spawn().await;
    let created = app
        .created(json!({"destination": "https://Example.COM/a b/<c>\\d?q=x y", "route": "raw"}))
        .await;
    // The object keeps what the client sent ...
    assert_eq!(
        created["destination"],
        "https://Example.COM/a b/<c>\\d?q=x y"
    );
    // ... and visitors are sent to its one unambiguous form.
    let response = app.visit(DEFAULT_DOMAIN, "/raw", CHROME_WINDOWS).await;
    assert_eq!(
        response.headers()["location"],
        "https://example.com/a%20b/%3Cc%3E/d?q=x%20y"
    );
    let merged = app
        .visit(DEFAULT_DOMAIN, "/raw?ref=1", CHROME_WINDOWS)
        .await;
    assert_eq!(
        merged.headers()["location"],
        "https://example.com/a%20b/%3Cc%3E/d?q=x%20y&ref=1"
    );
}

#[tokio::test]
async fn a_deleted_route_never_passes_to_another_organization() {
    let app = TestApp::spawn().await;
    let other = app.other_org_token().await;
    app.created(json!({"destination": "https://acme.example/promo", "route": "promo"}))
        .await;
    assert_eq!(app.delete_short("promo").await.status(), 200);

    let taken = app
        .create_short_as(
            &other,
            json!({"destination": "https://globex.example", "route": "promo"}),
        )
        .await;
    let message = error_message(taken, 409).await;
    assert!(message.contains("stays reserved"), "{message}");
    // Nor by renaming a link.
    app.create_short_as(
        &other,
        json!({"destination": "https://globex.example", "route": "mine"}),
    )
    .await;
    let renamed = app
        .request_as(&other, Method::PATCH, "/api/v1/short/mine")
        .json(&json!({"route": "promo"}))
        .send()
        .await
        .unwrap();
    assert!(error_message(renamed, 409).await.contains("stays reserved"));
    // The organization that used it may take it again.
    let again = app
        .create_short(json!({"destination": "https://acme.example/promo2", "route": "promo"}))
        .await;
    assert_eq!(again.status(), 201);
    let visit = app.visit(DEFAULT_DOMAIN, "/promo", CHROME_WINDOWS).await;
    assert_eq!(visit.headers()["location"], "https://acme.example/promo2");
}

#[tokio::test]
async fn unknown_filters_like_any_other_value() {
    let app = TestApp::spawn().await;
    app.created(json!({"destination": "https://example.com", "route": "nowhere"}))
        .await;
    for _ in 0..3 {
        app.visit(DEFAULT_DOMAIN, "/nowhere", CHROME_WINDOWS).await;
    }
    app.flush_clicks().await;
    let all = insight(&app, "").await;
    assert_eq!(all["properties"]["country"][0]["value"], "Unknown");
    for spelling in ["Unknown", "unknown", "UNKNOWN"] {
        let filtered = insight(&app, &format!("?country={spelling}")).await;
        assert_eq!(filtered["total"], 3, "country={spelling}");
    }
    assert_eq!(insight(&app, "?city=Unknown").await["total"], 3);
}

#[tokio::test]
async fn http_tools_are_recorded_as_bots_and_never_counted() {
    let app = TestApp::spawn().await;
    app.created(json!({"destination": "https://example.com", "route": "tools"}))
        .await;
    let tools = [
        "Scrapy/2.11.2 (+https://scrapy.org)",
        "PostmanRuntime/7.39.0",
        "insomnia/2023.5.8",
        "Apache-HttpClient/4.5.14 (Java/17.0.9)",
        "HTTPie/3.2.2",
        "curl",
        "Wget",
        "node",
        "Mozilla",
    ];
    for agent in tools {
        assert_eq!(
            app.visit(DEFAULT_DOMAIN, "/tools", agent).await.status(),
            302
        );
    }
    app.visit(DEFAULT_DOMAIN, "/tools", CHROME_WINDOWS).await;
    let rows = clicks_of(&app, "tools").await;
    assert_eq!(rows.iter().filter(|r| r.bot).count(), tools.len());
    let link = app.get_short("tools").await.json::<Value>().await.unwrap();
    assert_eq!(link["data"]["clicks"], 1, "only the person counts");
}

#[test]
fn help_never_prints_the_database_password() {
    let output = Command::new(env!("CARGO_BIN_EXE_openpxl"))
        .arg("--help")
        .env(
            "DATABASE_URL",
            "postgres://openpxl:s3cret-pw@db.internal/openpxl",
        )
        .env(
            "OPENPXL_BOOTSTRAP_TOKEN",
            "a-bootstrap-token-that-is-secret-0123456789",
        )
        .env("OPENPXL_BOOTSTRAP_PASSWORD", "a-secret-password")
        .output()
        .unwrap();
    let help = String::from_utf8(output.stdout).unwrap();
    assert!(help.contains("DATABASE_URL"), "{help}");
    for secret in ["s3cret-pw", "a-bootstrap-token", "a-secret-password"] {
        assert!(!help.contains(secret), "--help shows {secret}");
    }
}

#[cfg(unix)]
#[tokio::test]
async fn a_new_sqlite_database_is_readable_by_its_owner_only() {
    use std::os::unix::fs::PermissionsExt;
    // Always SQLite: this is about the files a server creates.
    let dir = tempfile::tempdir().unwrap();
    let app = TestApp::spawn_on(
        TestDatabase::sqlite_at(&dir.path().join("private.db")),
        |_| {},
    )
    .await;
    app.created(json!({"destination": "https://example.com", "route": "p"}))
        .await;
    for file in ["private.db", "private.db-wal", "private.db-shm"] {
        let file = dir.path().join(file);
        let mode = std::fs::metadata(&file).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "{}", file.display());
    }
}
