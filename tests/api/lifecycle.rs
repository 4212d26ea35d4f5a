//! A link's lifecycle through the API and the redirect: `expiresAt` (judged by a clock the
//! test moves, no waiting), `expiredDestination` (or the 410 page), `disabled` (404), `null`
//! clearing each, and every validation error at once.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use openpxl::{clock::Clock, timestamp::iso};

use crate::{
    dashboard_helpers::owner,
    helpers::{CHROME_WINDOWS, DEFAULT_DOMAIN, TestApp, error_message},
};

/// 2030-01-01T00:00:00Z, where the test's clock starts.
const START: i64 = 1_893_456_000_000;

fn location(response: &reqwest::Response) -> &str {
    response.headers()["location"].to_str().unwrap()
}

#[tokio::test]
async fn a_link_expires_at_its_instant() {
    let clock = Clock::manual(START);
    let app = TestApp::spawn_with(|settings| settings.clock = clock.clone()).await;
    let expires = START + 60_000;
    let created = app
        .created(json!({
            "destination": "https://example.com/offer",
            "route": "offer",
            "expiresAt": iso(expires),
            "expiredDestination": "https://example.com/over",
        }))
        .await;
    assert_eq!(created["expiresAt"], "2030-01-01T00:01:00.000Z");
    assert_eq!(created["expiredDestination"], "https://example.com/over");
    assert_eq!(created["disabled"], false);

    let visit = |path: &'static str| app.visit(DEFAULT_DOMAIN, path, CHROME_WINDOWS);
    clock.set(expires - 1);
    let before = visit("/offer").await;
    assert_eq!(before.status(), 302);
    assert_eq!(location(&before), "https://example.com/offer");

    // From the instant itself, visitors go to the expired destination, query and all.
    clock.set(expires);
    let at = visit("/offer?utm_source=news").await;
    assert_eq!(at.status(), 302);
    assert_eq!(location(&at), "https://example.com/over?utm_source=news");

    // Without an expired destination: the 410 page.
    let changed = app
        .update_short(Method::PATCH, "offer", json!({"expiredDestination": null}))
        .await;
    assert_eq!(changed.status(), 200);
    let gone = visit("/offer").await;
    assert_eq!(gone.status(), 410);
    assert!(gone.text().await.unwrap().contains("This link has expired"));

    // `null` clears the expiry: the link works again.
    let changed = app
        .update_short(Method::PATCH, "offer", json!({"expiresAt": null}))
        .await;
    assert_eq!(changed.status(), 200);
    let again = visit("/offer").await;
    assert_eq!(again.status(), 302);
    assert_eq!(location(&again), "https://example.com/offer");

    // Only the visits sent to the destination are clicks of the link.
    app.flush_clicks().await;
    let link = app.get_short("offer").await.json::<Value>().await.unwrap();
    assert_eq!(link["data"]["clicks"], 2, "{link}");
    assert_eq!(link["data"]["expiresAt"], Value::Null);
}

#[tokio::test]
async fn a_disabled_link_answers_404_until_switched_on() {
    let app = TestApp::spawn().await;
    let created = app
        .created(
            json!({"destination": "https://example.com/paused", "route": "paused",
                        "disabled": true}),
        )
        .await;
    assert_eq!(created["disabled"], true);
    let visit = app.visit(DEFAULT_DOMAIN, "/paused", CHROME_WINDOWS).await;
    assert_eq!(visit.status(), 404);

    let changed = app
        .update_short(Method::PATCH, "paused", json!({"disabled": false}))
        .await;
    assert_eq!(changed.status(), 200);
    let visit = app.visit(DEFAULT_DOMAIN, "/paused", CHROME_WINDOWS).await;
    assert_eq!(visit.status(), 302);

    // `null` means "not set", that is switched on.
    let changed = app
        .update_short(Method::PATCH, "paused", json!({"disabled": true}))
        .await;
    assert_eq!(changed.status(), 200);
    assert_eq!(
        app.visit(DEFAULT_DOMAIN, "/paused", CHROME_WINDOWS)
            .await
            .status(),
        404
    );
    let changed = app
        .update_short(Method::PATCH, "paused", json!({"disabled": null}))
        .await;
    assert_eq!(
        changed.json::<Value>().await.unwrap()["data"]["disabled"],
        false
    );
    assert_eq!(
        app.visit(DEFAULT_DOMAIN, "/paused", CHROME_WINDOWS)
            .await
            .status(),
        302
    );
}

