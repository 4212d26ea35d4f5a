//! The typed errors of the shared operations reach every front door in the same words:
//! the API with 400, 409, 404 and 403 and the usual body, the CLI as `error: <sentence>`.

use std::process::Command;

use openpxl::{
    accounts::{self, TokenRequest},
    store::{Pools, Role, Store},
};
use reqwest::Method;
use serde_json::json;

use crate::helpers::{ORG, TestApp, TestDatabase, error_message};

const BIN: &str = env!("CARGO_BIN_EXE_openpxl");

#[tokio::test]
async fn invalid_input_is_400_with_one_sentence_per_field() {
    let app = TestApp::spawn().await;
    let response = app
        .create_short(json!({"destination": "ftp://x", "route": "a b"}))
        .await;
    let message = error_message(response, 400).await;
    assert!(
        message.contains("destination must be an absolute http"),
        "{message}"
    );
    assert!(message.contains("route"), "{message}");
}

#[tokio::test]
async fn a_conflict_is_409_and_a_missing_link_404() {
    let app = TestApp::spawn().await;
    app.created(json!({"destination": "https://example.com", "route": "taken"}))
        .await;
    let again = app
        .create_short(json!({"destination": "https://example.com", "route": "taken"}))
        .await;
    assert!(error_message(again, 409).await.contains("already taken"));
    let missing = app.get_short("nowhere").await;
    assert_eq!(
        error_message(missing, 404).await,
        "short link nowhere not found"
    );
}

/// A token of a user with `role` in the app's organization.
async fn token_with_role(app: &TestApp, email: &str, role: Role) -> String {
    accounts::ensure_member(app.store(), ORG, email, role)
        .await
        .unwrap();
    app.issue_token(ORG, email, None).await
}

#[tokio::test]
async fn a_member_changes_only_their_own_links_and_gets_403_for_others() {
    let app = TestApp::spawn().await; // the app's token is the organization's owner
    app.created(json!({"destination": "https://example.com/o", "route": "owners"}))
        .await;
    let member = token_with_role(&app, "member@acme.test", Role::Member).await;
    let admin = token_with_role(&app, "admin@acme.test", Role::Admin).await;

    // A member sees every link of the organization ...
    let seen = app
        .request_as(&member, Method::GET, "/api/v1/short/owners")
        .send()
        .await
        .unwrap();
    assert_eq!(seen.status(), 200);
    // ... but may not change or delete another's.
    let patched = app
        .request_as(&member, Method::PATCH, "/api/v1/short/owners")
        .json(&json!({"title": "mine now"}))
        .send()
        .await
        .unwrap();
    let message = error_message(patched, 403).await;
    assert!(message.contains("created by someone else"), "{message}");
    let deleted = app
        .request_as(&member, Method::DELETE, "/api/v1/short/owners")
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), 403);

    // Their own link, they may.
    app.create_short_as(
        &member,
        json!({"destination": "https://example.com/m", "route": "mine"}),
    )
    .await;
    let own = app
        .request_as(&member, Method::PATCH, "/api/v1/short/mine")
        .json(&json!({"title": "ok"}))
        .send()
        .await
        .unwrap();
    assert_eq!(own.status(), 200);
    // An admin may change anyone's.
    let by_admin = app
        .request_as(&admin, Method::PATCH, "/api/v1/short/mine")
        .json(&json!({"title": "tidied"}))
        .send()
        .await
        .unwrap();
    assert_eq!(by_admin.status(), 200);
    assert_eq!(
        app.delete_short("mine").await.status(),
        200,
        "and so may the owner"
    );
}

fn cli_error(db: &TestDatabase, args: &[&str]) -> String {
    let output = Command::new(BIN)
        .args(args)
        .env("DATABASE_URL", &db.url)
        .env_remove("RUST_LOG")
        .output()
        .unwrap();
    assert!(!output.status.success(), "{args:?} should fail");
    String::from_utf8(output.stderr).unwrap()
}

#[tokio::test]
async fn the_cli_prints_the_operations_own_sentence() {
    let db = TestDatabase::new().await;
    let store = Store::open(&db.url, Pools::for_command()).await.unwrap();
    accounts::create_org(&store, "acme").await.unwrap();
    accounts::add_domain(&store, "acme", "go.acme.test")
        .await
        .unwrap();
    let conflict = accounts::create_org(&store, "acme").await.unwrap_err();
    let taken_domain = accounts::add_domain(&store, "acme", "GO.acme.test.")
        .await
        .unwrap_err();
    let unknown_org = accounts::add_domain(&store, "nobody", "x.test")
        .await
        .unwrap_err();
    let no_token = accounts::revoke_token(&store, 999).await.unwrap_err();
    let bad_name = accounts::issue_token(
        &store,
        TokenRequest {
            org: "acme",
            email: "a@acme.test",
            name: " ",
            daily_limit: None,
            expires_in_days: None,
            secret: None,
        },
    )
    .await
    .unwrap_err();
    store.close().await;

    for (args, error) in [
        (vec!["org", "create", "acme"], conflict),
        (
            vec!["domain", "add", "GO.acme.test.", "--org", "acme"],
            taken_domain,
        ),
        (
            vec!["domain", "add", "x.test", "--org", "nobody"],
            unknown_org,
        ),
        (vec!["token", "revoke", "999"], no_token),
        (
            vec![
                "token",
                "create",
                "--email",
                "a@acme.test",
                "--org",
                "acme",
                "--name",
                " ",
            ],
            bad_name,
        ),
    ] {
        assert_eq!(
            cli_error(&db, &args),
            format!("error: {error}\n"),
            "{args:?}"
        );
    }
}
