//! `TestApp`: the real server on an ephemeral port over a fresh database (SQLite in a
//! temporary directory, or a new Postgres database when `TEST_DATABASE_URL` is set), with
//! one helper per endpoint.

use clap::Parser;
use openpxl::{
    accounts::{self, TokenRequest},
    config::{Cli, Command},
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

    /// A SQLite database at `path` (for tests that choose its filesystem).
    pub fn sqlite_at(path: &std::path::Path) -> Self {
        Self {
            url: format!("sqlite://{}", path.display()),
            postgres: None,
            _dir: None,
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

impl TestDatabase {
    pub fn is_postgres(&self) -> bool {
        self.postgres.is_some()
    }

    /// The table that holds click rows, for a test that deletes some: `clicks` is a view
    /// over `click_rows` and its dictionaries (migration 0019 on Postgres, 0022 on SQLite).
    pub fn click_table(&self) -> &'static str {
        "click_rows"
    }

    /// For a test that only means something on Postgres: `true` there; on SQLite it says on
    /// stderr that it was skipped (CI runs the suite on Postgres too) and gives `false`.
    pub fn postgres_only(&self, test: &str, why: &str) -> bool {
        if !self.is_postgres() {
            eprintln!("SKIPPED {test} on SQLite ({why}); it runs with TEST_DATABASE_URL");
        }
        self.is_postgres()
    }

    /// Postgres only: runs each statement on this database, outside any server.
    pub async fn execute_on_postgres(&self, statements: &[&str]) {
        use sqlx::Connection;
        assert!(self.is_postgres(), "a Postgres test database");
        let mut connection = sqlx::PgConnection::connect(&self.url).await.unwrap();
        for statement in statements {
            sqlx::query(statement)
                .execute(&mut connection)
                .await
                .unwrap();
        }
        connection.close().await.unwrap();
    }

    /// Postgres only: refuses (and cuts) or allows again every connection to this database,
    /// to play a database outage.
    pub async fn set_reachable(&self, reachable: bool) {
        use sqlx::Connection;
        let (admin_url, name) = self.postgres.as_ref().expect("a Postgres test database");
        let mut admin = sqlx::PgConnection::connect(admin_url).await.unwrap();
        sqlx::query(&format!(
            "ALTER DATABASE {name} ALLOW_CONNECTIONS {reachable}"
        ))
        .execute(&mut admin)
        .await
        .unwrap();
        if !reachable {
            sqlx::query(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1",
            )
            .bind(name)
            .execute(&mut admin)
            .await
            .unwrap();
        }
        admin.close().await.ok();
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

/// The server's settings as the real option parser makes them, with only the domain
/// given (the database and the address are the test's own): every default is the one
/// `openpxl serve` uses.
pub fn test_settings() -> Settings {
    let cli = Cli::try_parse_from(["openpxl", "serve", "--default-domain", DEFAULT_DOMAIN])
        .expect("the test command line parses");
    let Some(Command::Serve(args)) = cli.command else {
        unreachable!("`openpxl serve` is the serve command")
    };
    Settings::from_args(&args).expect("the default settings are valid")
}

/// One running server process (in this test's runtime).
pub struct Server {
    pub address: String,
    pub store: Store,
    pub state: AppState,
    shutdown: Option<oneshot::Sender<()>>,
    handle: Option<JoinHandle<std::io::Result<()>>>,
}

impl Server {
    pub async fn start(database_url: &str, settings: Settings) -> Self {
        let store = Store::open(database_url, settings.pools)
            .await
            .expect("open test database");
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind an ephemeral port");
        let address = format!("http://{}", listener.local_addr().unwrap());
        let (shutdown, signal) = oneshot::channel();
        let state = AppState::start(store.clone(), settings).expect("start the app");
        let handle = tokio::spawn(openpxl::serve(listener, state.clone(), async {
            signal.await.ok();
        }));
        Self {
            address,
            store,
            state,
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
        Self::spawn_on(TestDatabase::new().await, configure).await
    }

    /// A server on a database the test made.
    pub async fn spawn_on(db: TestDatabase, configure: impl FnOnce(&mut Settings)) -> Self {
        let mut app = Self::start_on(db, configure).await;
        app.token = app.issue_token(ORG, EMAIL, None).await;
        app
    }

    /// A server on a database that already has data; the test sets `token` itself.
    pub async fn start_on(db: TestDatabase, configure: impl FnOnce(&mut Settings)) -> Self {
        let mut settings = test_settings();
        configure(&mut settings);
        let server = Server::start(&db.url, settings.clone()).await;
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        Self {
            server,
            client,
            token: String::new(),
            settings,
            db,
        }
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

pub const CHROME_WINDOWS: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 \
                                  (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36";
pub const SAFARI_IPHONE: &str = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) \
                                 AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 \
                                 Mobile/15E148 Safari/604.1";

impl TestApp {
    /// A visit to `http://{host}{path}` as a browser with `user_agent` would make it (the
    /// redirect is not followed).
    pub async fn visit(&self, host: &str, path: &str, user_agent: &str) -> Response {
        self.visit_with(host, path, user_agent, &[]).await
    }

    pub async fn visit_with(
        &self,
        host: &str,
        path: &str,
        user_agent: &str,
        headers: &[(&str, &str)],
    ) -> Response {
        visit_server(
            &self.client,
            &self.server.address,
            host,
            path,
            user_agent,
            headers,
        )
        .await
    }

    /// Waits until every click of the visits made so far is in the database.
    pub async fn flush_clicks(&self) {
        self.server.state.clicks.flush().await;
    }

    /// `count` more stores on this app's database, as other instances of the server would
    /// open them.
    pub async fn other_instances(&self, count: usize) -> Vec<Store> {
        let mut instances = Vec::with_capacity(count);
        for _ in 0..count {
            instances.push(
                Store::open(&self.db.url, openpxl::store::Pools::for_command())
                    .await
                    .unwrap(),
            );
        }
        instances
    }

    /// The internal id of a live link.
    pub async fn link_id(&self, domain: &str, route: &str) -> i64 {
        self.store()
            .resolve_link(domain, route)
            .await
            .unwrap()
            .expect("link exists")
            .id
    }
}

/// A visit to a given server.
pub async fn visit_server(
    client: &reqwest::Client,
    address: &str,
    host: &str,
    path: &str,
    user_agent: &str,
    headers: &[(&str, &str)],
) -> Response {
    let mut request = client
        .get(format!("{address}{path}"))
        .header("host", host)
        .header("user-agent", user_agent);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    request.send().await.unwrap()
}
