//! Who is calling: API tokens, dashboard passwords, and the bearer-token middleware that
//! authenticates every /api/v1 request and charges it to the token's daily quota.

mod bearer;
mod caller;
pub mod password;
pub mod throttle;
pub mod token;

pub use bearer::authenticate;
pub use caller::{Caller, Credential};