#[tokio::test]
async fn every_bad_lifecycle_field_is_named_at_once() {
    let app = TestApp::spawn().await;
    let response = app
        .create_short(json!({
            "destination": "https://example.com/x",
            "expiresAt": "next tuesday",
            "expiredDestination": "ftp://example.com/over",
            "disabled": "maybe",
        }))
        .await;
    let message = error_message(response, 400).await;
    for field in ["expiresAt", "expiredDestination", "disabled"] {
        assert!(message.contains(field), "{field} in {message}");
    }
    assert!(
        message.contains("2026-12-31T23:00:00Z"),
        "an example: {message}"
    );

    // An expired destination on this server's own domain would loop.
    let response = app
        .create_short(json!({
            "destination": "https://example.com/x",
            "expiredDestination": format!("http://{DEFAULT_DOMAIN}/elsewhere"),
        }))
        .await;
    let message = error_message(response, 400).await;
    assert!(
        message.starts_with("expiredDestination points at"),
        "{message}"
    );

    // A date without a time or offset is not an instant.
    let response = app
        .create_short(json!({"destination": "https://example.com/x", "expiresAt": "2030-01-01"}))
        .await;
    assert!(error_message(response, 400).await.contains("expiresAt"));
}

#[tokio::test]
async fn the_dashboard_form_sets_and_clears_the_lifecycle() {
    let clock = Clock::manual(START);
    let app = TestApp::spawn_with(|settings| settings.clock = clock.clone()).await;
    let mut person = owner(&app).await;

    // A bad instant is said next to its field; nothing is created.
    person.get("/dashboard/links/new").await;
    let refused = person
        .post(
            "/dashboard/links",
            &[
                ("destination", "https://example.com/sale"),
                ("route", "sale"),
                ("domain", DEFAULT_DOMAIN),
                ("expiresAt", "31/12/2029"),
                ("maxClicks", "0"),
            ],
        )
        .await;
    assert!(
        refused.contains("id=\"expiresAt-error\""),
        "{}",
        refused.html
    );
    assert_eq!(app.get_short("sale").await.status(), 404);

    person.get("/dashboard/links/new").await;
    let created = person
        .post(
            "/dashboard/links",
            &[
                ("destination", "https://example.com/sale"),
                ("route", "sale"),
                ("domain", DEFAULT_DOMAIN),
                ("expiresAt", "2030-01-01T01:00:00+01:00"),
                ("expiredDestination", "https://example.com/sale-over"),
                ("maxClicks", "5"),
            ],
        )
        .await;
    assert_eq!(created.status, StatusCode::SEE_OTHER, "{}", created.html);
    let link_page = created.location.expect("to the link's page");
    let api = app.get_short("sale").await.json::<Value>().await.unwrap();
    assert_eq!(api["data"]["expiresAt"], "2030-01-01T00:00:00.000Z");
    assert_eq!(
        api["data"]["expiredDestination"],
        "https://example.com/sale-over"
    );
    // START is that instant: the page says the link has expired, and where visitors go.
    let page = person.get(&link_page).await;
    assert!(
        page.contains("expired: visitors go to https://example.com/sale-over"),
        "{}",
        page.html
    );

    // Editing: emptied fields clear, the ticked box switches the link off.
    let number = link_page.trim_start_matches("/dashboard/links/").to_owned();
    person.get(&format!("/dashboard/links/{number}/edit")).await;
    let saved = person
        .post(
            &format!("/dashboard/links/{number}"),
            &[
                ("destination", "https://example.com/sale"),
                ("route", "sale"),
                ("expiresAt", ""),
                ("expiredDestination", ""),
                ("maxClicks", ""),
                ("disabled", "true"),
            ],
        )
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.html);
    let api = app.get_short("sale").await.json::<Value>().await.unwrap();
    assert_eq!(api["data"]["expiresAt"], Value::Null);
    assert_eq!(api["data"]["expiredDestination"], Value::Null);
    assert_eq!(api["data"]["disabled"], true);
    assert_eq!(api["data"]["maxClicks"], Value::Null);
    assert_eq!(
        app.visit(DEFAULT_DOMAIN, "/sale", CHROME_WINDOWS)
            .await
            .status(),
        404
    );
    assert!(person.get(&link_page).await.contains("switched off"));
}

/// Where a visit went: the destination, the expired destination, or elsewhere.
async fn visit_went(app: &TestApp, server: &str, path: &str, user_agent: &str) -> String {
    let response =
        crate::helpers::visit_server(&app.client, server, DEFAULT_DOMAIN, path, user_agent, &[])
            .await;
    assert_eq!(response.status(), 302, "{path}");
    location(&response).to_owned()
}

