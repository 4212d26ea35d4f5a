//! Click capture (docs/API.md §5–6): one click per human visit, bots recorded apart, enrichment,
//! privacy of the visitor key, and nothing lost on shutdown, back-pressure or outages.

use std::{net::IpAddr, path::PathBuf, time::Duration};

use futures_util::future::join_all;
use maxminddb_writer::{Database, metadata::IpVersion, paths::IpAddrWithMask};
use openpxl::store::ClickRow;
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{CHROME_WINDOWS, DEFAULT_DOMAIN, SAFARI_IPHONE, TestApp};

/// A two-network GeoIP database written by the test: 203.0.113.0/24 is Berlin, DE, and
/// 198.51.100.0/24 is Tokyo, JP.
pub fn tiny_geoip(dir: &std::path::Path) -> PathBuf {
    let mut db = Database::default();
    db.metadata.ip_version = IpVersion::V4;
    db.metadata.binary_format_major_version = 2;
    db.metadata.database_type = "GeoLite2-City".into();
    db.metadata.languages = vec!["en".into()];
    for (network, country, city) in [
        ("203.0.113.0/24", "DE", "Berlin"),
        ("198.51.100.0/24", "JP", "Tokyo"),
    ] {
        let record =
            json!({"country": {"iso_code": country}, "city": {"names": {"en": city, "de": "x"}}});
        let data = db.insert_value(record).unwrap();
        db.insert_node(network.parse::<IpAddrWithMask>().unwrap(), data);
    }
    let path = dir.join("tiny-city.mmdb");
    db.write_to(std::fs::File::create(&path).unwrap()).unwrap();
    path
}

/// An app reading the tiny GeoIP database (loaded into memory at start, so the file may go).
pub async fn app_with_geoip(trust_proxy: bool) -> TestApp {
    let dir = tempfile::tempdir().unwrap();
    let geoip = tiny_geoip(dir.path());
    TestApp::spawn_with(|s| {
        s.geoip_db = Some(geoip);
        s.trust_proxy = trust_proxy;
    })
    .await
}

async fn clicks_of(app: &TestApp, route: &str) -> Vec<ClickRow> {
    app.flush_clicks().await;
    let id = app.link_id(DEFAULT_DOMAIN, route).await;
    app.store().link_clicks(id).await.unwrap()
}

async fn short(app: &TestApp, route: &str) -> Value {
    app.get_short(route).await.json::<Value>().await.unwrap()["data"].clone()
}

#[tokio::test]
async fn each_human_visit_counts_one_click_and_moves_updated_at() {
    let app = TestApp::spawn().await;
    let created = app
        .created(json!({"destination": "https://example.com", "route": "count"}))
        .await;
    for _ in 0..5 {
        assert_eq!(
            app.visit(DEFAULT_DOMAIN, "/count", CHROME_WINDOWS)
                .await
                .status(),
            302
        );
    }
    app.flush_clicks().await;
    let after = short(&app, "count").await;
    assert_eq!(after["clicks"], 5);
    assert!(
        after["updatedAt"].as_str() > created["updatedAt"].as_str(),
        "{after}"
    );
    assert_eq!(clicks_of(&app, "count").await.len(), 5);
}

#[tokio::test]
async fn bot_visits_are_recorded_apart_and_never_counted() {
    let app = TestApp::spawn().await;
    app.created(json!({"destination": "https://example.com", "route": "bots"}))
        .await;
    app.visit(DEFAULT_DOMAIN, "/bots", "Twitterbot/1.0").await;
    app.visit(DEFAULT_DOMAIN, "/bots", "curl/8.5.0").await;
    app.visit(DEFAULT_DOMAIN, "/bots", "").await;
    app.client
        .head(app.url("/bots"))
        .header("host", DEFAULT_DOMAIN)
        .header("user-agent", CHROME_WINDOWS)
        .send()
        .await
        .unwrap();
    app.visit(DEFAULT_DOMAIN, "/bots", CHROME_WINDOWS).await;
    let rows = clicks_of(&app, "bots").await;
    assert_eq!(rows.iter().filter(|r| r.bot).count(), 4);
    assert_eq!(rows.iter().filter(|r| !r.bot).count(), 1);
    assert_eq!(short(&app, "bots").await["clicks"], 1);
}

