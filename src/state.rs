//! What every request handler shares: the store, the server's settings, the link cache and
//! the click recorder.

use std::{net::SocketAddr, ops::Deref, path::PathBuf, sync::Arc, time::Duration};

use prometheus_client::registry::Registry;

use crate::{
    analytics::{limiter::InsightLimiter, live::LiveDays},
    auth::throttle::SignInThrottle,
    clicks::{
        ClickRecorder, Enricher, RecorderConfig,
        geo::{GeoIp, GeoIpError},
    },
    config::ServeArgs,
    link_cache::{LinkResolver, invalidation},
    links::Host,
    metrics::{Metrics, collectors::ServerCollector},
    server::ConnectionLimits,
    store::{Pools, Store},
};

/// Settings the running server needs, derived once from the command line.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The server's own short domain, normalized.
    pub default_domain: String,
    /// Daily request limit of tokens without one of their own.
    pub daily_limit: i64,
    pub request_timeout: Duration,
    pub max_body_bytes: usize,
    pub geoip_db: Option<PathBuf>,
    pub trust_proxy: bool,
    pub serve_any_host: bool,
    pub link_cache_size: usize,
    pub recorder: RecorderConfig,
    pub shutdown_timeout: Duration,
    pub connections: ConnectionLimits,
    /// Longest an insight request waits for its answer (the Postgres statement timeout
    /// of the analytics pool is the same).
    pub analytics_timeout: Duration,
    /// Insight requests one organization may run at once on this instance.
    pub insight_concurrency: usize,
    /// The database connection pools to open.
    pub pools: Pools,
    /// Where people open the dashboard (`OPENPXL_PUBLIC_URL`).
    pub public_url: url::Url,
    /// Where the metrics are served (`OPENPXL_METRICS_LISTEN`), if anywhere.
    pub metrics_listen: Option<SocketAddr>,
    /// The time visits are judged by (the system's; tests set their own).
    pub clock: crate::clock::Clock,
}

impl Settings {
    /// Session cookies are `Secure` when the dashboard is served over https.
    pub fn secure_cookies(&self) -> bool {
        self.public_url.scheme() == "https"
    }
}

/// An option the server cannot start with.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct SettingsError(String);

impl Settings {
    pub fn from_args(args: &ServeArgs) -> Result<Self, SettingsError> {
        let default_domain = Host::parse(&args.default_domain)
            .map_err(|e| SettingsError(format!("OPENPXL_DEFAULT_DOMAIN: {e}")))?
            .into_string();
        let public_url = public_url(args.public_url.as_deref(), &default_domain)?;
        Ok(Self {
            default_domain,
            daily_limit: args.daily_limit,
            request_timeout: args.request_timeout(),
            max_body_bytes: args.max_body_bytes,
            geoip_db: args.geoip_db.clone(),
            trust_proxy: args.trust_proxy,
            serve_any_host: args.serve_any_host,
            link_cache_size: args.link_cache_size,
            recorder: RecorderConfig {
                max_pending: usize::try_from(args.click_buffer).unwrap_or(usize::MAX),
                ..RecorderConfig::default()
            },
            shutdown_timeout: Duration::from_secs(args.shutdown_timeout),
            connections: ConnectionLimits {
                max_connections: args.max_connections,
                header_read_timeout: Duration::from_secs(args.header_read_timeout),
                // Requests in flight cannot outlast the request timeout anyway.
                drain_timeout: args.request_timeout(),
            },
            analytics_timeout: Duration::from_secs(args.analytics_timeout),
            insight_concurrency: args.insight_concurrency,
            public_url,
            metrics_listen: args.metrics_listen,
            clock: crate::clock::Clock::system(),
            pools: Pools {
                main: args.database.db_max_connections,
                analytics: args.database.db_analytics_connections,
                analytics_timeout: Duration::from_secs(args.analytics_timeout),
            },
        })
    }
}

/// `OPENPXL_PUBLIC_URL`, or http:// and the default domain.
fn public_url(given: Option<&str>, default_domain: &str) -> Result<url::Url, SettingsError> {
    let text = given.map_or_else(|| format!("http://{default_domain}/"), str::to_owned);
    let url = url::Url::parse(&text).map_err(|e| {
        SettingsError(format!(
            "OPENPXL_PUBLIC_URL must be an absolute URL such as https://go.example.com ({e})"
        ))
    })?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(SettingsError(
            "OPENPXL_PUBLIC_URL must be an http:// or https:// URL with a host, such as \
             https://go.example.com"
                .into(),
        ));
    }
    Ok(url)
}

pub struct App {
    pub store: Store,
    pub settings: Settings,
    pub links: Arc<LinkResolver>,
    pub clicks: ClickRecorder,
    /// Counters and histograms, updated as things happen.
    pub metrics: Metrics,
    /// Everything the metrics endpoint reports.
    pub metrics_registry: Arc<Registry>,
    /// Insight requests running per organization.
    pub insights: InsightLimiter,
    /// Today's (and yesterday's) clicks rolled up in memory, per organization asked about.
    pub live_days: Arc<LiveDays>,
    /// Failed dashboard sign-ins, per account and per client address.
    pub sign_ins: SignInThrottle,
    /// Wrong passwords of protected links, per link and per visitor address.
    pub link_unlocks: SignInThrottle,
    /// The GeoIP database, for targeting rules on `country` (the recorder has it too).
    pub geoip: Option<Arc<GeoIp>>,
}

/// Cheap to clone: one `Arc`.
#[derive(Clone)]
pub struct AppState(Arc<App>);

impl AppState {
    /// Opens the GeoIP database, starts the click recorder and (on Postgres) the listener
    /// that keeps the link cache in step with other instances.
    pub fn start(store: Store, settings: Settings) -> Result<Self, GeoIpError> {
        let geoip = settings
            .geoip_db
            .as_deref()
            .map(GeoIp::open)
            .transpose()?
            .map(Arc::new);
        let metrics = Metrics::new();
        let (clicks, _recorder) = ClickRecorder::start(
            store.clone(),
            Enricher::new(geoip.clone()),
            settings.recorder.clone(),
            Some(metrics.recorder.clone()),
        );
        let links = Arc::new(LinkResolver::new(store.clone(), settings.link_cache_size));
        invalidation::listen(&store, links.clone());
        let insights = InsightLimiter::new(settings.insight_concurrency);
        let mut registry = Registry::with_prefix("openpxl");
        metrics.register(&mut registry);
        registry.register_collector(Box::new(ServerCollector {
            clicks: clicks.clone(),
            store: store.clone(),
            links: links.clone(),
        }));
        Ok(Self(Arc::new(App {
            store,
            settings,
            links,
            clicks,
            metrics,
            metrics_registry: Arc::new(registry),
            insights,
            live_days: Arc::new(LiveDays::default()),
            sign_ins: SignInThrottle::default(),
            link_unlocks: SignInThrottle::default(),
            geoip,
        })))
    }

    /// A link was created, changed or deleted: forget it here, and tell other instances.
    pub async fn link_changed(&self, domain: &str, route: &str) {
        let key = crate::link_cache::resolver::key(domain, route);
        self.links.invalidate(&key);
        invalidation::announce(&self.store, self.links.id(), &key).await;
    }
}

impl Deref for AppState {
    type Target = App;

    fn deref(&self) -> &App {
        &self.0
    }
}
