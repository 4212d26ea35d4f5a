//! The first start on an empty database: an organization, its owner with a password, and
//! one API token, printed once so a newcomer can start right away. Automation chooses the
//! secrets instead with `OPENPXL_BOOTSTRAP_TOKEN` and `OPENPXL_BOOTSTRAP_PASSWORD`; those
//! are then not printed.

use anyhow::Context;

use crate::{
    accounts::{self, TokenRequest},
    auth::{password, token::TokenSecret},
    config::BootstrapArgs,
    store::{Role, Store, is_unique_violation},
    timestamp,
};

/// What the first start created; `None` fields were chosen by the operator.
#[derive(Debug)]
pub struct FirstStart {
    pub org: String,
    pub email: String,
    pub generated_password: Option<String>,
    pub generated_token: Option<TokenSecret>,
}

/// Creates the first organization, owner and token if the database has no organization.
/// Safe when several instances start at once: the organization's unique name decides which
/// one bootstraps.
pub async fn first_start(
    store: &Store,
    args: &BootstrapArgs,
) -> anyhow::Result<Option<FirstStart>> {
    if store.count_orgs().await? > 0 {
        return Ok(None);
    }
    let org = accounts::org_name(&args.org)?.to_owned();
    let email = accounts::email(&args.email)?;
    let chosen_token = args
        .token
        .clone()
        .map(TokenSecret::chosen)
        .transpose()
        .map_err(|e| anyhow::anyhow!("OPENPXL_BOOTSTRAP_TOKEN: {e}"))?;
    if let Some(password) = &args.password {
        accounts::check_password(password).context("OPENPXL_BOOTSTRAP_PASSWORD")?;
    }
    match store.insert_org(&org, timestamp::now()).await {
        Ok(_) => {}
        Err(e) if is_unique_violation(&e) => return Ok(None),
        Err(e) => return Err(e.into()),
    }
    let (org_id, user_id) = accounts::ensure_member(store, &org, &email, Role::Owner).await?;
    let generated_password = args.password.is_none().then(password::generate);
    let password = args
        .password
        .clone()
        .or_else(|| generated_password.clone())
        .unwrap_or_default();
    accounts::set_password(store, user_id, password)
        .await
        .context("OPENPXL_BOOTSTRAP_PASSWORD")?;
    let token_was_chosen = chosen_token.is_some();
    let issued = accounts::issue_token(
        store,
        TokenRequest {
            org: &org,
            email: &email,
            name: "bootstrap",
            daily_limit: None,
            expires_in_days: None,
            secret: chosen_token,
        },
    )
    .await?;
    tracing::info!(
        org.id = org_id,
        token.id = issued.id,
        "first start: organization, owner and token created"
    );
    Ok(Some(FirstStart {
        org,
        email,
        generated_password,
        generated_token: (!token_was_chosen).then_some(issued.secret),
    }))
}

impl FirstStart {
    /// The one-time banner with the login and the token.
    pub fn banner(&self, base_url: &str) -> String {
        let password = self
            .generated_password
            .as_deref()
            .unwrap_or("(from OPENPXL_BOOTSTRAP_PASSWORD)");
        let token = self
            .generated_token
            .as_ref()
            .map_or("(from OPENPXL_BOOTSTRAP_TOKEN)", TokenSecret::expose);
        let example_token = if self.generated_token.is_some() {
            token
        } else {
            "$OPENPXL_BOOTSTRAP_TOKEN"
        };
        format!(
            "\n==================== openpxl: first start ====================\n\
             Created organization {org:?} and its owner.\n\
             \n  login:     {email}\n  password:  {password}\n  API token: {token}\n\n\
             They are shown this once: keep them somewhere safe now.\n\
             Try:  curl -H 'Authorization: Bearer {example_token}' {base_url}/api/v1/short\n\
             ==============================================================\n",
            org = self.org,
            email = self.email,
        )
    }
}
