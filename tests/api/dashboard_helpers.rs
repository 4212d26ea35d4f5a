//! A person at the dashboard, over HTTP: a client with a cookie jar that signs in, reads
//! pages, and sends forms with the form token of the page it read last.

use std::sync::Arc;

use openpxl::{
    accounts,
    store::{Pools, Role, Store},
};
use reqwest::{StatusCode, cookie::Jar, redirect::Policy};

use crate::helpers::{ORG, TestApp};

/// The password of every person the tests make.
pub const PASSWORD: &str = "correct horse battery";

pub struct Person {
    pub client: reqwest::Client,
    jar: Arc<Jar>,
    base: String,
    /// The form token of the last page read.
    pub csrf: String,
}

/// A page as the browser got it.
pub struct Page {
    pub status: StatusCode,
    pub location: Option<String>,
    pub html: String,
}

impl Page {
    pub fn contains(&self, text: &str) -> bool {
        self.html.contains(text)
    }
}

/// The value of `name="csrf"` in a page, if any.
pub fn csrf_of(html: &str) -> Option<String> {
    let at = html.find("name=\"csrf\" value=\"")?;
    let rest = &html[at + "name=\"csrf\" value=\"".len()..];
    Some(rest[..rest.find('"')?].to_owned())
}

impl Person {
    pub fn new(app: &TestApp) -> Self {
        Self::at(&app.server.address, None)
    }

    /// A person at the server at `base` (`http://host:port`), connecting from
    /// `local_address` when given.
    pub fn at(base: &str, local_address: Option<std::net::IpAddr>) -> Self {
        let jar = Arc::new(Jar::default());
        let client = reqwest::Client::builder()
            .redirect(Policy::none())
            .cookie_provider(jar.clone())
            .local_address(local_address)
            .build()
            .unwrap();
        Self {
            client,
            jar,
            base: base.to_owned(),
            csrf: String::new(),
        }
    }

    /// The `Cookie` header the browser would send to the dashboard.
    pub fn cookies(&self) -> String {
        use reqwest::cookie::CookieStore;
        let url = format!("{}/dashboard/", self.base).parse().unwrap();
        self.jar
            .cookies(&url)
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default()
    }

    pub async fn get(&mut self, path: &str) -> Page {
        let response = self
            .client
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .unwrap();
        self.page(response).await
    }

    /// Sends a form with the last page's token (unless the fields carry their own).
    pub async fn post(&mut self, path: &str, fields: &[(&str, &str)]) -> Page {
        let mut form: Vec<(String, String)> = fields
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        if !fields.iter().any(|(k, _)| *k == "csrf") {
            form.push(("csrf".into(), self.csrf.clone()));
        }
        let response = self
            .client
            .post(format!("{}{path}", self.base))
            .form(&form)
            .send()
            .await
            .unwrap();
        self.page(response).await
    }

    async fn page(&mut self, response: reqwest::Response) -> Page {
        let status = response.status();
        let location = response
            .headers()
            .get("location")
            .map(|v| v.to_str().unwrap().to_owned());
        let html = response.text().await.unwrap();
        if let Some(csrf) = csrf_of(&html) {
            self.csrf = csrf;
        }
        Page {
            status,
            location,
            html,
        }
    }

    /// Signs in, expecting to succeed.
    pub async fn sign_in(&mut self, email: &str, password: &str) {
        let page = self.try_sign_in(email, password).await;
        assert_eq!(
            page.status,
            StatusCode::SEE_OTHER,
            "sign-in failed: {}",
            page.html
        );
    }

    pub async fn try_sign_in(&mut self, email: &str, password: &str) -> Page {
        self.get("/dashboard/sign-in").await;
        self.post(
            "/dashboard/sign-in",
            &[
                ("email", email),
                ("password", password),
                ("next", "/dashboard/links"),
            ],
        )
        .await
    }
}

/// A user with `role` in the app's organization and the tests' password.
pub async fn person_with_role(app: &TestApp, email: &str, role: Role) -> Person {
    let (_, user_id) = accounts::ensure_member(app.store(), ORG, email, role)
        .await
        .unwrap();
    accounts::set_password(app.store(), user_id, PASSWORD.into())
        .await
        .unwrap();
    let mut person = Person::new(app);
    person.sign_in(email, PASSWORD).await;
    person
}

/// The owner of the app's organization (the user of the app's token), signed in.
pub async fn owner(app: &TestApp) -> Person {
    person_with_role(app, crate::helpers::EMAIL, Role::Owner).await
}

/// A second connection to the test database, for looking at what is stored.
pub async fn look(app: &TestApp) -> Store {
    Store::open(&app.db.url, Pools::for_command())
        .await
        .unwrap()
}
