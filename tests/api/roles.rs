//! Roles (docs/API.md §4.8), for every role and every action on tokens, domains and
//! members — through the API and through the pages. (Links: `errors.rs` and
//! `dashboard.rs`.)

use openpxl::{accounts, store::Role};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::{
    dashboard_helpers::{Person, person_with_role},
    helpers::{ORG, TestApp, error_message},
};

/// A token of a user with `role` in the app's organization.
async fn token(app: &TestApp, email: &str, role: Role) -> String {
    accounts::ensure_member(app.store(), ORG, email, role)
        .await
        .unwrap();
    app.issue_token(ORG, email, None).await
}

async fn call(
    app: &TestApp,
    token: &str,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> reqwest::Response {
    let mut request = app.request_as(token, method, path);
    if let Some(body) = body {
        request = request.json(&body);
    }
    request.send().await.unwrap()
}

#[tokio::test]
async fn tokens_through_the_api_members_manage_their_own() {
    let app = TestApp::spawn().await;
    let owner = app.token.clone();
    let member = token(&app, "member@acme.test", Role::Member).await;
    let admin = token(&app, "admin@acme.test", Role::Admin).await;

    let made = call(
        &app,
        &member,
        Method::POST,
        "/api/v1/tokens",
        Some(json!({"name": "ci", "expiresInDays": 30, "dailyLimit": 100})),
    )
    .await;
    assert_eq!(made.status(), 201);
    let made: Value = made.json().await.unwrap();
    let secret = made["data"]["token"].as_str().unwrap().to_owned();
    assert!(secret.starts_with("opxl_"), "shown once, in the answer");
    assert_eq!(made["data"]["user"], "member@acme.test");
    // It works, and acts as the member.
    assert_eq!(
        call(&app, &secret, Method::GET, "/api/v1/short", None)
            .await
            .status(),
        200
    );

    let listed: Value = call(&app, &member, Method::GET, "/api/v1/tokens", None)
        .await
        .json()
        .await
        .unwrap();
    let users: Vec<&str> = listed["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["user"].as_str().unwrap())
        .collect();
    assert!(
        users.iter().all(|u| *u == "member@acme.test"),
        "a member sees their own: {users:?}"
    );
    assert!(
        listed["data"]
            .as_array()
            .unwrap()
            .iter()
            .all(|t| t.get("token").is_none()),
        "never the secret again"
    );
    let all: Value = call(&app, &admin, Method::GET, "/api/v1/tokens", None)
        .await
        .json()
        .await
        .unwrap();
    assert!(
        all["data"].as_array().unwrap().len() >= 4,
        "an admin sees every token"
    );

    // A member may not revoke the owner's token; an admin may revoke the member's.
    let owners_token_id = all["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["user"] == "owner@acme.test")
        .unwrap()["id"]
        .as_i64()
        .unwrap();
    let refused = call(
        &app,
        &member,
        Method::DELETE,
        &format!("/api/v1/tokens/{owners_token_id}"),
        None,
    )
    .await;
    assert!(
        error_message(refused, 403)
            .await
            .contains("only their own tokens")
    );
    let id = made["data"]["id"].as_i64().unwrap();
    let revoked = call(
        &app,
        &admin,
        Method::DELETE,
        &format!("/api/v1/tokens/{id}"),
        None,
    )
    .await;
    assert_eq!(revoked.status(), 200);
    assert_eq!(
        call(&app, &secret, Method::GET, "/api/v1/short", None)
            .await
            .status(),
        401,
        "revoked at once"
    );

    // The limits of a new token.
    let too_much = call(
        &app,
        &owner,
        Method::POST,
        "/api/v1/tokens",
        Some(json!({"name": "x", "dailyLimit": 100000})),
    )
    .await;
    assert!(
        error_message(too_much, 400)
            .await
            .contains("daily limit must be from 1 to 500")
    );
    let no_name = call(
        &app,
        &owner,
        Method::POST,
        "/api/v1/tokens",
        Some(json!({"expiresInDays": "soon"})),
    )
    .await;
    let message = error_message(no_name, 400).await;
    assert!(
        message.contains("expiresInDays must be a whole number"),
        "{message}"
    );
    let other_org = app.other_org_token().await;
    let foreign = call(
        &app,
        &other_org,
        Method::DELETE,
        &format!("/api/v1/tokens/{owners_token_id}"),
        None,
    )
    .await;
    assert_eq!(
        foreign.status(),
        404,
        "another organization's token does not exist for it"
    );
}

#[tokio::test]
async fn domains_through_the_api_owners_and_admins_manage_them() {
    let app = TestApp::spawn().await;
    let owner = app.token.clone();
    let member = token(&app, "member@acme.test", Role::Member).await;
    let admin = token(&app, "admin@acme.test", Role::Admin).await;

    let by_member = call(
        &app,
        &member,
        Method::POST,
        "/api/v1/domains",
        Some(json!({"host": "go.acme.test"})),
    )
    .await;
    assert!(
        error_message(by_member, 403)
            .await
            .contains("only an owner or admin may add domains")
    );
    let added = call(
        &app,
        &admin,
        Method::POST,
        "/api/v1/domains",
        Some(json!({"host": "GO.Acme.Test."})),
    )
    .await;
    assert_eq!(added.status(), 201);
    assert_eq!(
        added.json::<Value>().await.unwrap()["data"]["host"],
        "go.acme.test"
    );
    let taken = call(
        &app,
        &app.other_org_token().await,
        Method::POST,
        "/api/v1/domains",
        Some(json!({"host": "go.acme.test"})),
    )
    .await;
    assert_eq!(taken.status(), 409);
    let listed: Value = call(&app, &member, Method::GET, "/api/v1/domains", None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        listed["data"][0]["host"], "go.acme.test",
        "members see them"
    );

    app.create_short(
        json!({"destination": "https://example.com", "route": "x", "domain": "go.acme.test"}),
    )
    .await;
    let in_use = call(
        &app,
        &owner,
        Method::DELETE,
        "/api/v1/domains/go.acme.test",
        None,
    )
    .await;
    assert!(
        error_message(in_use, 409)
            .await
            .contains("still has 1 live link")
    );
    let by_member = call(
        &app,
        &member,
        Method::DELETE,
        "/api/v1/domains/go.acme.test",
        None,
    )
    .await;
    assert_eq!(by_member.status(), 403);
    app.delete_short("go.acme.test/x").await;
    let removed = call(
        &app,
        &owner,
        Method::DELETE,
        "/api/v1/domains/go.acme.test",
        None,
    )
    .await;
    assert_eq!(removed.status(), 200);
    let gone = call(
        &app,
        &owner,
        Method::DELETE,
        "/api/v1/domains/go.acme.test",
        None,
    )
    .await;
    assert_eq!(gone.status(), 404);
}

#[tokio::test]
async fn members_through_the_api_owners_are_changed_only_by_themselves() {
    let app = TestApp::spawn().await;
    let owner = app.token.clone();
    let member = token(&app, "member@acme.test", Role::Member).await;
    let admin = token(&app, "admin@acme.test", Role::Admin).await;
    let members: Value = call(&app, &member, Method::GET, "/api/v1/members", None)
        .await
        .json()
        .await
        .unwrap();
    let id_of = |email: &str| {
        members["data"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["email"] == email)
            .unwrap()["userId"]
            .as_i64()
            .unwrap()
    };
    let (owner_id, member_id, admin_id) = (
        id_of("owner@acme.test"),
        id_of("member@acme.test"),
        id_of("admin@acme.test"),
    );

    let by_member = call(
        &app,
        &member,
        Method::POST,
        "/api/v1/members",
        Some(json!({"email": "new@acme.test"})),
    )
    .await;
    assert_eq!(by_member.status(), 403);
    let added = call(
        &app,
        &admin,
        Method::POST,
        "/api/v1/members",
        Some(json!({"email": "New@Acme.test", "role": "member"})),
    )
    .await;
    assert_eq!(added.status(), 201);
    let added: Value = added.json().await.unwrap();
    assert_eq!(added["data"]["email"], "new@acme.test");
    assert!(added["data"]["oneTimePassword"].as_str().unwrap().len() >= 16);
    let again = call(
        &app,
        &admin,
        Method::POST,
        "/api/v1/members",
        Some(json!({"email": "new@acme.test"})),
    )
    .await;
    assert_eq!(again.status(), 409);
    let bad_role = call(
        &app,
        &admin,
        Method::POST,
        "/api/v1/members",
        Some(json!({"email": "x@acme.test", "role": "king"})),
    )
    .await;
    assert!(
        error_message(bad_role, 400)
            .await
            .contains("role must be owner, admin or member")
    );

    // An admin may not make owners, nor touch one.
    let crown = call(
        &app,
        &admin,
        Method::PATCH,
        &format!("/api/v1/members/{member_id}"),
        Some(json!({"role": "owner"})),
    )
    .await;
    assert!(
        error_message(crown, 403)
            .await
            .contains("only an owner may make someone an owner")
    );
    let demote = call(
        &app,
        &admin,
        Method::PATCH,
        &format!("/api/v1/members/{owner_id}"),
        Some(json!({"role": "member"})),
    )
    .await;
    assert!(
        error_message(demote, 403)
            .await
            .contains("only by themselves")
    );
    let remove_owner = call(
        &app,
        &admin,
        Method::DELETE,
        &format!("/api/v1/members/{owner_id}"),
        None,
    )
    .await;
    assert_eq!(remove_owner.status(), 403);
    let promote = call(
        &app,
        &admin,
        Method::PATCH,
        &format!("/api/v1/members/{member_id}"),
        Some(json!({"role": "admin"})),
    )
    .await;
    assert_eq!(
        promote.json::<Value>().await.unwrap()["data"]["role"],
        "admin"
    );

    // The only owner cannot step down; with a second owner they can.
    let alone = call(
        &app,
        &owner,
        Method::PATCH,
        &format!("/api/v1/members/{owner_id}"),
        Some(json!({"role": "admin"})),
    )
    .await;
    assert!(error_message(alone, 409).await.contains("only owner"));
    let second = call(
        &app,
        &owner,
        Method::PATCH,
        &format!("/api/v1/members/{admin_id}"),
        Some(json!({"role": "owner"})),
    )
    .await;
    assert_eq!(second.status(), 200);
    let step_down = call(
        &app,
        &owner,
        Method::PATCH,
        &format!("/api/v1/members/{owner_id}"),
        Some(json!({"role": "admin"})),
    )
    .await;
    assert_eq!(step_down.status(), 200);

    // A removed member's tokens stop working.
    let removed = call(
        &app,
        &admin,
        Method::DELETE,
        &format!("/api/v1/members/{member_id}"),
        None,
    )
    .await;
    assert_eq!(removed.status(), 200);
    assert_eq!(
        call(&app, &member, Method::GET, "/api/v1/short", None)
            .await
            .status(),
        401
    );
}

#[tokio::test]
async fn the_pages_enforce_the_same_roles() {
    let app = TestApp::spawn().await;
    let mut member = person_with_role(&app, "member@acme.test", Role::Member).await;
    let mut admin = person_with_role(&app, "admin@acme.test", Role::Admin).await;

    // Tokens: anyone makes their own, shown once.
    member.get("/dashboard/tokens").await;
    let made = member
        .post(
            "/dashboard/tokens",
            &[
                ("name", "my script"),
                ("expires_in_days", ""),
                ("daily_limit", ""),
            ],
        )
        .await;
    assert_eq!(made.status, StatusCode::OK);
    assert!(made.contains("shown only this once"));
    let secret_at = made.html.find("id=\"token-value\">").unwrap() + "id=\"token-value\">".len();
    let secret =
        made.html[secret_at..made.html[secret_at..].find('<').unwrap() + secret_at].to_owned();
    assert_eq!(
        app.request_as(&secret, Method::GET, "/api/v1/short")
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    let listed = member.get("/dashboard/tokens").await;
    assert!(!listed.contains(&secret), "never shown again");
    let bad = member
        .post(
            "/dashboard/tokens",
            &[("name", ""), ("daily_limit", "9999")],
        )
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(bad.contains("id=\"name-error\"") && bad.contains("id=\"limit-error\""));

    // Domains: members see, admins manage.
    let page = member.get("/dashboard/domains").await;
    assert!(!page.contains("Add a domain"));
    let refused = member
        .post("/dashboard/domains", &[("host", "go.acme.test")])
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    admin.get("/dashboard/domains").await;
    let added = admin
        .post("/dashboard/domains", &[("host", "go.acme.test")])
        .await;
    assert_eq!(added.status, StatusCode::SEE_OTHER);
    let bad_host = admin
        .post("/dashboard/domains", &[("host", "https://x/y")])
        .await;
    assert!(bad_host.contains("id=\"host-error\""));
    app.create_short(
        json!({"destination": "https://example.com", "route": "x", "domain": "go.acme.test"}),
    )
    .await;
    admin.get("/dashboard/domains").await;
    let in_use = admin
        .post("/dashboard/domains/remove", &[("host", "go.acme.test")])
        .await;
    assert_eq!(in_use.status, StatusCode::CONFLICT);
    assert!(in_use.contains("still has 1 live link"));

    // Team: admins add members, whose one-time password must be changed at first sign-in.
    let team = member.get("/dashboard/team").await;
    assert!(!team.contains("Add a member"));
    assert_eq!(
        member
            .post(
                "/dashboard/team",
                &[("email", "x@acme.test"), ("role", "member")]
            )
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    admin.get("/dashboard/team").await;
    let bad_email = admin
        .post(
            "/dashboard/team",
            &[("email", "not an address"), ("role", "member")],
        )
        .await;
    assert_eq!(bad_email.status, StatusCode::BAD_REQUEST);
    assert!(bad_email.contains("id=\"email-error\""));
    let added = admin
        .post(
            "/dashboard/team",
            &[("email", "newbie@acme.test"), ("role", "member")],
        )
        .await;
    assert!(added.contains("can sign in now"));
    let at =
        added.html.find("one-time password: <code>").unwrap() + "one-time password: <code>".len();
    let one_time = added.html[at..at + added.html[at..].find('<').unwrap()].to_owned();
    let mut newbie = Person::new(&app);
    newbie.sign_in("newbie@acme.test", &one_time).await;
    assert_eq!(
        newbie.get("/dashboard/links").await.location.as_deref(),
        Some("/dashboard/account/password")
    );
    let twice = admin
        .post(
            "/dashboard/team",
            &[("email", "newbie@acme.test"), ("role", "member")],
        )
        .await;
    assert!(twice.contains("already a member"));
    let crown = admin
        .post("/dashboard/team/1/role", &[("role", "owner")])
        .await;
    assert_eq!(
        crown.status,
        StatusCode::FORBIDDEN,
        "an admin is not offered owner, nor may send it"
    );
}
