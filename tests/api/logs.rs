//! The log of a real server process: JSON lines with `OPENPXL_LOG_FORMAT=json`, one line
//! per API request with its request id, route template, status and duration, and never a
//! token, password, cookie or client address — even at `RUST_LOG=debug`.

use std::net::IpAddr;

use reqwest::{Client, redirect::Policy};
use serde_json::{Value, json};

use crate::{
    dashboard_helpers::Person,
    helpers::{CHROME_WINDOWS, TestDatabase},
    process::{issue_token_over_http, start_serve, terminate},
};

const TOKEN: &str = "opxl_log_test_token_0123456789abcdef0123";
const PASSWORD: &str = "log test password 42";
const WRONG_PASSWORD: &str = "not the password 77";
const WRONG_TOKEN: &str = "opxl_wrong_token_for_the_log_test_99999999";
/// The test's clients connect from this loopback address...
const CLIENT: &str = "127.0.0.77";
/// ...and visitors claim this one through the (trusted) proxy header.
const VISITOR: &str = "203.0.113.77";

#[tokio::test]
async fn a_full_run_logs_json_lines_without_secrets_or_addresses() {
    let db = TestDatabase::new().await;
    let (server, address, mut log) = start_serve(
        &db,
        &[
            ("OPENPXL_LOG_FORMAT", "json"),
            ("RUST_LOG", "debug"),
            ("OPENPXL_BOOTSTRAP_TOKEN", TOKEN),
            ("OPENPXL_BOOTSTRAP_PASSWORD", PASSWORD),
            ("OPENPXL_DEFAULT_DOMAIN", "short.test"),
            ("OPENPXL_TRUST_PROXY", "true"),
        ],
    );
    let base = format!("http://{address}");
    let client_ip: IpAddr = CLIENT.parse().unwrap();
    let client = Client::builder()
        .redirect(Policy::none())
        .local_address(client_ip)
        .build()
        .unwrap();

    // The API: a link made, a token made (its secret is in the response), a wrong token.
    let created = client
        .post(format!("{base}/api/v1/short"))
        .bearer_auth(TOKEN)
        .json(&json!({"destination": "https://example.com/logged", "route": "logged"}))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);
    let request_id = created.headers()["x-request-id"]
        .to_str()
        .unwrap()
        .to_owned();
    let new_token =
        issue_token_over_http(&client, &base, TOKEN, json!({"name": "for the log test"})).await;
    let refused = client
        .get(format!("{base}/api/v1/short"))
        .bearer_auth(WRONG_TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 401);

    // A visit through the proxy.
    let visit = client
        .get(format!("{base}/logged"))
        .header("host", "short.test")
        .header("user-agent", CHROME_WINDOWS)
        .header("x-forwarded-for", VISITOR)
        .send()
        .await
        .unwrap();
    assert_eq!(visit.status(), 302);

    // The dashboard: a wrong password, then the right one, then a page.
    let mut person = Person::at(&base, Some(client_ip));
    let wrong = person.try_sign_in("admin@localhost", WRONG_PASSWORD).await;
    assert_eq!(wrong.status, 401, "{}", wrong.html);
    person.sign_in("admin@localhost", PASSWORD).await;
    assert!(person.get("/dashboard/links").await.contains("logged"));
    let cookies = person.cookies();
    let session = cookies
        .split("; ")
        .find_map(|c| c.split_once('='))
        .map(|(_, value)| value.to_owned())
        .expect("a session cookie");
    assert!(session.len() >= 16, "{cookies}");

    log.push_str(&terminate(server));

    let lines: Vec<Value> = log
        .lines()
        .map(|line| {
            serde_json::from_str(line).unwrap_or_else(|e| panic!("not a JSON line ({e}): {line}"))
        })
        .collect();
    let creation = lines
        .iter()
        .find(|line| {
            line["fields"]["message"] == "response"
                && line["spans"]
                    .as_array()
                    .is_some_and(|spans| spans.iter().any(|s| s["request.id"] == request_id))
        })
        .unwrap_or_else(|| panic!("no response line for request {request_id}:\n{log}"));
    assert_eq!(creation["fields"]["http.status"], 201, "{creation}");
    assert!(creation["fields"]["duration_ms"].is_u64(), "{creation}");
    let span = &creation["spans"][0];
    assert_eq!(span["http.route"], "/api/v1/short", "{creation}");
    assert_eq!(span["http.method"], "POST", "{creation}");
    assert!(
        !lines
            .iter()
            .any(|line| line["spans"][0]["http.route"] == "/{route}"),
        "redirects are counted, not logged one by one"
    );

    for (what, secret) in [
        ("the bootstrap token", TOKEN),
        ("a token made through the API", new_token.as_str()),
        ("a refused token", WRONG_TOKEN),
        ("the password", PASSWORD),
        ("a wrong password", WRONG_PASSWORD),
        ("the session cookie", session.as_str()),
        ("the client's address", CLIENT),
        ("the visitor's address", VISITOR),
    ] {
        assert!(!log.contains(secret), "the log shows {what}:\n{log}");
    }
}
