//! Links with a password: the form instead of the redirect (showing nothing of the link,
//! to people and crawlers alike), the right password sending the visitor on and counting
//! one click, wrong ones answered with the form and a message and slowed down after a few,
//! the password write-only in the API, and `null` removing it.

use reqwest::{Method, Response};
use serde_json::{Value, json};

use crate::helpers::{CHROME_WINDOWS, DEFAULT_DOMAIN, TestApp, error_message};

const CRAWLER: &str = "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)";

async fn try_password(app: &TestApp, path: &str, password: &str, from: &str) -> Response {
    app.client
        .post(app.url(path))
        .header("host", DEFAULT_DOMAIN)
        .header("user-agent", CHROME_WINDOWS)
        .header("x-forwarded-for", from)
        .form(&[("password", password)])
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn the_right_password_sends_the_visitor_on_and_counts_one_click() {
    let app = TestApp::spawn_with(|settings| settings.trust_proxy = true).await;
    let created = app
        .created(
            json!({"destination": "https://example.com/secret-plans", "route": "plans",
                        "title": "Secret plans", "password": "open sesame"}),
        )
        .await;
    assert_eq!(created["passwordProtected"], true);
    assert!(created.get("password").is_none() && created.get("passwordHash").is_none());
    let listed = app.list_shorts("").await.text().await.unwrap();
    assert!(!listed.contains("argon2"), "no hash in the API: {listed}");

    // People and crawlers get the form; it shows nothing of the link.
    for user_agent in [CHROME_WINDOWS, CRAWLER] {
        let form = app.visit(DEFAULT_DOMAIN, "/plans", user_agent).await;
        assert_eq!(form.status(), 200, "{user_agent}");
        let policy = form.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .to_owned();
        assert!(policy.contains("form-action 'self'"), "{policy}");
        let html = form.text().await.unwrap();
        assert!(html.contains("name=\"password\""), "{html}");
        for secret in ["secret-plans", "Secret plans", "example.com"] {
            assert!(!html.contains(secret), "{user_agent} sees {secret}: {html}");
        }
    }

    let wrong = try_password(&app, "/plans", "open sesam", "203.0.113.5").await;
    assert_eq!(wrong.status(), 401);
    assert!(
        wrong
            .text()
            .await
            .unwrap()
            .contains("That is not the password")
    );

    let right = try_password(&app, "/plans?utm_source=mail", "open sesame", "203.0.113.5").await;
    assert_eq!(right.status(), 303);
    assert_eq!(
        right.headers()["location"],
        "https://example.com/secret-plans?utm_source=mail"
    );
    app.flush_clicks().await;
    let link = app.get_short("plans").await.json::<Value>().await.unwrap();
    assert_eq!(
        link["data"]["clicks"], 1,
        "only the unlocked visit counts: {link}"
    );

    // `null` removes the password: the link redirects again.
    let cleared = app
        .update_short(Method::PATCH, "plans", json!({"password": null}))
        .await;
    assert_eq!(
        cleared.json::<Value>().await.unwrap()["data"]["passwordProtected"],
        false
    );
    assert_eq!(
        app.visit(DEFAULT_DOMAIN, "/plans", CHROME_WINDOWS)
            .await
            .status(),
        302
    );
}

#[tokio::test]
async fn wrong_passwords_are_slowed_down_per_link_and_visitor() {
    let app = TestApp::spawn_with(|settings| settings.trust_proxy = true).await;
    app.created(
        json!({"destination": "https://example.com/vault", "route": "vault",
                       "password": "right one"}),
    )
    .await;
    // Five wrong tries cost nothing; the next must wait, even with the right password.
    for _ in 0..5 {
        let wrong = try_password(&app, "/vault", "guess", "203.0.113.9").await;
        assert_eq!(wrong.status(), 401);
    }
    let _sixth = try_password(&app, "/vault", "guess", "203.0.113.9").await;
    let held = try_password(&app, "/vault", "right one", "203.0.113.9").await;
    assert_eq!(held.status(), 429);
    let html = held.text().await.unwrap();
    assert!(
        html.contains("Too many wrong passwords. Try again in"),
        "{html}"
    );
    // The link is held for everyone (someone is guessing it), not only that address.
    let elsewhere = try_password(&app, "/vault", "right one", "198.51.100.1").await;
    assert_eq!(elsewhere.status(), 429);
}

#[tokio::test]
async fn passwords_are_validated_and_a_post_to_an_open_link_is_405() {
    let app = TestApp::spawn().await;
    for (password, length) in [("abc", 3), (&"x".repeat(129)[..], 129)] {
        let response = app
            .create_short(json!({"destination": "https://example.com/x", "password": password}))
            .await;
        let message = error_message(response, 400).await;
        assert!(
            message.contains("password must be 4 to 128 characters")
                && message.contains(&format!("(got {length})")),
            "{message}"
        );
    }
    app.created(json!({"destination": "https://example.com/open", "route": "open"}))
        .await;
    let post = try_password(&app, "/open", "anything", "203.0.113.1").await;
    assert_eq!(post.status(), 405);
    assert_eq!(post.headers()["allow"], "GET, HEAD");
}

#[tokio::test]
async fn the_dashboard_sets_keeps_and_removes_a_password() {
    let app = TestApp::spawn().await;
    let mut person = crate::dashboard_helpers::owner(&app).await;
    person.get("/dashboard/links/new").await;
    let short = person
        .post(
            "/dashboard/links",
            &[
                ("destination", "https://example.com/club"),
                ("route", "club"),
                ("domain", DEFAULT_DOMAIN),
                ("password", "abc"),
            ],
        )
        .await;
    assert!(short.contains("id=\"password-error\""), "{}", short.html);
    person.get("/dashboard/links/new").await;
    let created = person
        .post(
            "/dashboard/links",
            &[
                ("destination", "https://example.com/club"),
                ("route", "club"),
                ("domain", DEFAULT_DOMAIN),
                ("password", "members only"),
                ("passwordPreview", "true"),
            ],
        )
        .await;
    let link_page = created
        .location
        .expect("to the link's page")
        .split('?')
        .next()
        .unwrap()
        .to_owned();
    let protected = || async {
        app.get_short("club").await.json::<Value>().await.unwrap()["data"]["passwordProtected"]
            .clone()
    };
    assert_eq!(protected().await, true);
    let api = app.get_short("club").await.json::<Value>().await.unwrap();
    assert_eq!(api["data"]["passwordPreview"], true);
    assert!(
        person
            .get(&link_page)
            .await
            .contains("visitors must enter it first")
    );

    // Saving with the box empty keeps it; ticking "Remove the password" removes it.
    let edit = format!("{link_page}/edit");
    let form = person.get(&edit).await;
    assert!(form.contains("Remove the password"), "{}", form.html);
    // A refused save shows the form again, still offering to remove the password.
    let refused = person
        .post(
            &link_page,
            &[
                ("destination", "https://example.com/club"),
                ("route", "club"),
                ("password", "abc"),
            ],
        )
        .await;
    assert!(
        refused.contains("id=\"password-error\""),
        "{}",
        refused.html
    );
    assert!(refused.contains("Remove the password"), "{}", refused.html);
    person.get(&edit).await;
    let fields = [
        ("destination", "https://example.com/club"),
        ("route", "club"),
        ("password", ""),
        ("passwordProtected", "true"),
    ];
    person.post(&link_page, &fields).await;
    assert_eq!(protected().await, true);
    person.get(&edit).await;
    let mut removing = fields.to_vec();
    removing.push(("removePassword", "true"));
    person.post(&link_page, &removing).await;
    assert_eq!(protected().await, false);
}

#[tokio::test]
async fn the_owner_may_let_crawlers_show_a_protected_links_card() {
    let app = TestApp::spawn().await;
    let created = app
        .created(
            json!({"destination": "https://example.com/launch-party", "route": "party",
                        "title": "Launch party", "password": "invited",
                        "passwordPreview": true}),
        )
        .await;
    assert_eq!(created["passwordPreview"], true);
    let card = app.visit(DEFAULT_DOMAIN, "/party", CRAWLER).await;
    assert_eq!(card.status(), 200);
    let html = card.text().await.unwrap();
    assert!(
        html.contains("og:title") && html.contains("Launch party"),
        "{html}"
    );
    // People still get the form, which shows nothing of the link.
    let form = app.visit(DEFAULT_DOMAIN, "/party", CHROME_WINDOWS).await;
    let html = form.text().await.unwrap();
    assert!(
        html.contains("name=\"password\"") && !html.contains("Launch party"),
        "{html}"
    );

    // Switched back off, crawlers get the form too.
    let changed = app
        .update_short(Method::PATCH, "party", json!({"passwordPreview": null}))
        .await;
    assert_eq!(
        changed.json::<Value>().await.unwrap()["data"]["passwordPreview"],
        false
    );
    let html = app
        .visit(DEFAULT_DOMAIN, "/party", CRAWLER)
        .await
        .text()
        .await
        .unwrap();
    assert!(!html.contains("Launch party"), "{html}");
}
