//! The dashboard over HTTP: signing in and out, sessions, forms protected against forgery,
//! the sign-in slowdown, the links pages with their error paths, passwords, organizations.

use base64::Engine;
use openpxl::{
    accounts,
    store::{Pools, Role, Store},
};
use reqwest::StatusCode;
use serde_json::json;
use sha2::{Digest, Sha256};

use crate::{
    dashboard_helpers::{PASSWORD, Person, look, owner, person_with_role},
    helpers::{DEFAULT_DOMAIN, EMAIL, ORG, TestApp},
};

#[tokio::test]
async fn pages_send_whoever_is_not_signed_in_to_the_sign_in_page() {
    let app = TestApp::spawn().await;
    let mut stranger = Person::new(&app);
    for path in [
        "/dashboard/links",
        "/dashboard/links/new",
        "/dashboard/account/password",
    ] {
        let page = stranger.get(path).await;
        assert_eq!(page.status, StatusCode::SEE_OTHER, "{path}");
        let location = page.location.unwrap();
        assert!(
            location.starts_with("/dashboard/sign-in?next=%2Fdashboard"),
            "{location}"
        );
    }
    let home = stranger.get("/dashboard").await;
    assert_eq!(home.location.as_deref(), Some("/dashboard/links"));
}

#[tokio::test]
async fn signing_in_starts_a_session_whose_id_is_stored_only_as_a_digest() {
    let app = TestApp::spawn().await;
    let mut person = owner(&app).await;
    let links = person.get("/dashboard/links").await;
    assert_eq!(links.status, StatusCode::OK);
    assert!(links.contains(EMAIL), "the page says who is signed in");

    // The cookie: HttpOnly, SameSite=Lax, for the dashboard only; not Secure over http.
    let sign_in = app
        .client
        .get(app.url("/dashboard/sign-in"))
        .send()
        .await
        .unwrap();
    let token_cookie = sign_in.headers()["set-cookie"].to_str().unwrap().to_owned();
    let token = token_cookie.split(';').next().unwrap().to_owned();
    let csrf = crate::dashboard_helpers::csrf_of(&sign_in.text().await.unwrap()).unwrap();
    let signed_in = app
        .client
        .post(app.url("/dashboard/sign-in"))
        .header("cookie", token)
        .form(&[
            ("csrf", csrf.as_str()),
            ("email", EMAIL),
            ("password", PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(signed_in.status(), StatusCode::SEE_OTHER);
    let session_cookie = signed_in
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap())
        .find(|c| c.starts_with("openpxl_session="))
        .expect("a session cookie")
        .to_owned();
    for attribute in ["HttpOnly", "SameSite=Lax", "Path=/dashboard"] {
        assert!(session_cookie.contains(attribute), "{session_cookie}");
    }
    assert!(!session_cookie.contains("Secure"), "{session_cookie}");
    let value = session_cookie
        .split(';')
        .next()
        .unwrap()
        .trim_start_matches("openpxl_session=");
    let secret = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(value)
        .unwrap();
    assert_eq!(secret.len(), 32, "256 random bits");
    let store = look(&app).await;
    assert!(
        store.find_session(&secret).await.unwrap().is_none(),
        "not the id itself"
    );
    let digest = Sha256::digest(&secret).to_vec();
    assert!(
        store.find_session(&digest).await.unwrap().is_some(),
        "its digest"
    );
    store.close().await;
}

#[tokio::test]
async fn session_cookies_are_secure_when_the_dashboard_is_served_over_https() {
    let app = TestApp::spawn_with(|s| {
        s.public_url = url::Url::parse("https://go.example.com/").unwrap();
    })
    .await;
    let page = app
        .client
        .get(app.url("/dashboard/sign-in"))
        .send()
        .await
        .unwrap();
    let cookie = page.headers()["set-cookie"].to_str().unwrap();
    assert!(cookie.contains("Secure"), "{cookie}");
}

#[tokio::test]
async fn a_wrong_password_says_so_without_telling_which_part_was_wrong() {
    let app = TestApp::spawn().await;
    owner(&app).await; // gives the owner a password
    let mut person = Person::new(&app);
    for (email, password) in [(EMAIL, "not the password"), ("nobody@acme.test", PASSWORD)] {
        let page = person.try_sign_in(email, password).await;
        assert_eq!(page.status, StatusCode::UNAUTHORIZED);
        assert!(page.contains("The e-mail address or the password is wrong"));
    }
}

#[tokio::test]
async fn repeated_failures_slow_down_the_account_and_the_address_with_a_message() {
    let app = TestApp::spawn_with(|s| s.trust_proxy = true).await;
    owner(&app).await;
    let from = |address: &'static str| {
        let jar = std::sync::Arc::new(reqwest::cookie::Jar::default());
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .cookie_provider(jar)
            .default_headers(
                [("x-forwarded-for", address)]
                    .into_iter()
                    .map(|(k, v)| (k.parse().unwrap(), v.parse().unwrap()))
                    .collect(),
            )
            .build()
            .unwrap();
        let mut person = Person::new(&app);
        person.client = client;
        person
    };
    let mut guesser = from("198.51.100.1");
    for _ in 0..5 {
        let page = guesser.try_sign_in(EMAIL, "guess").await;
        assert_eq!(page.status, StatusCode::UNAUTHORIZED);
    }
    let held = guesser.try_sign_in(EMAIL, "guess").await;
    assert_eq!(held.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(
        held.contains("Too many failed sign-ins for this account"),
        "{}",
        held.html
    );
    // Even the right password waits now, from anywhere.
    let mut owner_elsewhere = from("203.0.113.9");
    let waiting = owner_elsewhere.try_sign_in(EMAIL, PASSWORD).await;
    assert_eq!(waiting.status, StatusCode::TOO_MANY_REQUESTS);
    // The guessing address is held for other accounts too.
    let other = guesser.try_sign_in("other@acme.test", "guess").await;
    assert!(other.contains("from your network"), "{}", other.html);
}

#[tokio::test]
async fn forms_without_the_right_token_or_from_another_site_are_refused() {
    let app = TestApp::spawn().await;
    let mut person = owner(&app).await;
    let mut someone_else = person_with_role(&app, "admin@acme.test", Role::Admin).await;
    person.get("/dashboard/links/new").await;
    someone_else.get("/dashboard/links/new").await;
    let fields = [
        ("destination", "https://example.com/x"),
        ("domain", DEFAULT_DOMAIN),
    ];
    for token in ["", "forged", someone_else.csrf.as_str()] {
        let mut with_token = fields.to_vec();
        with_token.push(("csrf", token));
        let page = person.post("/dashboard/links", &with_token).await;
        assert_eq!(page.status, StatusCode::BAD_REQUEST, "token {token:?}");
        assert!(page.contains("expired or did not come from this dashboard"));
    }
    let cross_site = person
        .client
        .post(app.url("/dashboard/links"))
        .header("origin", "https://evil.example")
        .form(&[
            ("csrf", person.csrf.as_str()),
            ("destination", "https://example.com/x"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(cross_site.status(), StatusCode::BAD_REQUEST);
    // The sign-in form has its own token.
    let forged_sign_in = app
        .client
        .post(app.url("/dashboard/sign-in"))
        .form(&[("csrf", "x"), ("email", EMAIL), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(forged_sign_in.status(), StatusCode::BAD_REQUEST);
    assert_eq!(app.list_shorts("").await.headers()["x-total-count"], "0");
}

#[tokio::test]
async fn signing_out_ends_the_session() {
    let app = TestApp::spawn().await;
    let mut person = owner(&app).await;
    person.get("/dashboard/links").await;
    let out = person.post("/dashboard/sign-out", &[]).await;
    assert_eq!(
        out.location.as_deref(),
        Some("/dashboard/sign-in?signed_out=1")
    );
    assert_eq!(
        person.get("/dashboard/links").await.status,
        StatusCode::SEE_OTHER
    );
}

#[tokio::test]
async fn links_are_created_edited_and_deleted_with_the_apis_rules() {
    let app = TestApp::spawn().await;
    let mut person = owner(&app).await;
    person.get("/dashboard/links/new").await;
    // Every bad field says why, next to the field, in the API's words.
    let bad = person
        .post(
            "/dashboard/links",
            &[
                ("destination", "javascript:alert(1)"),
                ("route", "a b"),
                ("image", "ftp://x"),
                ("domain", DEFAULT_DOMAIN),
            ],
        )
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    for field in ["destination-error", "route-error", "image-error"] {
        assert!(bad.contains(&format!("id=\"{field}\"")), "{field}");
    }
    assert!(bad.contains("must be an absolute http:// or https:// URL"));
    assert!(
        bad.contains("value=\"javascript:alert(1)\""),
        "what was typed stays"
    );

    let created = person
        .post(
            "/dashboard/links",
            &[
                ("destination", "https://example.com/launch"),
                ("route", "launch"),
                ("title", "Launch <day>"),
                ("domain", DEFAULT_DOMAIN),
                ("consent", "true"),
            ],
        )
        .await;
    assert_eq!(created.status, StatusCode::SEE_OTHER);
    let page_path = created.location.unwrap();
    let shown = person.get(&page_path).await;
    assert!(shown.contains("Link created."));
    assert!(shown.contains("Launch &#60;day&#62;"), "escaped");
    let api = app
        .get_short("launch")
        .await
        .json::<serde_json::Value>()
        .await
        .unwrap();
    assert_eq!(api["data"]["consent"], true);
    assert_eq!(api["data"]["title"], "Launch <day>");

    // A taken route is said next to the route.
    person.get("/dashboard/links/new").await;
    let taken = person
        .post(
            "/dashboard/links",
            &[
                ("destination", "https://example.com/2"),
                ("route", "launch"),
                ("domain", DEFAULT_DOMAIN),
            ],
        )
        .await;
    assert!(taken.contains("id=\"route-error\""));
    assert!(taken.contains("already taken"));

    // Editing: an emptied field is cleared, an unticked box is false.
    let number = page_path
        .trim_start_matches("/dashboard/links/")
        .split('?')
        .next()
        .unwrap()
        .to_owned();
    person.get(&format!("/dashboard/links/{number}/edit")).await;
    let saved = person
        .post(
            &format!("/dashboard/links/{number}"),
            &[
                ("destination", "https://example.com/v2"),
                ("route", "launch"),
                ("title", ""),
            ],
        )
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER);
    let api = app
        .get_short("launch")
        .await
        .json::<serde_json::Value>()
        .await
        .unwrap();
    assert_eq!(api["data"]["destination"], "https://example.com/v2");
    assert_eq!(api["data"]["title"], serde_json::Value::Null);
    assert_eq!(api["data"]["consent"], false);
    let bad_edit = person
        .post(
            &format!("/dashboard/links/{number}"),
            &[
                ("destination", "http://short.test./loop"),
                ("route", "launch"),
            ],
        )
        .await;
    assert_eq!(bad_edit.status, StatusCode::BAD_REQUEST);
    assert!(bad_edit.contains("redirect in a loop"));

    // Deleting asks first, then deletes.
    let confirm = person
        .get(&format!("/dashboard/links/{number}/delete"))
        .await;
    assert!(confirm.contains("Delete the link"));
    let deleted = person
        .post(&format!("/dashboard/links/{number}/delete"), &[])
        .await;
    assert_eq!(deleted.status, StatusCode::SEE_OTHER);
    assert_eq!(app.get_short("launch").await.status(), 404);
}

#[tokio::test]
async fn the_links_table_is_searchable_and_paginated() {
    let app = TestApp::spawn().await;
    for i in 0..30 {
        app.created(
            json!({"destination": format!("https://example.com/p{i}"), "route": format!("r{i}")}),
        )
        .await;
    }
    app.created(
        json!({"destination": "https://shop.example/", "route": "sale", "title": "Winter SALE"}),
    )
    .await;
    let mut person = owner(&app).await;
    let first = person.get("/dashboard/links").await;
    assert!(first.contains("31 links"));
    assert!(first.contains("Page 1 of 2"));
    assert!(first.contains("href=\"/dashboard/links?page=2\""));
    let second = person.get("/dashboard/links?page=2").await;
    assert!(second.contains("Page 2 of 2"));
    let found = person.get("/dashboard/links?q=sale").await;
    assert!(found.contains("1 link matching"), "{}", found.html);
    assert!(found.contains("short.test/sale"));
    let by_title = person.get("/dashboard/links?q=winter").await;
    assert!(by_title.contains("short.test/sale"));
    let none = person.get("/dashboard/links?q=%25").await;
    assert!(
        none.contains("No link matches"),
        "a % is a character, not a wildcard"
    );
}

#[tokio::test]
async fn a_member_cannot_change_another_members_link_from_the_pages() {
    let app = TestApp::spawn().await;
    let created = app
        .created(json!({"destination": "https://example.com/o", "route": "owners"}))
        .await;
    let link = app.link_id(DEFAULT_DOMAIN, "owners").await;
    assert_eq!(created["route"], "owners");
    let mut member = person_with_role(&app, "member@acme.test", Role::Member).await;
    let shown = member.get(&format!("/dashboard/links/{link}")).await;
    assert_eq!(shown.status, StatusCode::OK, "members see every link");
    assert!(!shown.contains("/edit\""), "but get no edit button");
    let edit = member.get(&format!("/dashboard/links/{link}/edit")).await;
    assert_eq!(edit.status, StatusCode::FORBIDDEN);
    member.get("/dashboard/links").await;
    let posted = member
        .post(
            &format!("/dashboard/links/{link}"),
            &[("destination", "https://evil.example"), ("route", "owners")],
        )
        .await;
    assert_eq!(posted.status, StatusCode::FORBIDDEN);
    let deleted = member
        .post(&format!("/dashboard/links/{link}/delete"), &[])
        .await;
    assert_eq!(deleted.status, StatusCode::FORBIDDEN);
    assert_eq!(app.get_short("owners").await.status(), 200);
}

#[tokio::test]
async fn another_organizations_link_is_not_found() {
    let app = TestApp::spawn().await;
    app.create_short_as(
        &app.other_org_token().await,
        json!({"destination": "https://globex.example", "route": "theirs"}),
    )
    .await;
    let theirs = app.link_id(DEFAULT_DOMAIN, "theirs").await;
    let mut person = owner(&app).await;
    for path in [
        format!("/dashboard/links/{theirs}"),
        format!("/dashboard/links/{theirs}/edit"),
    ] {
        assert_eq!(
            person.get(&path).await.status,
            StatusCode::NOT_FOUND,
            "{path}"
        );
    }
}

#[tokio::test]
async fn a_password_set_by_someone_else_must_be_changed_first_and_ends_other_sessions() {
    let app = TestApp::spawn().await;
    let mut elsewhere = owner(&app).await; // a session on another device
    accounts::reset_password(app.store(), EMAIL, "one-time-secret".into(), true)
        .await
        .unwrap();
    assert_eq!(
        elsewhere.get("/dashboard/links").await.status,
        StatusCode::SEE_OTHER,
        "a reset signs out everywhere"
    );
    let mut person = Person::new(&app);
    person.sign_in(EMAIL, "one-time-secret").await;
    let links = person.get("/dashboard/links").await;
    assert_eq!(
        links.location.as_deref(),
        Some("/dashboard/account/password")
    );
    let form = person.get("/dashboard/account/password").await;
    assert!(form.contains("Choose your own"));
    let wrong = person
        .post(
            "/dashboard/account/password",
            &[("current", "nope"), ("new", "my own password")],
        )
        .await;
    assert_eq!(wrong.status, StatusCode::BAD_REQUEST);
    assert!(wrong.contains("id=\"current-error\""));
    let short = person
        .post(
            "/dashboard/account/password",
            &[("current", "one-time-secret"), ("new", "short")],
        )
        .await;
    assert!(short.contains("id=\"new-error\""));
    let changed = person
        .post(
            "/dashboard/account/password",
            &[("current", "one-time-secret"), ("new", "my own password")],
        )
        .await;
    assert_eq!(changed.status, StatusCode::SEE_OTHER);
    assert_eq!(person.get("/dashboard/links").await.status, StatusCode::OK);
    let mut later = Person::new(&app);
    later.sign_in(EMAIL, "my own password").await;
}

#[tokio::test]
async fn a_person_in_several_organizations_switches_between_them() {
    let app = TestApp::spawn().await;
    app.create_short_as(
        &app.issue_token("globex", "owner@acme.test", None).await,
        json!({"destination": "https://globex.example", "route": "in-globex"}),
    )
    .await;
    let mut person = owner(&app).await;
    let page = person.get("/dashboard/links").await;
    assert!(
        page.contains("<option"),
        "a switcher appears with two organizations"
    );
    assert!(!page.contains("in-globex"));
    let store = Store::open(&app.db.url, Pools::for_command())
        .await
        .unwrap();
    let globex = store.find_org_id("globex").await.unwrap().unwrap();
    let acme = store.find_org_id(ORG).await.unwrap().unwrap();
    store.close().await;
    person
        .post("/dashboard/org", &[("org", &globex.to_string())])
        .await;
    assert!(person.get("/dashboard/links").await.contains("in-globex"));
    person
        .post("/dashboard/org", &[("org", &acme.to_string())])
        .await;
    assert!(!person.get("/dashboard/links").await.contains("in-globex"));
    // Not one's own organization: refused.
    let refused = person.post("/dashboard/org", &[("org", "999999")]).await;
    assert_eq!(refused.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn every_dashboard_page_has_a_strict_content_security_policy() {
    let app = TestApp::spawn().await;
    let mut person = owner(&app).await;
    for path in [
        "/dashboard/sign-in",
        "/dashboard/links",
        "/dashboard/links/new",
        "/dashboard/nowhere",
    ] {
        let response = person.client.get(app.url(path)).send().await.unwrap();
        let csp = response.headers()["content-security-policy"]
            .to_str()
            .unwrap();
        assert!(
            csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"),
            "{path}"
        );
        assert_eq!(response.headers()["x-frame-options"], "DENY");
    }
    let html = person.get("/dashboard/links").await.html;
    assert!(
        !html.contains("<script>") && !html.contains("style="),
        "nothing inline"
    );
}
