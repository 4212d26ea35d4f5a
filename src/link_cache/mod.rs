//! The in-process link cache: `(domain, route) → link` for the redirect's hot path
//! ([`resolver`]; plain links also as a [`PlainLink`], for the fastest path), kept true
//! on every instance by invalidation over Postgres LISTEN/NOTIFY ([`invalidation`]). It
//! sits below its users: the app state owns one, the redirect reads it, and the API, the
//! dashboard and the CLI tell it about changes.

pub mod invalidation;
mod plain_link;
mod ready_location;
pub mod resolver;

pub use plain_link::PlainLink;
pub use ready_location::ReadyLocation;
pub use resolver::{CacheStats, LinkResolver, RedirectTarget, Targeted, location_header};
