//! `GET /api/v1/insight` (docs/API.md §6): every number of the insight object, computed by hand
//! for visits driven through the redirect, for each filter, and for zones with half-hour
//! offsets and DST changes.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{CHROME_WINDOWS, DEFAULT_DOMAIN, SAFARI_IPHONE, TestApp, error_message};
use openpxl::store::ClickRow;

pub async fn insight(app: &TestApp, query: &str) -> Value {
    let response = app
        .request(Method::GET, &format!("/api/v1/insight{query}"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200, "{query}");
    response.json::<Value>().await.unwrap()["data"].clone()
}

/// `[[value, total, unique], ...]` of one breakdown.
fn property(insight: &Value, name: &str) -> Vec<(String, i64, i64)> {
    insight["properties"][name]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["value"].as_str().unwrap().to_owned(),
                p["total"].as_i64().unwrap(),
                p["unique"].as_i64().unwrap(),
            )
        })
        .collect()
}

fn row(values: &[(&str, i64, i64)]) -> Vec<(String, i64, i64)> {
    values
        .iter()
        .map(|(v, t, u)| ((*v).to_owned(), *t, *u))
        .collect()
}

/// Two links, four human visits by two visitors, one bot visit:
/// - A (203.0.113.5, Chrome on Windows, German) visits `a` twice from Google and `b` once
///   from t.co;
/// - B (198.51.100.7, Safari on iPhone) visits `a` once from a newsletter (utm);
/// - Twitterbot fetches `b` (not counted).
async fn app_with_visits() -> TestApp {
    let app = crate::clicks::app_with_geoip(true).await;
    app.created(json!({"destination": "https://example.com/a", "route": "a"}))
        .await;
    app.created(json!({"destination": "https://example.com/b", "route": "b"}))
        .await;
    let visitor_a = [
        ("x-forwarded-for", "203.0.113.5"),
        ("accept-language", "de-DE,de;q=0.9"),
    ];
    let with = |extra: (&'static str, &'static str)| {
        let mut headers = visitor_a.to_vec();
        headers.push(extra);
        headers
    };
    app.visit_with(
        DEFAULT_DOMAIN,
        "/a",
        CHROME_WINDOWS,
        &with(("referer", "https://www.google.com/")),
    )
    .await;
    app.visit_with(
        DEFAULT_DOMAIN,
        "/a",
        CHROME_WINDOWS,
        &with(("referer", "https://www.google.de/search")),
    )
    .await;
    app.visit_with(
        DEFAULT_DOMAIN,
        "/b",
        CHROME_WINDOWS,
        &with(("referer", "https://t.co/xyz")),
    )
    .await;
    app.visit_with(
        DEFAULT_DOMAIN,
        "/a?utm_source=newsletter&utm_medium=email",
        SAFARI_IPHONE,
        &[("x-forwarded-for", "198.51.100.7")],
    )
    .await;
    app.visit(DEFAULT_DOMAIN, "/b", "Twitterbot/1.0").await;
    app.flush_clicks().await;
    app
}

#[tokio::test]
async fn the_insight_counts_visits_as_computed_by_hand() {
    let app = app_with_visits().await;
    let data = insight(&app, "").await;
    assert_eq!(
        (
            data["recent"].as_i64(),
            data["total"].as_i64(),
            data["unique"].as_i64()
        ),
        (Some(4), Some(4), Some(2))
    );
    let grouped = data["grouped"].as_array().unwrap();
    assert_eq!(grouped.len(), 8, "the 7 days before today, and today");
    let sum: i64 = grouped.iter().map(|g| g["total"].as_i64().unwrap()).sum();
    assert_eq!(sum, 4);
    assert!(
        grouped
            .iter()
            .all(|g| g["date"].as_str().unwrap().len() == 10)
    );
    assert_eq!(
        property(&data, "country"),
        row(&[("DE", 3, 1), ("JP", 1, 1)])
    );
    assert_eq!(
        property(&data, "city"),
        row(&[("Berlin", 3, 1), ("Tokyo", 1, 1)])
    );
    assert_eq!(
        property(&data, "device"),
        row(&[("Desktop", 3, 1), ("Mobile", 1, 1)])
    );
    assert_eq!(
        property(&data, "browser"),
        row(&[("Chrome", 3, 1), ("Safari", 1, 1)])
    );
    assert_eq!(
        property(&data, "os"),
        row(&[("Windows", 3, 1), ("iOS", 1, 1)])
    );
    assert_eq!(
        property(&data, "source"),
        row(&[("google", 2, 1), ("newsletter", 1, 1), ("twitter", 1, 1)])
    );
    assert_eq!(
        property(&data, "medium"),
        row(&[("organic", 2, 1), ("email", 1, 1), ("social", 1, 1)])
    );
    assert_eq!(
        property(&data, "referrer"),
        row(&[
            ("direct", 1, 1),
            ("google.com", 1, 1),
            ("google.de", 1, 1),
            ("t.co", 1, 1)
        ])
    );
    assert_eq!(
        property(&data, "language"),
        row(&[("de-DE", 3, 1), ("Unknown", 1, 1)])
    );
}

