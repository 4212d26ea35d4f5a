//! What every request handler shares: the store and the server's settings.

use std::{ops::Deref, sync::Arc, time::Duration};

use crate::{config::ServeArgs, links::Host, store::Store};

/// Settings the running server needs, derived once from the command line.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The server's own short domain, normalized.
    pub default_domain: String,
    /// Daily request limit of tokens without one of their own.
    pub daily_limit: i64,
    pub request_timeout: Duration,
    pub max_body_bytes: usize,
}

impl Settings {
    pub fn from_args(args: &ServeArgs) -> anyhow::Result<Self> {
        let default_domain = Host::parse(&args.default_domain)
            .map_err(|e| anyhow::anyhow!("OPENPXL_DEFAULT_DOMAIN: {e}"))?
            .into_string();
        Ok(Self {
            default_domain,
            daily_limit: args.daily_limit,
            request_timeout: args.request_timeout(),
            max_body_bytes: args.max_body_bytes,
        })
    }
}

pub struct App {
    pub store: Store,
    pub settings: Settings,
}

/// Cheap to clone: one `Arc`.
#[derive(Clone)]
pub struct AppState(Arc<App>);

impl AppState {
    pub fn new(store: Store, settings: Settings) -> Self {
        Self(Arc::new(App { store, settings }))
    }
}

impl Deref for AppState {
    type Target = App;

    fn deref(&self) -> &App {
        &self.0
    }
}
