//! Targeting rules and A/B variants through the API and the redirect: the first rule that
//! holds picks the destination (device and OS from the User-Agent, country from a tiny
//! GeoIP database made here, language, query, time), variants split the rest and keep a
//! visitor on one all day, the query is passed on to whatever is picked, and every bad
//! rule is named by index and field.

use std::collections::HashMap;

use reqwest::Method;
use serde_json::{Value, json};

use crate::{
    clicks::app_with_geoip,
    helpers::{CHROME_WINDOWS, DEFAULT_DOMAIN, SAFARI_IPHONE, TestApp, error_message},
};

pub async fn went(app: &TestApp, path: &str, user_agent: &str, headers: &[(&str, &str)]) -> String {
    let response = app
        .visit_with(DEFAULT_DOMAIN, path, user_agent, headers)
        .await;
    assert_eq!(response.status(), 302, "{path}");
    response.headers()["location"].to_str().unwrap().to_owned()
}

#[tokio::test]
async fn the_first_rule_that_holds_picks_the_destination() {
    let app = app_with_geoip(true).await;
    let created = app
        .created(json!({
            "destination": "https://example.com/",
            "route": "app",
            "rules": [
                {"when": {"device": ["mobile", "Tablet"], "os": "iOS"},
                 "destination": "https://apps.example/openpxl"},
                {"when": {"country": "jp"}, "destination": "https://example.jp/"},
                {"when": {"language": "de"}, "destination": "https://example.de/"},
                {"when": {"query": {"ref": "mail"}}, "destination": "https://example.com/mail"},
            ],
        }))
        .await;
    // Stored in one form: lists, canonical case.
    assert_eq!(
        created["rules"][0]["when"]["device"],
        json!(["Mobile", "Tablet"])
    );
    assert_eq!(created["rules"][1]["when"]["country"], json!(["JP"]));
    assert_eq!(created["variants"], json!([]));

    let germany = [("x-forwarded-for", "203.0.113.4")];
    assert_eq!(
        went(&app, "/app", SAFARI_IPHONE, &germany).await,
        "https://apps.example/openpxl"
    );
    let japan = [("x-forwarded-for", "198.51.100.4")];
    assert_eq!(
        went(&app, "/app", CHROME_WINDOWS, &japan).await,
        "https://example.jp/"
    );
    let german_speaker = [
        ("x-forwarded-for", "203.0.113.4"),
        ("accept-language", "de-CH,en;q=0.5"),
    ];
    assert_eq!(
        went(
            &app,
            "/app?utm_source=news",
            CHROME_WINDOWS,
            &german_speaker
        )
        .await,
        "https://example.de/?utm_source=news"
    );
    assert_eq!(
        went(&app, "/app?ref=mail", CHROME_WINDOWS, &germany).await,
        "https://example.com/mail?ref=mail"
    );
    assert_eq!(
        went(&app, "/app", CHROME_WINDOWS, &germany).await,
        "https://example.com/"
    );

    // Every visit counts as a click of the link, whatever it picked.
    app.flush_clicks().await;
    let link = app.get_short("app").await.json::<Value>().await.unwrap();
    assert_eq!(link["data"]["clicks"], 5);

    // The dashboard's link page says the link has rules.
    let mut person = crate::dashboard_helpers::owner(&app).await;
    let number = app.link_id(DEFAULT_DOMAIN, "app").await;
    let page = person.get(&format!("/dashboard/links/{number}")).await;
    assert!(page.contains("4 rules, 0 A/B variants"), "{}", page.html);

    // `null` clears the rules.
    let cleared = app
        .update_short(Method::PATCH, "app", json!({"rules": null}))
        .await;
    assert_eq!(
        cleared.json::<Value>().await.unwrap()["data"]["rules"],
        json!([])
    );
    assert_eq!(
        went(&app, "/app", SAFARI_IPHONE, &germany).await,
        "https://example.com/"
    );
}

#[tokio::test]
async fn variants_split_visitors_and_keep_each_on_one() {
    let app = TestApp::spawn_with(|settings| settings.trust_proxy = true).await;
    app.created(json!({
        "destination": "https://example.com/",
        "route": "ab",
        "variants": [
            {"destination": "https://example.com/a", "weight": 50},
            {"destination": "https://example.com/b", "weight": 50},
        ],
    }))
    .await;
    let mut seen: HashMap<String, usize> = HashMap::new();
    for n in 0..200 {
        let address = format!("10.0.{}.{}", n / 250, n % 250 + 1);
        let from = [("x-forwarded-for", address.as_str())];
        let first = went(&app, "/ab", CHROME_WINDOWS, &from).await;
        assert_eq!(
            went(&app, "/ab", CHROME_WINDOWS, &from).await,
            first,
            "{address}"
        );
        *seen.entry(first).or_default() += 1;
    }
    let a = seen
        .get("https://example.com/a")
        .copied()
        .unwrap_or_default();
    let b = seen
        .get("https://example.com/b")
        .copied()
        .unwrap_or_default();
    assert_eq!(a + b, 200, "{seen:?}");
    assert!((70..=130).contains(&a), "{seen:?}");
}

