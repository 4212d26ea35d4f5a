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
    analytics::rollup::roll_up_closed_days, clicks::Outcome, clock::Clock, store::ClickRow,
    timestamp,
};

const DAY_MS: i64 = 86_400_000;
const CUSTOM_DOMAIN: &str = "go.acme.test";
/// 2024-06-01T00:00:00Z, in days since the epoch.
pub const FIRST_DAY: i64 = 19_875;
pub const DAYS: i64 = 6;

/// Visitor `v` of day `day`: its key and traits (the traits follow from the key, as with
/// real visitors, whose traits come from the address and User-Agent the key hashes).
fn visitor(day: i64, v: i64) -> (Vec<u8>, [&'static str; 5]) {
    // 8 bytes, as the server's keys: the day above the visitor's number.
    let key = ((day << 32) | v).to_be_bytes().to_vec();
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
    app_with_past_clicks_on(Clock::system()).await
}

/// The same, with insights asked as of `clock`'s time.
async fn app_with_past_clicks_on(clock: Clock) -> (TestApp, Vec<ClickRow>) {
    // The tests ask many questions at once: lift the per-organization limit.
    // and the daily request limit: a test asks the questions several times.
    let app = TestApp::spawn_with(|s| {
        s.insight_concurrency = 1000;
        s.daily_limit = 100_000;
        s.clock = clock;
    })
    .await;
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

/// An answer without `recent` (the last 30 minutes before the clock, which moves here).
fn without_recent(mut answer: Value) -> Value {
    answer.as_object_mut().unwrap().remove("recent");
    answer
}

async fn answers(app: &TestApp) -> Vec<Value> {
    futures_util::future::join_all(questions().iter().map(|q| insight(app, q)))
        .await
        .into_iter()
        .map(without_recent)
        .collect()
}

#[tokio::test]
async fn open_days_kept_in_memory_give_exactly_the_numbers_of_the_raw_clicks() {
    const HOUR_MS: i64 = 3_600_000;
    const MINUTE_MS: i64 = 60_000;
    let today = FIRST_DAY + 2; // 2024-06-03
    // Long after the clicks, nothing is open and nothing rolled up: every answer is raw.
    let later = (FIRST_DAY + DAYS + 30) * DAY_MS;
    let clock = Clock::manual(later);
    let (app, rows) = app_with_past_clicks_on(clock.clone()).await;
    let raw = answers(&app).await;

    // At 13:07 on 2024-06-03, that day (folded up to 13:00, the rest read raw) and the
    // day before (folded whole) are open days, read from memory where they can be.
    clock.set(today * DAY_MS + 13 * HOUR_MS + 7 * MINUTE_MS);
    for (question, (answer, raw)) in questions().iter().zip(answers(&app).await.iter().zip(&raw)) {
        assert_eq!(answer, raw, "at 13:07: {question}");
    }
    // The day before is rolled up; today's quarter hours up to 19:30 are folded in.
    roll_up_closed_days(app.store(), clock.now()).await.unwrap();
    clock.set(today * DAY_MS + 19 * HOUR_MS + 40 * MINUTE_MS);
    for (question, (answer, raw)) in questions().iter().zip(answers(&app).await.iter().zip(&raw)) {
        assert_eq!(answer, raw, "at 19:40: {question}");
    }

    // A click of 06:00 arrives late (after an outage), by a new visitor: it falls in a
    // quarter hour folded long ago, and its day's new mark has the day read again.
    let mut late = click(rows[0].org_id, [rows[0].link_id; 3], today, 3);
    late.at = today * DAY_MS + 6 * HOUR_MS;
    late.bot = false;
    late.visitor = visitor(today, 1_000).0;
    app.store().record_clicks(&[late]).await.unwrap();
    clock.set(later);
    let raw = answers(&app).await;
    clock.set(today * DAY_MS + 19 * HOUR_MS + 41 * MINUTE_MS);
    for (question, (answer, raw)) in questions().iter().zip(answers(&app).await.iter().zip(&raw)) {
        assert_eq!(answer, raw, "after a late click: {question}");
    }

    // The folded part is read from memory: take the clicks before 19:30 away (only a test
    // does this) and the day's totals do not change.
    let question = "?datefrom=2024-06-02&dateto=2024-06-04";
    let before = insight(&app, question).await;
    let hourly = "?datefrom=2024-06-03&dateto=2024-06-03";
    let hours_before = insight(&app, hourly).await;
    {
        use sqlx::Connection;
        let mut connection = sqlx::AnyConnection::connect(&app.db.url).await.unwrap();
        let table = app.db.click_table();
        sqlx::query(&format!("DELETE FROM {table} WHERE at >= $1 AND at < $2"))
            .bind(today * DAY_MS)
            .bind(today * DAY_MS + 19 * HOUR_MS + 30 * MINUTE_MS)
            .execute(&mut connection)
            .await
            .unwrap();
        connection.close().await.unwrap();
    }
    let after = insight(&app, question).await;
    assert_eq!(
        (&after["total"], &after["unique"]),
        (&before["total"], &before["unique"])
    );
    assert_eq!(after["grouped"], before["grouped"]);
    // The day's hours too (each hour's visitors are counted in memory).
    assert_eq!(
        insight(&app, hourly).await["grouped"],
        hours_before["grouped"]
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
        sqlx::query(&format!("DELETE FROM {}", app.db.click_table()))
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
async fn a_day_another_roll_up_is_writing_is_read_raw_and_taken_over_once_that_one_is_gone() {
    let (app, _) = app_with_past_clicks().await;
    // Not within the roll-up's grace after midnight UTC: ten minutes on, yesterday would
    // close too and be rolled up beside the day this test is about.
    let day_ms = 86_400_000;
    let after_grace =
        timestamp::now() / day_ms * day_ms + openpxl::store::rollups::ROLLUP_GRACE_MS + 1;
    let now = timestamp::now().max(after_grace);
    let question = "?datefrom=2024-06-01&dateto=2024-06-06&timezone=Asia/Kolkata";
    let raw = insight(&app, question).await;
    // Another roll-up claimed 2024-06-02 a minute ago and has not finished writing it.
    {
        use sqlx::Connection;
        let mut connection = sqlx::AnyConnection::connect(&app.db.url).await.unwrap();
        sqlx::query("INSERT INTO rolled_up_days (org_id, day, rolled_at) VALUES (1, $1, $2)")
            .bind(FIRST_DAY + 1)
            .bind(-(now - 60_000))
            .execute(&mut connection)
            .await
            .unwrap();
        connection.close().await.unwrap();
    }
    let days = usize::try_from(DAYS).unwrap();
    roll_up_closed_days(app.store(), now).await.unwrap();
    assert_eq!(
        roll_up_closed_days(app.store(), now).await.unwrap(),
        0,
        "the claimed day is left to its roll-up"
    );
    let readable = || {
        app.store()
            .readable_rolled_up_days(1, FIRST_DAY, FIRST_DAY + DAYS - 1)
    };
    assert!(!readable().await.unwrap().contains(&(FIRST_DAY + 1)));
    assert_eq!(insight(&app, question).await, raw);
    // Ten minutes on, that roll-up is taken for gone, and the next pass does the day.
    let later = now + 10 * 60_000 + 1;
    assert_eq!(roll_up_closed_days(app.store(), later).await.unwrap(), 1);
    assert_eq!(readable().await.unwrap().len(), days);
    assert_eq!(insight(&app, question).await, raw);
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
    // Clicks from before migration 0012: all of them 'destination'. (`WHERE true`: SQLite
    // would read `ON CONFLICT` as the join's `ON` without it.)
    execute(
        "INSERT INTO click_origins (outcome, referrer, source, medium, campaign) \
         SELECT DISTINCT '', referrer, source, medium, campaign FROM click_origins \
         WHERE true ON CONFLICT DO NOTHING",
    )
    .await;
    execute(
        "UPDATE click_rows AS r SET origin = d.id FROM click_origins o, click_origins d \
         WHERE o.id = r.origin AND d.outcome = '' AND (d.referrer, d.source, d.medium, \
         d.campaign) = (o.referrer, o.source, o.medium, o.campaign)",
    )
    .await;
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

#[tokio::test]
async fn migration_0014_packs_the_quarter_hours_of_days_rolled_up_before_it() {
    let app = TestApp::spawn().await;
    let backend = if app.db.url.starts_with("postgres") {
        "postgres"
    } else {
        "sqlite"
    };
    let statement = |file: &str, starts: &str| migration_statement(backend, file, starts);
    use sqlx::Connection;
    let mut connection = sqlx::AnyConnection::connect(&app.db.url).await.unwrap();
    // The table as 0003 made it, with rows as the roll-ups before 0014 wrote them.
    let old_table = statement(
        "0003_daily_click_rollups.sql",
        "CREATE TABLE daily_click_slots",
    );
    for sql in [
        old_table.as_str(),
        "INSERT INTO daily_click_slots VALUES (1, 0, '', 20000, 95, 70000, 2, 300), \
         (1, 0, '', 20000, 0, 1, 1, 0), (1, 7, '', 20000, 3, 5, 4, 4), \
         (1, 0, 'go.acme.test', 20001, 10, 2, 1, 1)",
        &statement(
            "0014_packed_click_slots.sql",
            "INSERT INTO daily_slot_counts",
        ),
    ] {
        sqlx::query(sql).execute(&mut connection).await.unwrap();
    }
    let rows: Vec<(i64, String, i64, Vec<u8>)> = sqlx::query_as(
        "SELECT link_id, domain, day, slots FROM daily_slot_counts ORDER BY day, link_id",
    )
    .fetch_all(&mut connection)
    .await
    .unwrap();
    connection.close().await.unwrap();
    // Each quarter hour: the slot, then clicks, first and last visitors, big-endian.
    let entry = |slot: u8, counts: [u32; 3]| {
        let mut bytes = vec![slot];
        for count in counts {
            bytes.extend_from_slice(&count.to_be_bytes());
        }
        bytes
    };
    assert_eq!(
        rows,
        [
            (
                0,
                String::new(),
                20000,
                [entry(0, [1, 1, 0]), entry(95, [70000, 2, 300])].concat()
            ),
            (7, String::new(), 20000, entry(3, [5, 4, 4])),
            (0, "go.acme.test".to_owned(), 20001, entry(10, [2, 1, 1])),
        ]
    );
}

/// The statement of a migration file that starts with `starts` (comments left out).
fn migration_statement(backend: &str, file: &str, starts: &str) -> String {
    let migration = std::fs::read_to_string(format!(
        "{}/migrations/{backend}/{file}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    // Comments first: they hold semicolons too.
    let code: Vec<&str> = migration
        .lines()
        .filter(|l| !l.trim_start().starts_with("--"))
        .collect();
    code.join("\n")
        .split(';')
        .map(str::trim)
        .find(|s| s.starts_with(starts))
        .map(str::to_owned)
        .unwrap_or_else(|| panic!("{file} has no {starts}"))
}

#[tokio::test]
async fn migration_0016_packs_the_value_rows_of_links_and_leaves_the_others() {
    let app = TestApp::spawn().await;
    let backend = if app.db.url.starts_with("postgres") {
        "postgres"
    } else {
        "sqlite"
    };
    use sqlx::Connection;
    let mut connection = sqlx::AnyConnection::connect(&app.db.url).await.unwrap();
    // Value rows as the roll-ups before 0016 wrote them: two of link 7, one of the
    // organization, one trait row.
    for sql in [
        "INSERT INTO daily_clicks (org_id, link_id, domain, per_traits, dimension, day, value, \
         country, city, device, browser, os, clicks, visitors) VALUES \
         (1, 7, '', 0, 'all', 20000, '', '', '', '', '', '', 3, 2), \
         (1, 7, '', 0, 'city', 20000, 'São Paulo', '', '', '', '', '', 2, 1), \
         (1, 0, '', 0, 'all', 20000, '', '', '', '', '', '', 9, 4), \
         (1, 0, '', 1, '', 20000, '', 'BR', 'São Paulo', 'Mobile', 'Safari', 'iOS', 2, 1)",
        &migration_statement(
            backend,
            "0016_packed_link_values.sql",
            "INSERT INTO daily_link_values",
        ),
        &migration_statement(
            backend,
            "0016_packed_link_values.sql",
            "DELETE FROM daily_clicks",
        ),
    ] {
        sqlx::query(sql).execute(&mut connection).await.unwrap();
    }
    let packed: Vec<(i64, i64, String)> =
        sqlx::query_as("SELECT link_id, day, counts FROM daily_link_values")
            .fetch_all(&mut connection)
            .await
            .unwrap();
    let left: Vec<(i64, i64)> =
        sqlx::query_as("SELECT link_id, clicks FROM daily_clicks ORDER BY per_traits")
            .fetch_all(&mut connection)
            .await
            .unwrap();
    connection.close().await.unwrap();
    assert_eq!(packed.len(), 1);
    let (link_id, day, counts) = &packed[0];
    assert_eq!((*link_id, *day), (7, 20000));
    let mut entries: Vec<(String, String, i64, i64)> = serde_json::from_str(counts).unwrap();
    entries.sort();
    assert_eq!(
        entries,
        [
            ("all".to_owned(), String::new(), 3, 2),
            ("city".to_owned(), "São Paulo".to_owned(), 2, 1)
        ]
    );
    assert_eq!(left, [(0, 9), (0, 2)], "the organization's rows stay");
}
