//! Click capture off the request path: the [`ClickEvent`] a redirect hands over (with
//! its [`Outcome`]), its enrichment (User-Agent, GeoIP, referrer and utm, visitor key)
//! and the batching [`ClickRecorder`] that writes it, with the fold of link counters
//! beside it ([`counts`]).

mod backlog;
pub mod counts;
mod enrich;
mod event;
pub mod geo;
mod outcome;
mod recorder;
pub mod referrer;
pub mod user_agent;
pub mod visitor;

pub use enrich::{Enricher, first_language};
pub use event::ClickEvent;
pub use outcome::Outcome;
pub use recorder::{ClickRecorder, RecorderConfig, RecorderStatus};
