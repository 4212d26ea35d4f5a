//! Redirects (docs/API.md §5): resolution by host and route, query merging, pages for crawlers
//! and people, and the cache staying true after changes.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{CHROME_WINDOWS, DEFAULT_DOMAIN, ORG, Server, TestApp, visit_server};

fn location(response: &reqwest::Response) -> &str {
    response.headers()["location"].to_str().unwrap()
}

#[tokio::test]
async fn a_known_route_redirects_with_302_and_is_never_cached_by_browsers() {
    let app = TestApp::spawn().await;
    app.created(json!({"destination": "https://example.com/landing", "route": "go"}))
        .await;
    let response = app.visit(DEFAULT_DOMAIN, "/go", CHROME_WINDOWS).await;
    assert_eq!(response.status(), 302);
    assert_eq!(location(&response), "https://example.com/landing");
    assert_eq!(response.headers()["cache-control"], "private, max-age=0");
}

#[tokio::test]
async fn query_parameters_are_passed_through_and_the_destinations_own_win() {
    let app = TestApp::spawn().await;
    app.created(json!({"destination": "https://example.com/p?ref=ours&x=1", "route": "q"}))
        .await;
    let response = app
        .visit(
            DEFAULT_DOMAIN,
            "/q?ref=theirs&utm_source=news&y=a%20b",
            CHROME_WINDOWS,
        )
        .await;
    assert_eq!(
        location(&response),
        "https://example.com/p?ref=ours&x=1&utm_source=news&y=a+b"
    );
}

#[tokio::test]
async fn destinations_with_non_ascii_characters_are_sent_percent_encoded() {
    let app = TestApp::spawn().await;
    app.created(json!({"destination": "https://example.com/über?q=ä", "route": "intl"}))
        .await;
    let plain = app.visit(DEFAULT_DOMAIN, "/intl", CHROME_WINDOWS).await;
    assert_eq!(location(&plain), "https://example.com/%C3%BCber?q=%C3%A4");
    let with_query = app.visit(DEFAULT_DOMAIN, "/intl?x=1", CHROME_WINDOWS).await;
    assert_eq!(
        location(&with_query),
        "https://example.com/%C3%BCber?q=%C3%A4&x=1"
    );
}

#[tokio::test]
async fn routes_are_case_sensitive_when_visited() {
    let app = TestApp::spawn().await;
    app.created(json!({"destination": "https://example.com/upper", "route": "Go"}))
        .await;
    assert_eq!(
        app.visit(DEFAULT_DOMAIN, "/Go", CHROME_WINDOWS)
            .await
            .status(),
        302
    );
    assert_eq!(
        app.visit(DEFAULT_DOMAIN, "/go", CHROME_WINDOWS)
            .await
            .status(),
        404
    );
}

#[tokio::test]
async fn an_unknown_route_or_host_is_a_404_html_page() {
    let app = TestApp::spawn().await;
    app.created(json!({"destination": "https://example.com", "route": "known"}))
        .await;
    for (host, path) in [
        (DEFAULT_DOMAIN, "/unknown"),
        ("elsewhere.test", "/known"),
        (DEFAULT_DOMAIN, "/bad%20route"),
    ] {
        let response = app.visit(host, path, CHROME_WINDOWS).await;
        assert_eq!(response.status(), 404, "{host}{path}");
        assert!(
            response.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/html")
        );
        assert!(response.text().await.unwrap().contains("Link not found"));
    }
}

#[tokio::test]
async fn unknown_hosts_use_the_default_domain_only_when_configured() {
    let app = TestApp::spawn_with(|s| s.serve_any_host = true).await;
    app.created(json!({"destination": "https://example.com/any", "route": "any"}))
        .await;
    let response = app.visit("203.0.113.9:8080", "/any", CHROME_WINDOWS).await;
    assert_eq!(response.status(), 302);
    assert_eq!(location(&response), "https://example.com/any");
}

#[tokio::test]
async fn a_custom_domain_redirects_by_its_host_in_any_case() {
    let app = TestApp::spawn().await;
    app.add_domain(ORG, "go.acme.test").await;
    app.created(json!({"destination": "https://example.com/custom", "route": "x", "domain": "go.acme.test"})).await;
    app.created(json!({"destination": "https://example.com/default", "route": "x"}))
        .await;
    assert_eq!(
        location(&app.visit("Go.Acme.Test", "/x", CHROME_WINDOWS).await),
        "https://example.com/custom"
    );
    assert_eq!(
        location(&app.visit(DEFAULT_DOMAIN, "/x", CHROME_WINDOWS).await),
        "https://example.com/default"
    );
}

