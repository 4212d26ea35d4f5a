//! What answered each click, in the insight (an openpxl extension): an A/B test's results
//! per variant with unique visitors, rules, and the visits a link turned away (expired,
//! password form) as clicks of their own outcome that the link's `clicks` leaves out; the
//! `outcome` filter, its 400, and the dashboard's breakdown.

use std::collections::HashMap;

use serde_json::{Value, json};

use crate::{
    helpers::{CHROME_WINDOWS, DEFAULT_DOMAIN, TestApp, error_message},
    insight::insight,
};

/// `{value: (total, unique)}` of the insight's outcome breakdown.
fn outcomes(insight: &Value) -> HashMap<String, (i64, i64)> {
    insight["properties"]["outcome"]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| {
            let value = row["value"].as_str().unwrap().to_owned();
            let counts = (
                row["total"].as_i64().unwrap(),
                row["unique"].as_i64().unwrap(),
            );
            (value, counts)
        })
        .collect()
}

async fn went(app: &TestApp, path: &str, from: &str) -> String {
    crate::targeting::went(app, path, CHROME_WINDOWS, &[("x-forwarded-for", from)]).await
}

#[tokio::test]
async fn an_ab_test_reads_per_variant_with_unique_visitors() {
    let app = TestApp::spawn_with(|settings| settings.trust_proxy = true).await;
    app.created(json!({
        "destination": "https://example.com/",
        "route": "launch",
        "rules": [{"when": {"query": {"ref": "mail"}}, "destination": "https://example.com/mail"}],
        "variants": [
            {"destination": "https://example.com/a", "weight": 70},
            {"destination": "https://example.com/b", "weight": 30},
        ],
    }))
    .await;
    // 120 people, each visiting twice (the same variant both times), and one who comes
    // from the newsletter three times.
    let mut people_per_variant: HashMap<String, i64> = HashMap::new();
    for n in 0..120 {
        let from = format!("10.1.{}.{}", n / 200, n % 200 + 1);
        let first = went(&app, "/launch", &from).await;
        assert_eq!(went(&app, "/launch", &from).await, first);
        let variant = match first.as_str() {
            "https://example.com/a" => "variant:0",
            "https://example.com/b" => "variant:1",
            other => panic!("went to {other}"),
        };
        *people_per_variant.entry(variant.to_owned()).or_default() += 1;
    }
    for _ in 0..3 {
        assert_eq!(
            went(&app, "/launch?ref=mail", "10.2.0.1").await,
            "https://example.com/mail?ref=mail"
        );
    }
    app.flush_clicks().await;

    let link = format!("?link={DEFAULT_DOMAIN}%2Flaunch");
    let answer = insight(&app, &link).await;
    let mut expected: HashMap<String, (i64, i64)> = people_per_variant
        .iter()
        .map(|(variant, people)| (variant.clone(), (2 * people, *people)))
        .collect();
    expected.insert("rule:0".into(), (3, 1));
    assert_eq!(outcomes(&answer), expected, "{answer}");
    assert_eq!(answer["total"], 243);

    // The filter narrows everything to one variant, with its unique visitors.
    let a = people_per_variant["variant:0"];
    let only_a = insight(&app, &format!("{link}&outcome=variant:0")).await;
    assert_eq!(
        (only_a["total"].as_i64(), only_a["unique"].as_i64()),
        (Some(2 * a), Some(a))
    );
    assert_eq!(
        outcomes(&only_a),
        HashMap::from([("variant:0".into(), (2 * a, a))])
    );
    let organization = insight(&app, "?outcome=variant:0").await;
    assert_eq!(organization["total"], 2 * a);

    // Every one of these visits went through: all are clicks of the link.
    let short = app.get_short("launch").await.json::<Value>().await.unwrap();
    assert_eq!(short["data"]["clicks"], 243);

    // The dashboard shows the breakdown, and its rows filter the page.
    let mut person = crate::dashboard_helpers::owner(&app).await;
    let number = app.link_id(DEFAULT_DOMAIN, "launch").await;
    let page = person.get(&format!("/dashboard/links/{number}")).await;
    assert!(page.contains("Outcomes"), "{}", page.html);
    assert!(page.contains("outcome=variant%3A0"), "{}", page.html);
    let filtered = person.get("/dashboard/analytics?outcome=variant:0").await;
    assert!(filtered.contains("outcome: variant:0"), "{}", filtered.html);
}

