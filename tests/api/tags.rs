//! Tags and search (openpxl extensions): tags kept per organization without regard to
//! case, validated by index; the list's `tag=` (all of them) and `q=` (every word, in the
//! route, destination, title or description, any case, wildcards literal) with
//! `x-total-count`; search text kept up to date on change and filled for old links; the
//! dashboard's tag field, chips and filter.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{TestApp, error_message};

/// The routes a list answers, and its `x-total-count`.
async fn routes(app: &TestApp, query: &str) -> (Vec<String>, i64) {
    let response = app.list_shorts(query).await;
    assert_eq!(response.status(), 200, "{query}");
    let total = response.headers()["x-total-count"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    let body: Value = response.json().await.unwrap();
    let routes = body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|link| link["route"].as_str().unwrap().to_owned())
        .collect();
    (routes, total)
}

fn owned(routes: &[&str]) -> Vec<String> {
    routes.iter().map(|r| (*r).to_owned()).collect()
}

#[tokio::test]
async fn tags_are_one_per_name_whatever_the_case_and_each_organization_has_its_own() {
    let app = TestApp::spawn().await;
    let first = app
        .created(json!({"destination": "https://example.com/a", "route": "a",
                        "tags": [" Spring ", "2027", "SPRING"]}))
        .await;
    assert_eq!(first["tags"], json!(["2027", "Spring"]));
    // The organization's tag keeps the spelling it was first given.
    let second = app
        .created(json!({"destination": "https://example.com/b", "route": "b",
                        "tags": ["spring"]}))
        .await;
    assert_eq!(second["tags"], json!(["Spring"]));
    let plain = app
        .created(json!({"destination": "https://example.com/c", "route": "c"}))
        .await;
    assert_eq!(plain["tags"], json!([]));

    // Another organization's tags are its own.
    let other = app.other_org_token().await;
    let theirs = app
        .create_short_as(
            &other,
            json!({"destination": "https://example.com/x", "tags": ["SPRING"]}),
        )
        .await;
    assert_eq!(theirs.status(), 201);
    assert_eq!(
        theirs.json::<Value>().await.unwrap()["data"]["tags"],
        json!(["SPRING"])
    );

    // Updates replace the whole list; leaving tags out keeps them; null and [] clear.
    let update = |body: Value| app.update_short(Method::PATCH, "a", body);
    let changed: Value = update(json!({"tags": ["Autumn", "2027"]}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(changed["data"]["tags"], json!(["2027", "Autumn"]));
    let kept: Value = update(json!({"title": "A"})).await.json().await.unwrap();
    assert_eq!(kept["data"]["tags"], json!(["2027", "Autumn"]));
    for clear in [json!(null), json!([])] {
        let cleared: Value = update(json!({"tags": clear})).await.json().await.unwrap();
        assert_eq!(cleared["data"]["tags"], json!([]));
    }
    let read: Value = app.get_short("b").await.json().await.unwrap();
    assert_eq!(read["data"]["tags"], json!(["Spring"]));
}

#[tokio::test]
async fn every_bad_tag_is_named_by_its_index() {
    let app = TestApp::spawn().await;
    let long = "x".repeat(51);
    let response = app
        .create_short(json!({"destination": "https://example.com/",
                             "tags": ["ok", "", 7, long, "a,b"]}))
        .await;
    let message = error_message(response, 400).await;
    for expected in [
        "tags[1] is empty",
        "tags[2] must be a string",
        "tags[3] is 51 characters long",
        "tags[4] must not contain a comma",
    ] {
        assert!(message.contains(expected), "{expected}: {message}");
    }
    let many: Vec<String> = (0..21).map(|n| format!("t{n}")).collect();
    let response = app
        .create_short(json!({"destination": "https://example.com/", "tags": many}))
        .await;
    assert!(error_message(response, 400).await.contains("at most 20"));
    let response = app
        .create_short(json!({"destination": "https://example.com/", "tags": "a"}))
        .await;
    assert!(
        error_message(response, 400)
            .await
            .contains("must be a list")
    );
    // Nothing was created by the refused requests.
    assert_eq!(routes(&app, "").await.1, 0);
}

#[tokio::test]
async fn lists_filter_by_all_their_tags_and_by_every_word() {
    let app = TestApp::spawn().await;
    for (route, destination, title, description, tags) in [
        (
            "spring-sale",
            "https://shop.example/sale?season=spring",
            "Spring sale",
            "50% off",
            json!(["Sale", "2027"]),
        ),
        (
            "autumn",
            "https://shop.example/autumn",
            "Autumn collection",
            "Über cosy",
            json!(["2027"]),
        ),
        (
            "guide",
            "https://docs.example/start",
            "Getting started",
            "Read me",
            json!(["Docs"]),
        ),
        (
            "pct",
            "https://example.com/p",
            "Percent",
            "100 percent_sure",
            json!([]),
        ),
    ] {
        app.created(
            json!({"destination": destination, "route": route, "title": title,
                           "description": description, "tags": tags}),
        )
        .await;
    }
    // Tags: every one named must be on the link; any case; an unknown one matches nothing.
    assert_eq!(
        routes(&app, "?tag=2027").await,
        (owned(&["autumn", "spring-sale"]), 2)
    );
    assert_eq!(
        routes(&app, "?tag=2027&tag=sale").await,
        (owned(&["spring-sale"]), 1)
    );
    assert_eq!(routes(&app, "?tag=nope").await, (vec![], 0));
    assert_eq!(routes(&app, "?tag=2027&tag=nope").await, (vec![], 0));
    // Words: each must appear somewhere in route, destination, title or description.
    assert_eq!(
        routes(&app, "?q=shop.example").await,
        (owned(&["autumn", "spring-sale"]), 2)
    );
    assert_eq!(
        routes(&app, "?q=SHOP+spring").await,
        (owned(&["spring-sale"]), 1)
    );
    assert_eq!(routes(&app, "?q=%C3%BCBER").await, (owned(&["autumn"]), 1)); // ÜBER
    assert_eq!(routes(&app, "?q=started").await, (owned(&["guide"]), 1));
    assert_eq!(routes(&app, "?q=percent").await, (owned(&["pct"]), 1));
    // Wildcards in a word are only themselves.
    assert_eq!(routes(&app, "?q=50%25").await, (owned(&["spring-sale"]), 1));
    assert_eq!(routes(&app, "?q=t_s").await, (owned(&["pct"]), 1));
    assert_eq!(routes(&app, "?q=*").await, (vec![], 0));
    // Words too short for the trigram indexes are found too.
    assert_eq!(routes(&app, "?q=50").await, (owned(&["spring-sale"]), 1));
    assert_eq!(
        routes(&app, "?q=%C3%BC+shop").await,
        (owned(&["autumn"]), 1)
    );
    // Both together, with paging.
    assert_eq!(
        routes(&app, "?tag=2027&q=example&take=1").await,
        (owned(&["autumn"]), 2)
    );
    assert_eq!(
        routes(&app, "?tag=2027&q=example&take=1&skip=1").await,
        (owned(&["spring-sale"]), 2)
    );
    // Changes are searched at once; deleted links are not.
    app.update_short(Method::PATCH, "guide", json!({"title": "Handbook"}))
        .await;
    assert_eq!(routes(&app, "?q=handbook").await, (owned(&["guide"]), 1));
    assert_eq!(routes(&app, "?q=started").await, (vec![], 0));
    app.delete_short("autumn").await;
    assert_eq!(
        routes(&app, "?tag=2027").await,
        (owned(&["spring-sale"]), 1)
    );
    assert_eq!(routes(&app, "?q=cosy").await, (vec![], 0));

    // Bad parameters are a 400 that says what is wrong.
    let long = format!("?q={}", "x".repeat(201));
    assert!(
        error_message(app.list_shorts(&long).await, 400)
            .await
            .contains("at most 200")
    );
    assert!(
        error_message(app.list_shorts("?tag=a,b").await, 400)
            .await
            .contains("comma")
    );
}

#[tokio::test]
async fn links_made_before_search_are_found_once_their_text_is_filled() {
    let app = TestApp::spawn().await;
    app.created(
        json!({"destination": "https://example.com/old", "route": "old",
                       "title": "Legacy Page"}),
    )
    .await;
    {
        use sqlx::Connection;
        let mut connection = sqlx::AnyConnection::connect(&app.db.url).await.unwrap();
        sqlx::query("UPDATE links SET search_text = NULL")
            .execute(&mut connection)
            .await
            .unwrap();
        connection.close().await.unwrap();
    }
    assert_eq!(routes(&app, "?q=legacy").await, (vec![], 0));
    assert_eq!(app.store().fill_search_text().await.unwrap(), 1);
    assert_eq!(routes(&app, "?q=legacy").await, (owned(&["old"]), 1));
    assert_eq!(app.store().fill_search_text().await.unwrap(), 0);
}

#[tokio::test]
async fn the_dashboard_sets_tags_shows_them_and_filters_by_them() {
    let app = TestApp::spawn().await;
    let mut person = crate::dashboard_helpers::owner(&app).await;
    person.get("/dashboard/links/new").await;
    let created = person
        .post(
            "/dashboard/links",
            &[
                ("destination", "https://example.com/tagged"),
                ("route", "tagged"),
                ("tags", "Launch, 2027 ,launch"),
            ],
        )
        .await;
    assert_eq!(created.status, 303, "{}", created.html);
    app.created(json!({"destination": "https://example.com/plain", "route": "plain"}))
        .await;
    let short: Value = app.get_short("tagged").await.json().await.unwrap();
    assert_eq!(short["data"]["tags"], json!(["2027", "Launch"]));

    let list = person.get("/dashboard/links").await;
    assert!(
        list.contains("<option value=\"Launch\">Launch (1)</option>"),
        "{}",
        list.html
    );
    assert!(
        list.contains("href=\"/dashboard/links?tag=Launch\""),
        "{}",
        list.html
    );
    let filtered = person.get("/dashboard/links?tag=launch").await;
    assert!(filtered.contains("tagged “launch”"), "{}", filtered.html);
    assert!(filtered.contains(">example.com/tagged<") || filtered.contains("/tagged"));
    assert!(!filtered.contains("example.com/plain"), "{}", filtered.html);
    let bad = person.get("/dashboard/links?tag=a,b").await;
    assert!(bad.contains("must not contain a comma"), "{}", bad.html);

    // Editing: the field shows the tags; emptying it removes them.
    let number = app.link_id(crate::helpers::DEFAULT_DOMAIN, "tagged").await;
    let edit = person.get(&format!("/dashboard/links/{number}/edit")).await;
    assert!(edit.contains("value=\"2027, Launch\""), "{}", edit.html);
    let saved = person
        .post(
            &format!("/dashboard/links/{number}"),
            &[
                ("destination", "https://example.com/tagged"),
                ("route", "tagged"),
                ("tags", ""),
            ],
        )
        .await;
    assert_eq!(saved.status, 303, "{}", saved.html);
    let short: Value = app.get_short("tagged").await.json().await.unwrap();
    assert_eq!(short["data"]["tags"], json!([]));
}
