//! `TestApp`: the real server on an ephemeral port over a fresh database (SQLite in a
//! temporary directory, or a new Postgres database when `TEST_DATABASE_URL` is set), with
//! one helper per endpoint.

use std::time::Duration;

use openpxl::{
    accounts::{self, TokenRequest},
    state::{AppState, Settings},
    store::Store,
};
use reqwest::{Method, RequestBuilder, Response};
use serde_json::Value;
use tokio::{net::TcpListener, sync::oneshot, task::JoinHandle};

pub const DEFAULT_DOMAIN: &str = "short.test";
pub const ORG: &str = "acme";
pub const EMAIL: &str = "owner@acme.test";

/// A database that exists for one test and is dropped after it.
pub struct TestDatabase {
    pub url: String,
    postgres: Option<(String, String)>, // (admin url, database name)
    _dir: Option<tempfile::TempDir>,
}

impl TestDatabase {
    pub async fn new() -> Self {
        match std::env::var("TEST_DATABASE_URL") {
            Ok(admin_url) if !admin_url.is_empty() => Self::postgres(admin_url).await,
            _ => Self::sqlite(),
        }
    }

    fn sqlite() -> Self {
        let dir = tempfile::tempdir().expect("temporary directory");
        let url = format!("sqlite://{}", dir.path().join("openpxl.db").display());
        Self {
            url,
            postgres: None,
            _dir: Some(dir),
        }
    }

    async fn postgres(admin_url: String) -> Self {
        use sqlx::Connection;
        let name = format!("openpxl_test_{}", uuid::Uuid::new_v4().simple());
        let mut admin = sqlx::PgConnection::connect(&admin_url)
            .await
            .expect("TEST_DATABASE_URL reachable");
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&mut admin)
            .await
            .expect("create test database");
        admin.close().await.ok();
        let mut url = url::Url::parse(&admin_url).expect("TEST_DATABASE_URL is a URL");
        url.set_path(&format!("/{name}"));
        Self {
            url: url.to_string(),
            postgres: Some((admin_url, name)),
            _dir: None,
        }
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let Some((admin_url, name)) = self.postgres.take() else {
            return;
        };
        // Drop runs outside any runtime we may block; use a thread with its own.
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            runtime.block_on(async {
                use sqlx::Connection;
                let mut admin = sqlx::PgConnection::connect(&admin_url).await?;
                sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                    .execute(&mut admin)
                    .await?;
                admin.close().await
            })?;
            Ok::<(), Box<dyn std::error::Error + Send + Sync>>(())
        })
        .join();
        if !matches!(dropped, Ok(Ok(()))) {
            eprintln!("warning: could not drop a test database");
        }
    }
}

pub fn test_settings() -> Settings {
    Settings {
        default_domain: DEFAULT_DOMAIN.to_owned(),
        daily_limit: 500,
        request_timeout: Duration::from_secs(30),
        max_body_bytes: 64 * 1024,
    }
}

/// One running server process (in this test's runtime).
pub struct Server {
    pub address: String,
    pub store: Store,
    shutdown: Option<oneshot::Sender<()>>,
    handle: Option<JoinHandle<std::io::Result<()>>>,
}

impl Server {
    pub async fn start(database_url: &str, settings: Settings) -> Self {
        let store = Store::open(database_url, 8)
            .await
            .expect("open test database");
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind an ephemeral port");
        let address = format!("http://{}", listener.local_addr().unwrap());
        let (shutdown, signal) = oneshot::channel();
        let state = AppState::new(store.clone(), settings);
        let handle = tokio::spawn(openpxl::serve(listener, state, async {
            signal.await.ok();
        }));
        Self {
            address,
            store,
            shutdown: Some(shutdown),
            handle: Some(handle),
        }
    }

    /// Graceful shutdown, waiting for the server to finish.
    pub async fn stop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            shutdown.send(()).ok();
        }
        if let Some(handle) = self.handle.take() {
            handle.await.expect("server task").expect("server ran");
        }
        self.store.close().await;
    }
}

pub struct TestApp {
    pub server: Server,
    pub client: reqwest::Client,
    /// A token of `owner@acme.test` in `acme`.
    pub token: String,
    pub settings: Settings,
    pub db: TestDatabase,
}