#[tokio::test]
async fn server_paths_are_never_shadowed_by_links() {
    let app = TestApp::spawn().await;
    app.add_domain(ORG, "go.acme.test").await;
    let response =
        app.create_short(json!({"destination": "https://example.com", "route": "healthz", "domain": "go.acme.test"})).await;
    assert_eq!(response.status(), 400);
    let health = app.visit("go.acme.test", "/healthz", CHROME_WINDOWS).await;
    assert_eq!(health.json::<Value>().await.unwrap()["status"], "ok");
}

#[tokio::test]
async fn head_works_like_get() {
    let app = TestApp::spawn().await;
    app.created(json!({"destination": "https://example.com/h", "route": "h"}))
        .await;
    let response = app
        .client
        .head(app.url("/h"))
        .header("host", DEFAULT_DOMAIN)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 302);
    assert_eq!(location(&response), "https://example.com/h");
}

/// Most visits are answered before the router (`redirect::shortcut`); the rest — a
/// percent-encoded route, a reserved word as a custom domain's route — through it. Both
/// ways answer and count alike.
#[tokio::test]
async fn visits_answered_before_the_router_or_through_it_answer_and_count_alike() {
    let app = TestApp::spawn().await;
    app.created(json!({"destination": "https://example.com/abc", "route": "abc"}))
        .await;
    app.add_domain(ORG, "go.acme.test").await;
    app.created(
        json!({"destination": "https://example.com/api", "route": "api", "domain": "go.acme.test"}),
    )
    .await;
    for path in ["/abc", "/%61bc", "/ab%63"] {
        let response = app.visit(DEFAULT_DOMAIN, path, CHROME_WINDOWS).await;
        assert_eq!(response.status(), 302, "{path}");
        assert_eq!(location(&response), "https://example.com/abc", "{path}");
    }
    let reserved = app.visit("go.acme.test", "/api", CHROME_WINDOWS).await;
    assert_eq!(reserved.status(), 302);
    assert_eq!(location(&reserved), "https://example.com/api");
    let unknown = app.visit(DEFAULT_DOMAIN, "/%61bd", CHROME_WINDOWS).await;
    assert_eq!(unknown.status(), 404);
    // The same headers either way, for GET and HEAD, found or not (but the date).
    for method in [Method::GET, Method::HEAD] {
        for (shortcut, routed) in [("/abc", "/%61bc"), ("/abd", "/%61bd")] {
            let [by_shortcut, by_router] = [shortcut, routed].map(|path| {
                app.client
                    .request(method.clone(), app.url(path))
                    .header("host", DEFAULT_DOMAIN)
                    .header("user-agent", CHROME_WINDOWS)
                    .send()
            });
            let (by_shortcut, by_router) = (by_shortcut.await.unwrap(), by_router.await.unwrap());
            assert_eq!(
                by_shortcut.status(),
                by_router.status(),
                "{method} {shortcut}"
            );
            let headers = |response: &reqwest::Response| {
                let mut headers: Vec<(String, String)> = response
                    .headers()
                    .iter()
                    .filter(|(name, _)| *name != "date")
                    .map(|(name, value)| (name.to_string(), value.to_str().unwrap().to_owned()))
                    .collect();
                headers.sort();
                headers
            };
            assert_eq!(
                headers(&by_shortcut),
                headers(&by_router),
                "{method} {shortcut}"
            );
        }
    }
    app.flush_clicks().await;
    let abc = app.link_id(DEFAULT_DOMAIN, "abc").await;
    assert_eq!(app.store().link_clicks(abc).await.unwrap().len(), 7);
    let api = app.link_id("go.acme.test", "api").await;
    assert_eq!(app.store().link_clicks(api).await.unwrap().len(), 1);
}