#[tokio::test]
async fn a_visit_limit_is_exact_across_two_instances() {
    let app = TestApp::spawn().await;
    let mut other = crate::helpers::Server::start(&app.db.url, app.settings.clone()).await;
    app.created(json!({
        "destination": "https://example.com/first-fifty",
        "route": "fifty",
        "maxClicks": 50,
        "expiredDestination": "https://example.com/sold-out",
    }))
    .await;
    let servers = [app.server.address.clone(), other.address.clone()];
    let visits = (0..150).map(|i| {
        let server = servers[i % 2].clone();
        let app = &app;
        async move { visit_went(app, &server, "/fifty", CHROME_WINDOWS).await }
    });
    let went = futures_util::future::join_all(visits).await;
    let through = went
        .iter()
        .filter(|l| *l == "https://example.com/first-fifty")
        .count();
    let sold_out = went
        .iter()
        .filter(|l| *l == "https://example.com/sold-out")
        .count();
    assert_eq!((through, sold_out), (50, 100), "{went:?}");

    app.flush_clicks().await;
    other.state.clicks.flush().await;
    let link = app.get_short("fifty").await.json::<Value>().await.unwrap();
    assert_eq!(link["data"]["clicks"], 50, "{link}");
    assert_eq!(link["data"]["maxClicks"], 50);
    other.stop().await;
}

#[tokio::test]
async fn bots_and_head_requests_never_use_a_visit_up() {
    let app = TestApp::spawn().await;
    app.created(
        json!({"destination": "https://example.com/two", "route": "two",
                       "maxClicks": 2}),
    )
    .await;
    let server = app.server.address.clone();
    for _ in 0..5 {
        assert_eq!(
            visit_went(&app, &server, "/two", "curl/8.5.0").await,
            "https://example.com/two"
        );
        let head = app
            .client
            .head(app.url("/two"))
            .header("host", DEFAULT_DOMAIN)
            .header("user-agent", CHROME_WINDOWS)
            .send()
            .await
            .unwrap();
        assert_eq!(head.status(), 302);
    }
    for _ in 0..2 {
        assert_eq!(
            visit_went(&app, &server, "/two", CHROME_WINDOWS).await,
            "https://example.com/two"
        );
    }
    // Used up: people and bots alike get the 410 page now.
    for user_agent in [CHROME_WINDOWS, "curl/8.5.0"] {
        let gone = app.visit(DEFAULT_DOMAIN, "/two", user_agent).await;
        assert_eq!(gone.status(), 410, "{user_agent}");
    }

    // Raising the limit lets more through; null removes it.
    let raised = app
        .update_short(Method::PATCH, "two", json!({"maxClicks": 3}))
        .await;
    assert_eq!(raised.status(), 200);
    assert_eq!(
        visit_went(&app, &server, "/two", CHROME_WINDOWS).await,
        "https://example.com/two"
    );
    assert_eq!(
        app.visit(DEFAULT_DOMAIN, "/two", CHROME_WINDOWS)
            .await
            .status(),
        410
    );
    let cleared = app
        .update_short(Method::PATCH, "two", json!({"maxClicks": null}))
        .await;
    assert_eq!(
        cleared.json::<Value>().await.unwrap()["data"]["maxClicks"],
        Value::Null
    );
    assert_eq!(
        visit_went(&app, &server, "/two", CHROME_WINDOWS).await,
        "https://example.com/two"
    );
}

#[tokio::test]
async fn a_limit_set_later_counts_the_clicks_already_made() {
    let app = TestApp::spawn().await;
    app.created(json!({"destination": "https://example.com/later", "route": "later"}))
        .await;
    let server = app.server.address.clone();
    for _ in 0..3 {
        visit_went(&app, &server, "/later", CHROME_WINDOWS).await;
    }
    app.flush_clicks().await;
    let limited = app
        .update_short(Method::PATCH, "later", json!({"maxClicks": 4}))
        .await;
    assert_eq!(limited.status(), 200);
    assert_eq!(
        visit_went(&app, &server, "/later", CHROME_WINDOWS).await,
        "https://example.com/later"
    );
    assert_eq!(
        app.visit(DEFAULT_DOMAIN, "/later", CHROME_WINDOWS)
            .await
            .status(),
        410
    );

    for bad in [json!(0), json!(-5), json!(2.5), json!("many")] {
        let response = app
            .update_short(Method::PATCH, "later", json!({"maxClicks": bad}))
            .await;
        assert!(
            error_message(response, 400).await.contains("maxClicks"),
            "{bad}"
        );
    }
}
