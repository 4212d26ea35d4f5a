//! The `openpxl` command line (docs/OPERATIONS.md, "Command line"), run as a real process against the test database.

use std::{
    io::Write,
    process::{Command, Output, Stdio},
    time::{Duration, Instant},
};

use reqwest::Method;
use serde_json::json;

use crate::{
    helpers::{TestApp, TestDatabase, error_message},
    process::{start_serve, terminate},
};

const BIN: &str = env!("CARGO_BIN_EXE_openpxl");

fn openpxl(db: &TestDatabase, args: &[&str]) -> Output {
    Command::new(BIN)
        .args(args)
        .env("DATABASE_URL", &db.url)
        .env_remove("RUST_LOG")
        .output()
        .expect("run openpxl")
}

fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).unwrap()
}

fn stderr(output: &Output) -> String {
    String::from_utf8(output.stderr.clone()).unwrap()
}

#[tokio::test]
async fn token_create_prints_only_a_working_token_on_stdout() {
    let app = TestApp::spawn().await;
    let output = openpxl(
        &app.db,
        &[
            "token",
            "create",
            "--email",
            "ci@acme.test",
            "--org",
            "acme",
            "--name",
            "ci",
        ],
    );
    assert!(output.status.success(), "{}", stderr(&output));
    let printed = stdout(&output);
    let token = printed.trim_end();
    assert_eq!(printed.lines().count(), 1);
    assert!(token.starts_with("opxl_"), "{printed}");
    let response = app
        .request_as(token, Method::GET, "/api/v1/short")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
}

#[tokio::test]
async fn token_create_makes_the_org_and_user_and_sets_the_daily_limit() {
    let app = TestApp::spawn().await;
    let output = openpxl(
        &app.db,
        &[
            "token",
            "create",
            "--email",
            "new@fresh.test",
            "--org",
            "fresh",
            "--name",
            "n",
            "--daily-limit",
            "3",
        ],
    );
    assert!(output.status.success(), "{}", stderr(&output));
    let token = stdout(&output).trim_end().to_owned();
    let response = app
        .request_as(&token, Method::GET, "/api/v1/short")
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["x-ratelimit-limit"], "3");
    assert!(app.store().find_org_id("fresh").await.unwrap().is_some());
}

#[tokio::test]
async fn token_create_refuses_bad_input_with_a_clear_error() {
    let db = TestDatabase::new().await;
    let cases: [&[&str]; 3] = [
        &[
            "token",
            "create",
            "--email",
            "not-an-email",
            "--org",
            "o",
            "--name",
            "n",
        ],
        &[
            "token",
            "create",
            "--email",
            "a@b.c",
            "--org",
            "o",
            "--name",
            "n",
            "--daily-limit",
            "0",
        ],
        &[
            "token", "create", "--email", "a@b.c", "--org", "", "--name", "n",
        ],
    ];
    for args in cases {
        let output = openpxl(&db, args);
        assert!(!output.status.success(), "{args:?}");
        assert!(stdout(&output).is_empty());
        assert!(!stderr(&output).is_empty());
    }
}