#[tokio::test]
async fn visits_a_link_turns_away_are_clicks_of_their_outcome_not_of_the_link() {
    let app = TestApp::spawn_with(|settings| settings.trust_proxy = true).await;
    for link in [
        json!({"route": "plans", "password": "open sesame"}),
        json!({"route": "once", "maxClicks": 1, "expiredDestination": "https://example.com/gone"}),
        json!({"route": "old", "expiresAt": "2020-01-01T00:00:00Z"}),
        json!({"route": "off", "disabled": true}),
    ] {
        let mut link = link;
        link["destination"] = json!(format!(
            "https://example.com/{}",
            link["route"].as_str().unwrap()
        ));
        app.created(link).await;
    }

    // The password form, a wrong password (not a visit of its own), then the right one.
    let form = app
        .visit_with(
            DEFAULT_DOMAIN,
            "/plans",
            CHROME_WINDOWS,
            &[("x-forwarded-for", "10.3.0.1")],
        )
        .await;
    assert_eq!(form.status(), 200);
    for (password, status) in [("open sesam", 401), ("open sesame", 303)] {
        let answer = app
            .client
            .post(app.url("/plans"))
            .header("host", DEFAULT_DOMAIN)
            .header("user-agent", CHROME_WINDOWS)
            .header("x-forwarded-for", "10.3.0.1")
            .form(&[("password", password)])
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), status);
    }
    // A limit of one: the first person through, the next two to the expired destination.
    assert_eq!(
        went(&app, "/once", "10.3.0.2").await,
        "https://example.com/once"
    );
    assert_eq!(
        went(&app, "/once", "10.3.0.3").await,
        "https://example.com/gone"
    );
    assert_eq!(
        went(&app, "/once", "10.3.0.4").await,
        "https://example.com/gone"
    );
    // Expired without an expired destination: 410. Switched off: 404, no click at all.
    let gone = app.visit(DEFAULT_DOMAIN, "/old", CHROME_WINDOWS).await;
    assert_eq!(gone.status(), 410);
    let off = app.visit(DEFAULT_DOMAIN, "/off", CHROME_WINDOWS).await;
    assert_eq!(off.status(), 404);
    // A link checker's look at the form is a bot visit: never counted.
    let head = app
        .client
        .head(app.url("/plans"))
        .header("host", DEFAULT_DOMAIN)
        .send()
        .await
        .unwrap();
    assert_eq!(head.status(), 200);
    app.flush_clicks().await;

    let answer = insight(&app, "").await;
    assert_eq!(
        outcomes(&answer),
        HashMap::from([
            ("destination".into(), (2, 2)),
            ("password".into(), (1, 1)),
            ("expired".into(), (3, 3)),
        ]),
        "{answer}"
    );
    assert_eq!(answer["total"], 6);
    let plans = insight(&app, &format!("?link={DEFAULT_DOMAIN}%2Fplans")).await;
    assert_eq!(
        (plans["total"].as_i64(), plans["unique"].as_i64()),
        (Some(2), Some(1))
    );
    let expired = insight(&app, "?outcome=expired").await;
    assert_eq!(expired["total"], 3);

    // The links' own clicks are the visits sent where they lead.
    for (route, clicks) in [("plans", 1), ("once", 1), ("old", 0), ("off", 0)] {
        let short = app.get_short(route).await.json::<Value>().await.unwrap();
        assert_eq!(short["data"]["clicks"], clicks, "{route}: {short}");
    }
}

#[tokio::test]
async fn an_outcome_filter_that_is_not_one_is_a_400_that_says_which_are() {
    let app = TestApp::spawn().await;
    for bad in ["variant", "rule:x", "rule:01", "Expired", "variant:20"] {
        let response = app
            .request(
                reqwest::Method::GET,
                &format!("/api/v1/insight?outcome={bad}"),
            )
            .send()
            .await
            .unwrap();
        let message = error_message(response, 400).await;
        assert!(
            message.contains("outcome must be destination, expired, password, rule:N or variant:N"),
            "{bad}: {message}"
        );
    }
}