#[tokio::test]
async fn clicks_are_enriched_from_the_visit() {
    let app = app_with_geoip(true).await;
    app.created(json!({"destination": "https://example.com", "route": "rich"}))
        .await;
    app.visit_with(
        DEFAULT_DOMAIN,
        "/rich",
        CHROME_WINDOWS,
        &[
            ("x-forwarded-for", "198.51.100.99, 203.0.113.5"),
            ("referer", "https://www.google.com/search?q=x"),
            ("accept-language", "de-DE,de;q=0.9,en;q=0.8"),
        ],
    )
    .await;
    app.visit_with(
        DEFAULT_DOMAIN,
        "/rich?utm_source=newsletter&utm_medium=email&utm_campaign=launch",
        SAFARI_IPHONE,
        &[
            ("x-forwarded-for", "198.51.100.7"),
            ("referer", "https://t.co/abc"),
        ],
    )
    .await;
    let rows = clicks_of(&app, "rich").await;
    let summary: Vec<_> = rows
        .iter()
        .map(|r| {
            (
                r.country.as_str(),
                r.city.as_str(),
                r.device.as_str(),
                r.browser.as_str(),
                r.os.as_str(),
                r.source.as_str(),
                r.medium.as_str(),
                r.referrer.as_str(),
                r.campaign.as_deref(),
                r.language.as_str(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            (
                "DE",
                "Berlin",
                "Desktop",
                "Chrome",
                "Windows",
                "google",
                "organic",
                "google.com",
                None,
                "de-DE"
            ),
            (
                "JP",
                "Tokyo",
                "Mobile",
                "Safari",
                "iOS",
                "newsletter",
                "email",
                "t.co",
                Some("launch"),
                "Unknown"
            ),
        ]
    );
}

#[tokio::test]
async fn behind_a_trusted_proxy_only_the_address_it_added_counts() {
    let app = app_with_geoip(true).await;
    app.created(json!({"destination": "https://example.com", "route": "hop"}))
        .await;
    // The visitor wrote a Tokyo address; the proxy appended the real (Berlin) one.
    app.visit_with(
        DEFAULT_DOMAIN,
        "/hop",
        CHROME_WINDOWS,
        &[("x-forwarded-for", "198.51.100.7, 203.0.113.5")],
    )
    .await;
    let rows = clicks_of(&app, "hop").await;
    assert_eq!(rows[0].country, "DE");
}

#[tokio::test]
async fn control_characters_from_visitors_never_block_the_recorder() {
    let app = TestApp::spawn().await;
    app.created(json!({"destination": "https://example.com", "route": "nul"}))
        .await;
    let response = app
        .visit(
            DEFAULT_DOMAIN,
            "/nul?utm_source=%00&utm_medium=x%00y&utm_campaign=a%00b",
            CHROME_WINDOWS,
        )
        .await;
    assert_eq!(response.status(), 302);
    app.visit(DEFAULT_DOMAIN, "/nul", CHROME_WINDOWS).await;
    let rows = clicks_of(&app, "nul").await;
    assert_eq!(rows.len(), 2, "both clicks are stored");
    assert_eq!(
        (rows[0].source.as_str(), rows[0].medium.as_str()),
        ("direct", "none")
    );
    assert_eq!(rows[0].campaign.as_deref(), Some("ab"));
}

#[tokio::test]
async fn without_a_trusted_proxy_forwarded_addresses_are_ignored() {
    let app = app_with_geoip(false).await;
    app.created(json!({"destination": "https://example.com", "route": "spoof"}))
        .await;
    app.visit_with(
        DEFAULT_DOMAIN,
        "/spoof",
        CHROME_WINDOWS,
        &[("x-forwarded-for", "203.0.113.5")],
    )
    .await;
    app.visit(DEFAULT_DOMAIN, "/spoof", CHROME_WINDOWS).await;
    let rows = clicks_of(&app, "spoof").await;
    assert_eq!(
        rows[0].country, "Unknown",
        "127.0.0.1 is not in the database"
    );
    assert_eq!(
        rows[0].visitor, rows[1].visitor,
        "the header did not change who the visitor is"
    );
}

#[tokio::test]
async fn the_visitor_key_tells_visitors_apart_and_holds_no_address() {
    let app = TestApp::spawn_with(|s| s.trust_proxy = true).await;
    app.created(json!({"destination": "https://example.com", "route": "who"}))
        .await;
    let visits = [
        ("203.0.113.5", CHROME_WINDOWS),
        ("203.0.113.5", CHROME_WINDOWS),
        ("203.0.113.5", SAFARI_IPHONE),
        ("203.0.113.6", CHROME_WINDOWS),
    ];
    for (ip, ua) in visits {
        app.visit_with(DEFAULT_DOMAIN, "/who", ua, &[("x-forwarded-for", ip)])
            .await;
    }
    let rows = clicks_of(&app, "who").await;
    let keys: Vec<&Vec<u8>> = rows.iter().map(|r| &r.visitor).collect();
    assert_eq!(keys[0], keys[1], "same address and browser: same visitor");
    assert_ne!(keys[0], keys[2], "another browser: another visitor");
    assert_ne!(keys[0], keys[3], "another address: another visitor");
    let address: IpAddr = "203.0.113.5".parse().unwrap();
    let IpAddr::V4(v4) = address else {
        unreachable!()
    };
    for row in &rows {
        assert_eq!(row.visitor.len(), 8);
        assert!(
            !row.visitor.windows(4).any(|w| w == v4.octets()),
            "the key must not contain the address"
        );
        let text = format!("{row:?}");
        assert!(
            !text.contains("203.0.113"),
            "no column holds the address: {text}"
        );
    }
}

#[tokio::test]
async fn without_a_geoip_database_places_are_unknown() {
    let app = TestApp::spawn().await;
    app.created(json!({"destination": "https://example.com", "route": "nowhere"}))
        .await;
    app.visit(DEFAULT_DOMAIN, "/nowhere", CHROME_WINDOWS).await;
    let rows = clicks_of(&app, "nowhere").await;
    assert_eq!(
        (rows[0].country.as_str(), rows[0].city.as_str()),
        ("Unknown", "Unknown")
    );
}

#[tokio::test]
async fn a_full_buffer_makes_visits_wait_instead_of_dropping_clicks() {
    let app = TestApp::spawn_with(|s| {
        s.recorder.min_backlog = 1;
        s.recorder.max_pending = 2;
        s.recorder.batch_size = 1;
    })
    .await;
    app.created(json!({"destination": "https://example.com", "route": "tight"}))
        .await;
    let visits = (0..60).map(|_| app.visit(DEFAULT_DOMAIN, "/tight", CHROME_WINDOWS));
    let statuses: Vec<u16> = join_all(visits)
        .await
        .iter()
        .map(|r| r.status().as_u16())
        .collect();
    assert!(statuses.iter().all(|s| *s == 302));
    app.flush_clicks().await;
    assert_eq!(short(&app, "tight").await["clicks"], 60);
}

#[tokio::test]
async fn a_graceful_shutdown_writes_every_click() {
    let mut app =
        TestApp::spawn_with(|s| s.recorder.flush_interval = Duration::from_secs(60)).await;
    app.created(json!({"destination": "https://example.com", "route": "last"}))
        .await;
    let visits = (0..150).map(|_| app.visit(DEFAULT_DOMAIN, "/last", CHROME_WINDOWS));
    join_all(visits).await;
    let id = app.link_id(DEFAULT_DOMAIN, "last").await;
    let store = openpxl::store::Store::open(&app.db.url, openpxl::store::Pools::for_command())
        .await
        .unwrap();
    app.server.stop().await; // no flush from the test: shutdown itself must write them
    assert_eq!(store.count_link_clicks(id).await.unwrap(), (150, 0));
    store.close().await;
}

#[tokio::test]
async fn during_a_database_outage_redirects_go_on_and_clicks_are_kept_until_it_returns() {
    let app = TestApp::spawn().await;
    if !app.db.postgres_only(
        "during_a_database_outage_redirects_go_on_and_clicks_are_kept_until_it_returns",
        "the outage is made by refusing connections to the Postgres database",
    ) {
        return;
    }
    app.created(json!({"destination": "https://example.com/up", "route": "outage"}))
        .await;
    assert_eq!(
        app.visit(DEFAULT_DOMAIN, "/outage", CHROME_WINDOWS)
            .await
            .status(),
        302
    );
    app.flush_clicks().await;
    let id = app.link_id(DEFAULT_DOMAIN, "outage").await;

    app.db.set_reachable(false).await;
    for _ in 0..10 {
        let response = app.visit(DEFAULT_DOMAIN, "/outage", CHROME_WINDOWS).await;
        assert_eq!(
            response.status(),
            302,
            "redirects are served from the cache"
        );
    }
    let ready = app.client.get(app.url("/readyz")).send().await.unwrap();
    assert_eq!(ready.status(), 503);

    app.db.set_reachable(true).await;
    app.flush_clicks().await;
    assert_eq!(app.store().count_link_clicks(id).await.unwrap(), (11, 0));
    let response = app
        .request(Method::GET, "/api/v1/short/outage")
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.json::<Value>().await.unwrap()["data"]["clicks"],
        11
    );
}

#[tokio::test]
async fn clicks_postgres_cannot_read_in_binary_form_are_kept_not_dropped() {
    let app = TestApp::spawn().await;
    if !app.db.postgres_only(
        "clicks_postgres_cannot_read_in_binary_form_are_kept_not_dropped",
        "clicks are written with Postgres's binary COPY",
    ) {
        return;
    }
    app.created(json!({"destination": "https://example.com/typed", "route": "typed"}))
        .await;
    let id = app.link_id(DEFAULT_DOMAIN, "typed").await;
    // The table and the recorder now disagree on a column's type, as after a bad release:
    // Postgres refuses the batch as an invalid binary representation (22P03). (The view
    // `clicks` keeps reading the real table, set aside meanwhile.)
    app.db
        .execute_on_postgres(&[
            "ALTER TABLE click_rows RENAME TO click_rows_set_aside",
            "CREATE TABLE click_rows (id BIGINT, org_id BIGINT, link_id INTEGER, at BIGINT, \
             visitor BIGINT, traits INTEGER, origin INTEGER, bot BOOLEAN)",
        ])
        .await;
    for _ in 0..3 {
        let response = app.visit(DEFAULT_DOMAIN, "/typed", CHROME_WINDOWS).await;
        assert_eq!(response.status(), 302);
    }
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        let ready = app.client.get(app.url("/readyz")).send().await.unwrap();
        if ready.status() == 503 {
            break; // the recorder has failed a write and keeps the clicks
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the recorder never reported the refused batch"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(app.store().count_link_clicks(id).await.unwrap(), (0, 0));

    app.db
        .execute_on_postgres(&[
            "DROP TABLE click_rows",
            "ALTER TABLE click_rows_set_aside RENAME TO click_rows",
        ])
        .await;
    app.flush_clicks().await;
    assert_eq!(
        app.store().count_link_clicks(id).await.unwrap(),
        (3, 0),
        "every click was kept and written once the types agreed again"
    );
}