#[tokio::test]
async fn token_list_shows_tokens_without_their_secrets() {
    let app = TestApp::spawn().await;
    app.list_shorts("").await;
    let output = openpxl(&app.db, &["token", "list", "--org", "acme"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let table = stdout(&output);
    assert!(table.starts_with("ID"), "{table}");
    assert!(
        table.contains("owner@acme.test") && table.contains("active"),
        "{table}"
    );
    assert!(
        table.contains(&app.token[..11]),
        "the display prefix is shown: {table}"
    );
    assert!(
        !table.contains(&app.token),
        "the secret is never shown: {table}"
    );
    assert!(table.contains("1/default"), "usage today: {table}");
}

#[tokio::test]
async fn token_revoke_stops_the_token() {
    let app = TestApp::spawn().await;
    let list = stdout(&openpxl(&app.db, &["token", "list", "--org", "acme"]));
    let id = list
        .lines()
        .nth(1)
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap()
        .to_owned();
    let output = openpxl(&app.db, &["token", "revoke", &id]);
    assert!(output.status.success(), "{}", stderr(&output));
    error_message(app.list_shorts("").await, 401).await;
    assert!(stdout(&openpxl(&app.db, &["token", "list", "--org", "acme"])).contains("revoked"));
    let missing = openpxl(&app.db, &["token", "revoke", "999999"]);
    assert!(!missing.status.success());
    assert!(stderr(&missing).contains("no token with id 999999"));
}

#[tokio::test]
async fn domain_add_lets_the_organization_create_links_on_it() {
    let app = TestApp::spawn().await;
    let output = openpxl(&app.db, &["domain", "add", "Go.Acme.test", "--org", "acme"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let short = app
        .created(json!({"destination": "https://example.com", "domain": "go.acme.test"}))
        .await;
    assert!(short["id"].as_str().unwrap().starts_with("go.acme.test/"));
    let again = openpxl(&app.db, &["domain", "add", "go.acme.test", "--org", "acme"]);
    assert!(!again.status.success());
    assert!(stderr(&again).contains("already"));
    let bad = openpxl(
        &app.db,
        &["domain", "add", "https://x.test/", "--org", "acme"],
    );
    assert!(!bad.status.success());
}

#[tokio::test]
async fn org_create_refuses_a_taken_name() {
    let db = TestDatabase::new().await;
    assert!(
        openpxl(&db, &["org", "create", "umbrella"])
            .status
            .success()
    );
    let again = openpxl(&db, &["org", "create", "umbrella"]);
    assert!(!again.status.success());
    assert!(stderr(&again).contains("already exists"));
}

#[tokio::test]
async fn user_create_reads_the_password_from_stdin_or_prints_a_generated_one() {
    let db = TestDatabase::new().await;
    let mut child = Command::new(BIN)
        .args([
            "user",
            "create",
            "--email",
            "ann@acme.test",
            "--org",
            "acme",
            "--role",
            "admin",
            "--password-stdin",
        ])
        .env("DATABASE_URL", &db.url)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"a long enough password\n")
        .unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(
        stdout(&output).is_empty(),
        "a chosen password is not echoed"
    );

    let output = openpxl(
        &db,
        &[
            "user",
            "create",
            "--email",
            "bob@acme.test",
            "--org",
            "acme",
        ],
    );
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(
        stdout(&output).trim().len(),
        20,
        "a generated password is printed"
    );
}

#[test]
fn every_subcommand_has_help() {
    for args in [
        vec!["--help"],
        vec!["serve", "--help"],
        vec!["migrate", "--help"],
        vec!["rollup", "--help"],
        vec!["org", "create", "--help"],
        vec!["user", "create", "--help"],
        vec!["token", "create", "--help"],
        vec!["token", "list", "--help"],
        vec!["token", "revoke", "--help"],
        vec!["domain", "add", "--help"],
    ] {
        let output = Command::new(BIN).args(&args).output().unwrap();
        assert!(output.status.success(), "{args:?}");
        assert!(stdout(&output).contains("Usage:"), "{args:?}");
    }
}

/// A running `openpxl serve`; killed if a test fails before stopping it.
#[tokio::test]
async fn the_first_start_creates_an_owner_and_prints_a_working_token_once() {
    let db = TestDatabase::new().await;
    let (child, address, log) = start_serve(&db, &[]);
    let token_line = log
        .lines()
        .find(|l| l.trim_start().starts_with("API token:"))
        .expect("banner with token");
    let token = token_line.split_whitespace().last().unwrap().to_owned();
    assert!(token.starts_with("opxl_"));
    assert!(log.contains("login:     admin@localhost"), "{log}");
    let response = reqwest::Client::new()
        .get(format!("http://{address}/api/v1/short"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    terminate(child);

    let (child, _, log) = start_serve(&db, &[]);
    assert!(
        !log.contains("API token:"),
        "the banner is shown only on the first start:\n{log}"
    );
    terminate(child);
}

#[tokio::test]
async fn the_bootstrap_token_and_password_can_be_chosen_and_are_not_printed() {
    let db = TestDatabase::new().await;
    let chosen = "opxl_chosen_by_automation_0123456789abcdef";
    let (child, address, log) = start_serve(
        &db,
        &[
            ("OPENPXL_BOOTSTRAP_TOKEN", chosen),
            ("OPENPXL_BOOTSTRAP_PASSWORD", "chosen password 1"),
        ],
    );
    assert!(
        !log.contains(chosen) && !log.contains("chosen password 1"),
        "{log}"
    );
    assert!(log.contains("(from OPENPXL_BOOTSTRAP_TOKEN)"), "{log}");
    let response = reqwest::Client::new()
        .get(format!("http://{address}/api/v1/short"))
        .bearer_auth(chosen)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    terminate(child);
}

#[tokio::test]
async fn a_bad_bootstrap_password_stops_the_first_start_before_anything_is_created() {
    let db = TestDatabase::new().await;
    let output = Command::new(BIN)
        .arg("serve")
        .env("DATABASE_URL", &db.url)
        .env("OPENPXL_LISTEN", "127.0.0.1:0")
        .env("OPENPXL_BOOTSTRAP_PASSWORD", "short")
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(
        stderr(&output).contains("at least 8 characters"),
        "{}",
        stderr(&output)
    );
    // Nothing was half-made: a start with a good password bootstraps fully.
    let (child, _, log) = start_serve(&db, &[("OPENPXL_BOOTSTRAP_PASSWORD", "long enough now")]);
    assert!(log.contains("API token:"), "{log}");
    terminate(child);
}

#[tokio::test]
async fn sigterm_writes_every_click_before_the_process_exits() {
    let db = TestDatabase::new().await;
    let token = "opxl_sigterm_test_token_0123456789abcdef";
    let (child, address, _) = start_serve(
        &db,
        &[
            ("OPENPXL_BOOTSTRAP_TOKEN", token),
            ("OPENPXL_DEFAULT_DOMAIN", "short.test"),
        ],
    );
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let created = client
        .post(format!("http://{address}/api/v1/short"))
        .bearer_auth(token)
        .json(&json!({"destination": "https://example.com", "route": "bye"}))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);
    let visits = (0..120).map(|_| {
        client
            .get(format!("http://{address}/bye"))
            .header("host", "short.test")
            .header("user-agent", crate::helpers::CHROME_WINDOWS)
            .send()
    });
    for response in futures_util::future::join_all(visits).await {
        assert_eq!(response.unwrap().status(), 302);
    }
    terminate(child);
    let store = openpxl::store::Store::open(&db.url, openpxl::store::Pools::for_command())
        .await
        .unwrap();
    let link = store
        .resolve_link("short.test", "bye")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(store.count_link_clicks(link.id).await.unwrap(), (120, 0));
    assert_eq!(link.clicks, 120);
    store.close().await;
}

/// The days of the roll-up tests' clicks whose roll-up can be read.
async fn readable_days(app: &TestApp) -> usize {
    use crate::rollups::{DAYS, FIRST_DAY};
    app.store()
        .readable_rolled_up_days(1, FIRST_DAY, FIRST_DAY + DAYS - 1)
        .await
        .unwrap()
        .len()
}

#[tokio::test]
async fn rollup_rolls_up_every_closed_day_and_says_so() {
    let (app, _) = crate::rollups::app_with_past_clicks().await;
    assert_eq!(readable_days(&app).await, 0);
    let output = openpxl(&app.db, &["rollup"]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(
        stderr(&output).starts_with("rolled up "),
        "{}",
        stderr(&output)
    );
    assert_eq!(readable_days(&app).await, 6);
    let again = openpxl(&app.db, &["rollup"]);
    assert!(
        stderr(&again).starts_with("rolled up 0 organization-days"),
        "{}",
        stderr(&again)
    );
}

#[tokio::test]
async fn serve_rolls_up_closed_days_in_the_background() {
    let (app, _) = crate::rollups::app_with_past_clicks().await;
    let (child, _, _) = start_serve(&app.db, &[]);
    let deadline = Instant::now() + Duration::from_secs(30);
    while readable_days(&app).await < 6 {
        assert!(Instant::now() < deadline, "no roll-up within 30 s");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    terminate(child);
}

#[tokio::test]
async fn migrate_applies_the_schema_and_can_run_twice() {
    let db = TestDatabase::new().await;
    for _ in 0..2 {
        let output = openpxl(&db, &["migrate"]);
        assert!(output.status.success(), "{}", stderr(&output));
    }
}