#[tokio::test]
async fn crawlers_get_an_escaped_preview_page_with_a_canonical_link() {
    let app = TestApp::spawn().await;
    app.created(json!({
        "destination": "https://example.com/article?a=1&b=2",
        "route": "card",
        "title": "<script>alert('x')</script> Big \"news\"",
        "description": "Fish & chips <b>today</b>",
        "image": "https://example.com/card.png",
    }))
    .await;
    for crawler in [
        "facebookexternalhit/1.1",
        "Twitterbot/1.0",
        "Slackbot-LinkExpanding 1.0",
        "WhatsApp/2.23",
    ] {
        let response = app.visit(DEFAULT_DOMAIN, "/card", crawler).await;
        assert_eq!(response.status(), 200, "{crawler}");
        let csp = response.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .to_owned();
        assert!(
            csp.contains("default-src 'none'") && !csp.contains("script-src"),
            "{csp}"
        );
        let html = response.text().await.unwrap();
        assert!(
            !html.contains("<script>"),
            "the title must come out inert:\n{html}"
        );
        assert!(!html.contains("<b>today"), "{html}");
        assert!(
            html.contains(r#"<meta property="og:title" content="&#60;script&#62;"#),
            "{html}"
        );
        assert!(
            html.contains(r#"<meta property="og:image" content="https://example.com/card.png">"#),
            "{html}"
        );
        assert!(
            html.contains(r#"<meta name="twitter:card" content="summary_large_image">"#),
            "{html}"
        );
        assert!(
            html.contains(
                r#"<link rel="canonical" href="https://example.com/article?a=1&#38;b=2">"#
            ),
            "{html}"
        );
        assert!(html.contains("Fish &#38; chips &#60;b&#62;today"), "{html}");
    }
}

#[tokio::test]
async fn a_link_with_a_favicon_shows_it_and_continues_without_javascript() {
    let app = TestApp::spawn().await;
    app.created(
        json!({"destination": "https://example.com/f", "route": "fav", "title": "Our shop",
                       "favicon": "https://example.com/favicon.ico"}),
    )
    .await;
    let response = app
        .visit(DEFAULT_DOMAIN, "/fav?src=qr", CHROME_WINDOWS)
        .await;
    assert_eq!(response.status(), 200);
    assert!(
        response.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("default-src 'none'")
    );
    let html = response.text().await.unwrap();
    assert!(html.starts_with("<!doctype html>"));
    assert!(
        html.contains(r#"<link rel="icon" href="https://example.com/favicon.ico">"#),
        "{html}"
    );
    assert!(
        html.contains(
            r#"<meta http-equiv="refresh" content="1; url=https://example.com/f?src=qr">"#
        ),
        "{html}"
    );
    assert!(
        html.contains("Our shop") && !html.contains("<script"),
        "{html}"
    );
}

#[tokio::test]
async fn a_consent_link_asks_first_and_declining_still_continues() {
    let app = TestApp::spawn().await;
    app.created(
        json!({"destination": "https://example.com/c", "route": "consent", "consent": true}),
    )
    .await;
    let html = app
        .visit(DEFAULT_DOMAIN, "/consent", CHROME_WINDOWS)
        .await
        .text()
        .await
        .unwrap();
    assert!(
        !html.contains("http-equiv=\"refresh\""),
        "consent is asked before moving on:\n{html}"
    );
    assert!(
        html.contains(r#"href="https://example.com/c">Accept and continue"#),
        "{html}"
    );
    assert!(
        html.contains(r#"href="https://example.com/c" rel="noreferrer">Decline and continue"#),
        "{html}"
    );
}

#[tokio::test]
async fn an_update_or_delete_takes_effect_at_once() {
    let app = TestApp::spawn().await;
    app.created(json!({"destination": "https://example.com/old", "route": "live"}))
        .await;
    assert_eq!(
        location(&app.visit(DEFAULT_DOMAIN, "/live", CHROME_WINDOWS).await),
        "https://example.com/old"
    );
    app.update_short(
        Method::PATCH,
        "live",
        json!({"destination": "https://example.com/new"}),
    )
    .await;
    assert_eq!(
        location(&app.visit(DEFAULT_DOMAIN, "/live", CHROME_WINDOWS).await),
        "https://example.com/new"
    );
    app.update_short(Method::PATCH, "live", json!({"route": "moved"}))
        .await;
    assert_eq!(
        app.visit(DEFAULT_DOMAIN, "/live", CHROME_WINDOWS)
            .await
            .status(),
        404
    );
    assert_eq!(
        location(&app.visit(DEFAULT_DOMAIN, "/moved", CHROME_WINDOWS).await),
        "https://example.com/new"
    );
    app.delete_short("moved").await;
    assert_eq!(
        app.visit(DEFAULT_DOMAIN, "/moved", CHROME_WINDOWS)
            .await
            .status(),
        404
    );
}

#[tokio::test]
async fn a_plain_link_that_gains_a_page_a_password_a_rule_or_an_end_changes_at_once() {
    // A plain link's visits are answered from a copy of its hot fields: every change that
    // makes it something else must reach that copy as at once as it reaches the link.
    let app = TestApp::spawn().await;
    app.created(json!({"destination": "https://example.com/plain", "route": "plain"}))
        .await;
    let visit = || app.visit(DEFAULT_DOMAIN, "/plain", CHROME_WINDOWS);
    let back_to_plain = json!({
        "consent": false, "favicon": null, "password": null, "rules": null,
        "expiresAt": null, "disabled": false,
    });
    for (change, status, shows) in [
        (json!({"consent": true}), 200, "Accept and continue"),
        (
            json!({"favicon": "https://example.com/favicon.ico"}),
            200,
            "favicon.ico",
        ),
        (json!({"password": "open sesame"}), 200, "password"),
        (
            json!({"rules": [{"when": {"os": "Windows"},
                              "destination": "https://example.com/windows"}]}),
            302,
            "https://example.com/windows",
        ),
        (json!({"expiresAt": "2020-01-01T00:00:00Z"}), 410, ""),
        (json!({"disabled": true}), 404, ""),
    ] {
        let plain = visit().await;
        assert_eq!(
            location(&plain),
            "https://example.com/plain",
            "before {change}"
        );
        let updated = app.update_short(Method::PATCH, "plain", change.clone());
        assert_eq!(updated.await.status(), 200, "{change}");
        let changed = visit().await;
        assert_eq!(changed.status(), status, "after {change}");
        let seen = match changed.headers().get("location") {
            Some(location) => location.to_str().unwrap().to_owned(),
            None => changed.text().await.unwrap(),
        };
        assert!(seen.contains(shows), "after {change}: {seen}");
        let restored = app.update_short(Method::PATCH, "plain", back_to_plain.clone());
        assert_eq!(restored.await.status(), 200, "undoing {change}");
    }
    assert_eq!(location(&visit().await), "https://example.com/plain");
}

#[tokio::test]
async fn a_link_created_after_a_404_works_at_once() {
    let app = TestApp::spawn().await;
    assert_eq!(
        app.visit(DEFAULT_DOMAIN, "/soon", CHROME_WINDOWS)
            .await
            .status(),
        404
    );
    app.created(json!({"destination": "https://example.com/soon", "route": "soon"}))
        .await;
    assert_eq!(
        app.visit(DEFAULT_DOMAIN, "/soon", CHROME_WINDOWS)
            .await
            .status(),
        302
    );
}

#[tokio::test]
async fn a_change_reaches_another_instance_within_a_second() {
    let app = TestApp::spawn().await;
    if !app.db.postgres_only(
        "a_change_reaches_another_instance_within_a_second",
        "instances share a cache through Postgres LISTEN/NOTIFY; SQLite serves one instance",
    ) {
        return;
    }
    let mut other = Server::start(&app.db.url, app.settings.clone()).await;
    app.created(json!({"destination": "https://example.com/v1", "route": "shared"}))
        .await;
    let visit_other = || {
        visit_server(
            &app.client,
            &other.address,
            DEFAULT_DOMAIN,
            "/shared",
            CHROME_WINDOWS,
            &[],
        )
    };
    assert_eq!(
        location(&visit_other().await),
        "https://example.com/v1",
        "cached on the other instance now"
    );
    app.update_short(
        Method::PATCH,
        "shared",
        json!({"destination": "https://example.com/v2"}),
    )
    .await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(1);
    loop {
        let response = visit_other().await;
        if location(&response) == "https://example.com/v2" {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the other instance still redirects to the old destination"
        );
        tokio::task::yield_now().await;
    }
    app.delete_short("shared").await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(1);
    while visit_other().await.status() != 404 {
        assert!(
            std::time::Instant::now() < deadline,
            "the other instance still knows the deleted link"
        );
    }
    other.stop().await;
}