impl TestApp {
    pub async fn spawn() -> Self {
        Self::spawn_with(|_| {}).await
    }

    pub async fn spawn_with(configure: impl FnOnce(&mut Settings)) -> Self {
        let db = TestDatabase::new().await;
        let mut settings = test_settings();
        configure(&mut settings);
        let server = Server::start(&db.url, settings.clone()).await;
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        let mut app = Self {
            server,
            client,
            token: String::new(),
            settings,
            db,
        };
        app.token = app.issue_token(ORG, EMAIL, None).await;
        app
    }

    pub fn store(&self) -> &Store {
        &self.server.store
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.server.address)
    }

    /// A new token; the organization and user are created if missing.
    pub async fn issue_token(&self, org: &str, email: &str, daily_limit: Option<i64>) -> String {
        let issued = accounts::issue_token(
            self.store(),
            TokenRequest {
                org,
                email,
                name: "test",
                daily_limit,
                expires_in_days: None,
                secret: None,
            },
        )
        .await
        .expect("issue token");
        issued.secret.expose().to_owned()
    }

    /// A token of another organization, to test tenant isolation.
    pub async fn other_org_token(&self) -> String {
        self.issue_token("globex", "someone@globex.test", None)
            .await
    }

    /// Adds `host` as a short domain of `org`.
    pub async fn add_domain(&self, org: &str, host: &str) {
        let org_id = self
            .store()
            .find_org_id(org)
            .await
            .unwrap()
            .expect("org exists");
        self.store()
            .insert_domain(org_id, host, 0)
            .await
            .expect("add domain");
    }

    /// A request with this app's token.
    pub fn request(&self, method: Method, path: &str) -> RequestBuilder {
        self.request_as(&self.token, method, path)
    }

    pub fn request_as(&self, token: &str, method: Method, path: &str) -> RequestBuilder {
        self.client
            .request(method, self.url(path))
            .bearer_auth(token)
    }

    pub async fn create_short(&self, body: Value) -> Response {
        self.create_short_as(&self.token, body).await
    }

    pub async fn create_short_as(&self, token: &str, body: Value) -> Response {
        self.request_as(token, Method::POST, "/api/v1/short")
            .json(&body)
            .send()
            .await
            .unwrap()
    }

    /// Creates a link and returns its short object, failing the test on any error.
    pub async fn created(&self, body: Value) -> Value {
        let response = self.create_short(body).await;
        assert_eq!(response.status(), 201, "creating a link failed");
        response.json::<Value>().await.unwrap()["data"].clone()
    }

    pub async fn list_shorts(&self, query: &str) -> Response {
        self.request(Method::GET, &format!("/api/v1/short{query}"))
            .send()
            .await
            .unwrap()
    }

    pub async fn get_short(&self, id: &str) -> Response {
        self.request(Method::GET, &format!("/api/v1/short/{id}"))
            .send()
            .await
            .unwrap()
    }

    pub async fn update_short(&self, method: Method, id: &str, body: Value) -> Response {
        self.request(method, &format!("/api/v1/short/{id}"))
            .json(&body)
            .send()
            .await
            .unwrap()
    }

    pub async fn delete_short(&self, id: &str) -> Response {
        self.request(Method::DELETE, &format!("/api/v1/short/{id}"))
            .send()
            .await
            .unwrap()
    }
}

/// Reads an error response and returns its `message` (joined if it is a list), checking
/// the error shape on the way.
pub async fn error_message(response: Response, status: u16) -> String {
    assert_eq!(response.status(), status, "unexpected status");
    let body: Value = response.json().await.expect("error bodies are JSON");
    assert_eq!(body["statusCode"], status);
    assert!(body["error"].is_string(), "error names the status: {body}");
    match &body["message"] {
        Value::String(message) => message.clone(),
        Value::Array(messages) => messages
            .iter()
            .map(|m| m.as_str().expect("messages are strings"))
            .collect::<Vec<_>>()
            .join("\n"),
        other => panic!("message must be a string or a list of strings, got {other}"),
    }
}

/// `https://`-less id of a short object.
pub fn id_of(short: &Value) -> String {
    short["id"].as_str().expect("id is a string").to_owned()
}