#[tokio::test]
async fn filters_combine_with_and() {
    let app = app_with_visits().await;
    let a = app.get_short("a").await.json::<Value>().await.unwrap()["data"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let cases: Vec<(String, i64, i64)> = vec![
        ("?device=Mobile".into(), 1, 1),
        ("?country=de&device=Desktop".into(), 3, 1),
        (format!("?link={}", a.replace('/', "%2F")), 3, 2),
        ("?link=b".into(), 1, 1),
        ("?link=b&source=google".into(), 0, 0),
        ("?source=google".into(), 2, 1),
        ("?OS=iOS".into(), 1, 1),
        ("?os=Windows".into(), 3, 1),
        (format!("?domain={DEFAULT_DOMAIN}"), 4, 2),
        ("?domain=elsewhere.test".into(), 0, 0),
        ("?medium=social".into(), 1, 1),
        ("?browser=Chrome".into(), 3, 1),
        ("?city=Tokyo".into(), 1, 1),
    ];
    for (query, total, unique) in cases {
        let data = insight(&app, &query).await;
        assert_eq!(
            (
                data["total"].as_i64().unwrap(),
                data["unique"].as_i64().unwrap()
            ),
            (total, unique),
            "{query}"
        );
        assert_eq!(
            data["recent"].as_i64().unwrap(),
            total,
            "recent follows the filters: {query}"
        );
    }
}

#[tokio::test]
async fn another_organizations_clicks_and_links_stay_apart() {
    let app = app_with_visits().await;
    let other = app.other_org_token().await;
    let response = app
        .create_short_as(
            &other,
            json!({"destination": "https://example.com", "route": "theirs"}),
        )
        .await;
    assert_eq!(response.status(), 201);
    app.visit(DEFAULT_DOMAIN, "/theirs", CHROME_WINDOWS).await;
    app.flush_clicks().await;
    assert_eq!(insight(&app, "").await["total"], 4);
    let response = app
        .request(Method::GET, "/api/v1/insight?link=theirs")
        .send()
        .await
        .unwrap();
    assert_eq!(
        error_message(response, 404).await,
        "short link theirs not found"
    );
    let theirs = app
        .request_as(&other, Method::GET, "/api/v1/insight")
        .send()
        .await
        .unwrap();
    assert_eq!(theirs.json::<Value>().await.unwrap()["data"]["total"], 1);
}

#[tokio::test]
async fn bad_parameters_are_400_saying_what_to_send() {
    let app = TestApp::spawn().await;
    for (query, expected) in [
        ("?datefrom=2024-02-30", "YYYY-MM-DD"),
        ("?dateto=12/01/2024", "YYYY-MM-DD"),
        ("?timezone=Mars/Olympus", "IANA"),
        ("?datefrom=2024-12-05&dateto=2024-12-01", "after"),
        ("?datefrom=2023-01-01&dateto=2024-12-31", "at most 366"),
        ("?source=%00", "control characters"),
    ] {
        let response = app
            .request(Method::GET, &format!("/api/v1/insight{query}"))
            .send()
            .await
            .unwrap();
        let message = error_message(response, 400).await;
        assert!(message.contains(expected), "{query}: {message}");
    }
}

/// Stores clicks of `link` at the given instants, as the recorder would.
async fn clicks_at(app: &TestApp, route: &str, instants: &[&str]) {
    let link = app
        .store()
        .resolve_link(DEFAULT_DOMAIN, route)
        .await
        .unwrap()
        .unwrap();
    let rows: Vec<ClickRow> = instants
        .iter()
        .enumerate()
        .map(|(i, at)| ClickRow {
            org_id: link.org_id,
            link_id: link.id,
            at: jiff::Timestamp::strptime("%Y-%m-%dT%H:%M:%S%.fZ", at)
                .or_else(|_| at.parse::<jiff::Timestamp>())
                .unwrap()
                .as_millisecond(),
            bot: false,
            outcome: openpxl::clicks::Outcome::Destination,
            visitor: vec![u8::try_from(i).unwrap(); 8],
            country: "Unknown".into(),
            city: "Unknown".into(),
            device: "Desktop".into(),
            browser: "Chrome".into(),
            os: "Windows".into(),
            referrer: String::new(),
            source: "direct".into(),
            medium: "none".into(),
            campaign: None,
            language: "Unknown".into(),
        })
        .collect();
    app.store().record_clicks(&rows).await.unwrap();
}

fn series(data: &Value) -> Vec<(String, i64)> {
    data["grouped"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|g| g["total"].as_i64().unwrap() > 0)
        .map(|g| {
            (
                g["date"].as_str().unwrap().to_owned(),
                g["total"].as_i64().unwrap(),
            )
        })
        .collect()
}

#[tokio::test]
async fn days_follow_the_requested_zone_including_half_hour_offsets() {
    let app = TestApp::spawn().await;
    app.created(json!({"destination": "https://example.com", "route": "z"}))
        .await;
    clicks_at(
        &app,
        "z",
        &[
            "2024-11-30T18:29:59.999Z",
            "2024-11-30T18:30:00Z",
            "2024-12-01T20:00:00Z",
        ],
    )
    .await;
    let utc = insight(&app, "?datefrom=2024-11-30&dateto=2024-12-01").await;
    assert_eq!(
        series(&utc),
        [("2024-11-30".to_owned(), 2), ("2024-12-01".to_owned(), 1)]
    );
    assert_eq!(utc["recent"], 0, "old clicks are not recent");
    let kolkata = insight(
        &app,
        "?datefrom=2024-11-30&dateto=2024-12-01&timezone=Asia/Kolkata",
    )
    .await;
    assert_eq!(
        series(&kolkata),
        [("2024-11-30".to_owned(), 1), ("2024-12-01".to_owned(), 1)]
    );
    assert_eq!(
        kolkata["total"], 2,
        "the third click is on 2024-12-02 in Kolkata"
    );
    let hourly = insight(
        &app,
        "?datefrom=2024-12-01&dateto=2024-12-01&timezone=Asia/Kolkata",
    )
    .await;
    assert_eq!(hourly["grouped"].as_array().unwrap().len(), 24);
    assert_eq!(
        series(&hourly),
        [("2024-12-01T00:00:00+05:30".to_owned(), 1)]
    );
}

#[tokio::test]
async fn hours_follow_dst_changes() {
    let app = TestApp::spawn().await;
    app.created(json!({"destination": "https://example.com", "route": "dst"}))
        .await;
    // 02:30 local happens twice in Berlin on 2024-10-27: at 00:30Z (CEST) and 01:30Z (CET).
    clicks_at(
        &app,
        "dst",
        &[
            "2024-10-27T00:30:00Z",
            "2024-10-27T01:30:00Z",
            "2024-10-27T01:45:00Z",
        ],
    )
    .await;
    let data = insight(
        &app,
        "?datefrom=2024-10-27&dateto=2024-10-27&timezone=Europe/Berlin",
    )
    .await;
    assert_eq!(data["grouped"].as_array().unwrap().len(), 25);
    assert_eq!(
        series(&data),
        [
            ("2024-10-27T02:00:00+02:00".to_owned(), 1),
            ("2024-10-27T02:00:00+01:00".to_owned(), 2)
        ]
    );
    assert_eq!(data["unique"], 3);
}
