//! `POST /api/v1/short/bulk` (an openpxl extension): every item tried in order with the
//! rules of a single creation, valid ones created even when others fail, a result per
//! item with its index, one request against the quota, and bodies that are not a list of
//! 1 to 1,000 links refused whole.

use reqwest::{Method, Response};
use serde_json::{Value, json};

use crate::helpers::{DEFAULT_DOMAIN, ORG, TestApp, error_message};

async fn bulk(app: &TestApp, token: &str, body: &Value) -> Response {
    app.request_as(token, Method::POST, "/api/v1/short/bulk")
        .json(body)
        .send()
        .await
        .unwrap()
}

fn remaining(response: &Response) -> i64 {
    response.headers()["x-ratelimit-remaining"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap()
}

#[tokio::test]
async fn valid_items_are_created_and_each_bad_one_says_why_with_its_index() {
    let app = TestApp::spawn().await;
    let token = app.issue_token(ORG, "bulk@example.com", Some(10)).await;
    let items = json!([
        {"destination": "https://example.com/a", "route": "bulk-a", "tags": ["Import"]},
        {"destination": "ftp://example.com/"},
        "https://example.com/not-an-object",
        {"destination": "https://example.com/again", "route": "bulk-a"},
        {"destination": "https://example.com/random"},
        {"destination": "https://example.com/", "route": "api"},
    ]);
    let before = app
        .request_as(&token, Method::GET, "/api/v1/short")
        .send()
        .await
        .unwrap();
    let answer = bulk(&app, &token, &items).await;
    assert_eq!(answer.status(), 200);
    // One request against the daily quota, however many links.
    assert_eq!(remaining(&answer), remaining(&before) - 1);
    let data = answer.json::<Value>().await.unwrap()["data"].clone();
    assert_eq!(
        (data["created"].as_i64(), data["failed"].as_i64()),
        (Some(2), Some(4))
    );
    let results = data["results"].as_array().unwrap();
    let indexes: Vec<i64> = results
        .iter()
        .map(|r| r["index"].as_i64().unwrap())
        .collect();
    assert_eq!(indexes, [0, 1, 2, 3, 4, 5]);
    let statuses: Vec<i64> = results
        .iter()
        .map(|r| r["statusCode"].as_i64().unwrap())
        .collect();
    assert_eq!(statuses, [201, 400, 400, 409, 201, 400]);
    assert_eq!(results[0]["data"]["route"], "bulk-a");
    assert_eq!(results[0]["data"]["tags"], json!(["Import"]));
    let message = |i: usize| results[i]["message"].to_string();
    assert!(message(1).contains("destination"), "{}", message(1));
    assert!(
        message(2).contains("must be a JSON object"),
        "{}",
        message(2)
    );
    assert!(message(3).contains("already taken"), "{}", message(3));
    assert!(message(5).contains("reserved"), "{}", message(5));
    assert_eq!(results[3]["error"], "Conflict");
    assert!(results[4]["data"]["route"].as_str().unwrap().len() == 7);

    // What was created is there, and nothing else.
    let listed: Value = app.list_shorts("").await.json().await.unwrap();
    assert_eq!(listed["data"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn a_thousand_links_go_in_one_request_and_a_thousand_and_one_do_not() {
    let app = TestApp::spawn().await;
    let token = app.issue_token(ORG, "bulk@example.com", None).await;
    let items: Vec<Value> = (0..1000)
        .map(|n| json!({"destination": format!("https://example.com/{n}"), "route": format!("n{n}")}))
        .collect();
    let answer = bulk(&app, &token, &json!(items)).await;
    assert_eq!(answer.status(), 200);
    let data = answer.json::<Value>().await.unwrap()["data"].clone();
    assert_eq!(
        (data["created"].as_i64(), data["failed"].as_i64()),
        (Some(1000), Some(0))
    );
    let listed = app.list_shorts("?take=1").await;
    assert_eq!(listed.headers()["x-total-count"], "1000");

    let mut too_many = items;
    too_many.push(json!({"destination": "https://example.com/x"}));
    let refused = bulk(&app, &token, &json!(too_many)).await;
    assert!(
        error_message(refused, 400)
            .await
            .contains("1 to 1000 links")
    );
    assert_eq!(
        app.list_shorts("?take=1").await.headers()["x-total-count"],
        "1000"
    );
}

#[tokio::test]
async fn a_body_that_is_not_a_list_of_links_is_refused_whole() {
    let app = TestApp::spawn().await;
    let token = app.issue_token(ORG, "bulk@example.com", None).await;
    let object = bulk(&app, &token, &json!({"destination": "https://example.com"})).await;
    assert!(
        error_message(object, 400)
            .await
            .contains("must be a JSON list")
    );
    let empty = bulk(&app, &token, &json!([])).await;
    assert!(error_message(empty, 400).await.contains("(got 0)"));
    let form = app
        .request_as(&token, Method::POST, "/api/v1/short/bulk")
        .form(&[("destination", "https://example.com")])
        .send()
        .await
        .unwrap();
    assert!(error_message(form, 415).await.contains("only JSON"));
    let malformed = app
        .request_as(&token, Method::POST, "/api/v1/short/bulk")
        .header("content-type", "application/json")
        .body("[{")
        .send()
        .await
        .unwrap();
    assert!(
        error_message(malformed, 400)
            .await
            .contains("malformed JSON")
    );
    // A link whose route is `bulk` is still read by its full id.
    app.created(json!({"destination": "https://example.com/b", "route": "bulk"}))
        .await;
    let read = app.get_short(&format!("{DEFAULT_DOMAIN}%2Fbulk")).await;
    assert_eq!(read.status(), 200);
}