#[tokio::test]
async fn every_bad_rule_and_variant_is_named() {
    let app = TestApp::spawn().await;
    let response = app
        .create_short(json!({
            "destination": "https://example.com/",
            "rules": [
                {"when": {"device": "Phone"}, "destination": "https://example.com/m"},
                {"when": {"until": "2020-01-01T00:00:00Z", "from": "2021-01-01T00:00:00Z"},
                 "destination": "https://example.com/t"},
            ],
            "variants": [{"destination": "https://example.com/a", "weight": 100}],
        }))
        .await;
    let message = error_message(response, 400).await;
    for expected in [
        "rules[0].when.device must be Desktop, Mobile or Tablet",
        "rules[1].when.from must be before rules[1].when.until",
        "variants has 1 variants; give 2 to 10",
    ] {
        assert!(message.contains(expected), "{expected} in:\n{message}");
    }
    // A rule may not send visitors back to this server.
    let response = app
        .create_short(json!({
            "destination": "https://example.com/",
            "rules": [{"when": {"os": "iOS"}, "destination": format!("http://{DEFAULT_DOMAIN}/x")}],
        }))
        .await;
    assert!(
        error_message(response, 400)
            .await
            .starts_with("rules points at")
    );
}

#[tokio::test]
async fn the_dashboard_builds_rules_and_variants_without_json() {
    let app = TestApp::spawn_with(|settings| settings.trust_proxy = true).await;
    let mut person = crate::dashboard_helpers::owner(&app).await;
    let form = person.get("/dashboard/links/new").await;
    assert!(form.contains("name=\"rule0_destination\""), "{}", form.html);
    assert!(form.contains("name=\"variant1_weight\""), "{}", form.html);

    // A bad value is said next to the builder, naming the rule and field.
    let refused = person
        .post(
            "/dashboard/links",
            &[
                ("destination", "https://example.com/"),
                ("route", "built"),
                ("domain", DEFAULT_DOMAIN),
                ("rule0_country", "Germany"),
                ("rule0_destination", "https://example.de/"),
            ],
        )
        .await;
    assert!(refused.contains("id=\"rules-error\""), "{}", refused.html);
    assert!(
        refused.contains("rules[0].when.country"),
        "{}",
        refused.html
    );

    person.get("/dashboard/links/new").await;
    let created = person
        .post(
            "/dashboard/links",
            &[
                ("destination", "https://example.com/"),
                ("route", "built"),
                ("domain", DEFAULT_DOMAIN),
                ("rule0_device", "Mobile"),
                ("rule0_device", "Tablet"),
                ("rule0_os", "iOS, iPadOS"),
                ("rule0_destination", "https://apps.example/"),
                ("variant0_destination", "https://example.com/a"),
                ("variant0_weight", "50"),
                ("variant1_destination", "https://example.com/b"),
                ("variant1_weight", "50"),
            ],
        )
        .await;
    assert_eq!(
        created.status,
        reqwest::StatusCode::SEE_OTHER,
        "{}",
        created.html
    );
    let api = app.get_short("built").await.json::<Value>().await.unwrap();
    assert_eq!(
        api["data"]["rules"][0]["when"]["os"],
        json!(["iOS", "iPadOS"])
    );
    assert_eq!(
        api["data"]["rules"][0]["when"]["device"],
        json!(["Mobile", "Tablet"])
    );
    assert_eq!(api["data"]["variants"].as_array().unwrap().len(), 2);
    let from = [("x-forwarded-for", "203.0.113.8")];
    assert_eq!(
        went(&app, "/built", SAFARI_IPHONE, &from).await,
        "https://apps.example/"
    );

    // The edit form shows the rule, and one empty row to add another.
    let number = app.link_id(DEFAULT_DOMAIN, "built").await;
    let edit = person.get(&format!("/dashboard/links/{number}/edit")).await;
    assert!(edit.contains("value=\"iOS, iPadOS\""), "{}", edit.html);
    assert!(edit.contains("name=\"rule1_destination\""), "{}", edit.html);
    // Saving without the rows removes them.
    let saved = person
        .post(
            &format!("/dashboard/links/{number}"),
            &[("destination", "https://example.com/"), ("route", "built")],
        )
        .await;
    assert_eq!(
        saved.status,
        reqwest::StatusCode::SEE_OTHER,
        "{}",
        saved.html
    );
    let api = app.get_short("built").await.json::<Value>().await.unwrap();
    assert_eq!(api["data"]["rules"], json!([]));
}
