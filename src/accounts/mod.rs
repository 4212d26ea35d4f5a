//! Organizations, users, memberships, API tokens and custom domains: the operations the
//! CLI, the first start, the dashboard and the tests share, so there is one way to make
//! each and one sentence for each way it can fail ([`OperationError`]).

mod domains;
mod orgs;
mod roles;
mod sign_in;
mod team;
mod tokens;
mod users;

pub use domains::{add_domain, add_domain_as, domains, remove_domain_as};
pub use orgs::{create_org, ensure_org, org_by_name, org_name};
pub use sign_in::{WRONG_CREDENTIALS, change_password, verify_sign_in};
pub use team::{add_member, change_role, members, remove_member};
pub use tokens::{
    IssuedToken, NewToken, TokenRequest, create_token, issue_token, revoke_token, revoke_token_as,
    visible_tokens,
};
pub use users::{check_password, email, ensure_member, ensure_user, reset_password, set_password};

pub use crate::operation_error::OperationError;
