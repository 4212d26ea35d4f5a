//! The daily roll-ups: an insight reads closed UTC days from `daily_clicks` and gives exactly
//! the numbers the raw clicks give — for every filter, zone and range — and a day that gets
//! clicks after its roll-up is read raw until it is rolled up again.

use std::collections::HashSet;

use serde_json::{Value, json};

use crate::{
    helpers::{DEFAULT_DOMAIN, ORG, TestApp},
    insight::insight,
};
use openpxl::{
    analytics::rollup::roll_up_closed_days, clicks::Outcome, store::ClickRow, timestamp,
};

const DAY_MS: i64 = 86_400_000;
const CUSTOM_DOMAIN: &str = "go.acme.test";
/// 2024-06-01T00:00:00Z, in days since the epoch.
pub const FIRST_DAY: i64 = 19_875;
pub const DAYS: i64 = 6;

/// Visitor `v` of day `day`: its key and traits (the traits follow from the key, as with
/// real visitors, whose traits come from the address and User-Agent the key hashes).
fn visitor(day: i64, v: i64) -> (Vec<u8>, [&'static str; 5]) {
    let mut key = vec![0u8; 16];
    key[..8].copy_from_slice(&day.to_be_bytes());
    key[8..].copy_from_slice(&v.to_be_bytes());
    let traits = match v % 3 {
        0 => ["DE", "Berlin", "Desktop", "Chrome", "Windows"],
        1 => ["DE", "Munich", "Mobile", "Safari", "iOS"],
        _ => ["IN", "Mumbai", "Mobile", "Chrome", "Android"],
    };
    (key, traits)
}

/// Click `i` of a day: visitor, link, time of day and the click-varying columns all cycle
/// with different periods, so every combination shows up and visitors repeat.
fn click(org_id: i64, links: [i64; 3], day: i64, i: i64) -> ClickRow {
    let v = (i * 7) % 11 + (i % 2) * 3;
    let (visitor, [country, city, device, browser, os]) = visitor(day, v);
    let (referrer, source, medium) = match i % 4 {
        0 => ("", "direct", "none"),
        1 => ("google.com", "google", "organic"),
        2 => ("t.co", "twitter", "social"),
        _ => ("", "newsletter", "email"),
    };
    ClickRow {
        org_id,
        link_id: links[usize::try_from(i % 5 % 3).unwrap()],
        at: day * DAY_MS + (i * 7_919_000 + day * 1_000_000) % DAY_MS,
        bot: i % 13 == 12,
        outcome: match i % 6 {
            0 => Outcome::Destination,
            1 => Outcome::Rule(0),
            2 => Outcome::Variant(1),
            3 => Outcome::Expired,
            4 => Outcome::Password,
            _ => Outcome::Variant(0),
        },
        visitor,
        country: country.into(),
        city: city.into(),
        device: device.into(),
        browser: browser.into(),
        os: os.into(),
        referrer: referrer.into(),
        source: source.into(),
        medium: medium.into(),
        campaign: None,
        language: if i % 5 == 0 { "fr" } else { "en" }.into(),
    }
}

/// Three links, two on the default domain and one on a custom one, with clicks on six
/// past days; returns the clicks.
pub async fn app_with_past_clicks() -> (TestApp, Vec<ClickRow>) {
    // The tests ask many questions at once: lift the per-organization limit.
    let app = TestApp::spawn_with(|s| s.insight_concurrency = 1000).await;
    app.created(json!({"destination": "https://example.com/a", "route": "a"}))
        .await;
    app.created(json!({"destination": "https://example.com/b", "route": "b"}))
        .await;
    app.add_domain(ORG, CUSTOM_DOMAIN).await;
    app.created(
        json!({"destination": "https://example.com/c", "route": "c", "domain": CUSTOM_DOMAIN}),
    )
    .await;
    let a = app
        .store()
        .resolve_link(DEFAULT_DOMAIN, "a")
        .await
        .unwrap()
        .unwrap();
    let b = app
        .store()
        .resolve_link(DEFAULT_DOMAIN, "b")
        .await
        .unwrap()
        .unwrap();
    let c = app
        .store()
        .resolve_link(CUSTOM_DOMAIN, "c")
        .await
        .unwrap()
        .unwrap();
    let rows: Vec<ClickRow> = (FIRST_DAY..FIRST_DAY + DAYS)
        .flat_map(|day| (0..40).map(move |i| (day, i)))
        .map(|(day, i)| click(a.org_id, [a.id, b.id, c.id], day, i))
        .collect();
    app.store().record_clicks(&rows).await.unwrap();
    (app, rows)
}

/// Questions covering each kind of roll-up row and each fallback: no filter, a link, a
/// domain, traits, source, medium, outcome, two click-varying filters; UTC and zones whose days cut
/// UTC days in two; several days and one day (hourly).
fn questions() -> Vec<String> {
    let filters = [
        String::new(),
        format!("&link={DEFAULT_DOMAIN}%2Fa"),
        format!("&domain={DEFAULT_DOMAIN}"),
        format!("&domain={CUSTOM_DOMAIN}"),
        format!("&domain={CUSTOM_DOMAIN}&device=Mobile"),
        "&country=DE".into(),
        "&country=DE&device=Mobile".into(),
        "&source=google".into(),
        "&medium=social&city=Mumbai".into(),
        "&source=twitter&medium=social".into(),
        format!("&link={DEFAULT_DOMAIN}%2Fb&os=iOS"),
        "&outcome=variant:1".into(),
        "&outcome=expired&country=DE".into(),
        "&outcome=rule:0&source=google".into(),
        format!("&link={DEFAULT_DOMAIN}%2Fa&outcome=variant:0"),
    ];
    let ranges = [
        "datefrom=2024-06-01&dateto=2024-06-06",
        "datefrom=2024-06-02&dateto=2024-06-04",
        "datefrom=2024-06-03&dateto=2024-06-03",
    ];
    let zones = ["", "&timezone=Asia/Kolkata", "&timezone=America/New_York"];
    let mut questions = Vec::new();
    for range in ranges {
        for zone in zones {
            for filter in &filters {
                questions.push(format!("?{range}{zone}{filter}"));
            }
        }
    }
    questions
}

#[tokio::test]
async fn rolled_up_days_give_exactly_the_numbers_of_the_raw_clicks() {
    let (app, rows) = app_with_past_clicks().await;
    let raw: Vec<Value> =
        futures_util::future::join_all(questions().iter().map(|q| insight(&app, q))).await;
    // The raw answer itself is right (checked by hand for the whole range in UTC).
    let humans: Vec<&ClickRow> = rows.iter().filter(|r| !r.bot).collect();
    let visitors: HashSet<&Vec<u8>> = humans.iter().map(|r| &r.visitor).collect();
    assert_eq!(raw[0]["total"], humans.len());
    assert_eq!(raw[0]["unique"], visitors.len());

    let rolled_up = roll_up_closed_days(app.store(), timestamp::now())
        .await
        .unwrap();
    assert!(
        rolled_up >= usize::try_from(DAYS).unwrap(),
        "{rolled_up} days"
    );
    let readable = app
        .store()
        .readable_rolled_up_days(1, FIRST_DAY, FIRST_DAY + DAYS - 1)
        .await
        .unwrap();
    assert_eq!(readable.len(), usize::try_from(DAYS).unwrap());
    for (question, raw) in questions().iter().zip(&raw) {
        assert_eq!(&insight(&app, question).await, raw, "{question}");
    }
    assert_eq!(
        roll_up_closed_days(app.store(), timestamp::now())
            .await
            .unwrap(),
        0,
        "nothing is left to roll up"
    );
}

#[tokio::test]
async fn the_insight_reads_rolled_up_days_from_the_roll_ups() {
    let (app, _) = app_with_past_clicks().await;
    let question = "?datefrom=2024-06-01&dateto=2024-06-06";
    let before = insight(&app, question).await;
    roll_up_closed_days(app.store(), timestamp::now())
        .await
        .unwrap();
    // Take the raw clicks away (only a test does this): the answer must not change.
    {
        use sqlx::Connection;
        let mut connection = sqlx::AnyConnection::connect(&app.db.url).await.unwrap();
        sqlx::query("DELETE FROM clicks")
            .execute(&mut connection)
            .await
            .unwrap();
        connection.close().await.unwrap();
    }
    assert_eq!(insight(&app, question).await, before);
    for scope in [
        format!("&domain={DEFAULT_DOMAIN}"),
        format!("&link={DEFAULT_DOMAIN}%2Fa"),
        "&timezone=Asia/Kolkata".to_owned(),
    ] {
        let question = format!("{question}{scope}");
        let answer = insight(&app, &question).await;
        assert!(answer["total"].as_i64().unwrap() > 0, "{question}");
    }
    // A filter no roll-up answers reads the (now empty) raw clicks.
    let both = insight(&app, &format!("{question}&source=twitter&medium=social")).await;
    assert_eq!(both["total"], 0);
}

#[tokio::test]
async fn a_click_written_after_its_day_was_rolled_up_counts_at_once_and_after_the_next_roll_up() {
    let (app, rows) = app_with_past_clicks().await;
    roll_up_closed_days(app.store(), timestamp::now())
        .await
        .unwrap();
    let question = "?datefrom=2024-06-02&dateto=2024-06-02";
    let before = insight(&app, question).await;
    // Clicks of 2024-06-02 arrive late (after a database outage, say), by a new visitor,
    // in two batches (the second finds the day already marked dirty).
    let mut late = click(rows[0].org_id, [rows[0].link_id; 3], FIRST_DAY + 1, 1);
    late.visitor = visitor(FIRST_DAY + 1, 1_000).0;
    app.store().record_clicks(&[late.clone()]).await.unwrap();
    app.store().record_clicks(&[late]).await.unwrap();
    let after = insight(&app, question).await;
    assert_eq!(after["total"], before["total"].as_i64().unwrap() + 2);
    assert_eq!(after["unique"], before["unique"].as_i64().unwrap() + 1);
    assert_eq!(
        roll_up_closed_days(app.store(), timestamp::now())
            .await
            .unwrap(),
        1,
        "the dirty day is rolled up again"
    );
    assert_eq!(insight(&app, question).await, after);
}

#[tokio::test]
async fn days_rolled_up_before_outcomes_were_recorded_get_their_outcome_rows_from_the_migration() {
    let (app, _) = app_with_past_clicks().await;
    let execute = async |sql: &str| {
        use sqlx::Connection;
        let mut connection = sqlx::AnyConnection::connect(&app.db.url).await.unwrap();
        sqlx::query(sql).execute(&mut connection).await.unwrap();
        connection.close().await.unwrap();
    };
    // Clicks from before migration 0012: all of them 'destination'.
    execute("UPDATE clicks SET outcome = ''").await;
    roll_up_closed_days(app.store(), timestamp::now())
        .await
        .unwrap();
    let answers =
        futures_util::future::join_all(questions().iter().map(|q| insight(&app, q))).await;
    // Days rolled up before the migration had no 'outcome' rows; it adds them.
    execute("DELETE FROM daily_clicks WHERE dimension = 'outcome'").await;
    let backend = if app.db.url.starts_with("postgres") {
        "postgres"
    } else {
        "sqlite"
    };
    let migration = std::fs::read_to_string(format!(
        "{}/migrations/{backend}/0012_click_outcomes.sql",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    let backfill = migration
        .split(';')
        .find(|statement| statement.contains("INSERT INTO daily_clicks"))
        .unwrap();
    execute(backfill).await;
    for (question, before) in questions().iter().zip(&answers) {
        assert_eq!(&insight(&app, question).await, before, "{question}");
    }
}
