//! The first start on an empty database: an organization, its owner with a password, and
//! one API token, printed once so a newcomer can start right away. Automation chooses the
//! secrets instead with `OPENPXL_BOOTSTRAP_TOKEN` and `OPENPXL_BOOTSTRAP_PASSWORD`; those
//! are then not printed.

use crate::{
    accounts::{self, TokenRequest},
    auth::{password, token::TokenSecret},
    config::BootstrapArgs,
    operation_error::{FieldProblem, OperationError},
    store::{OnUnique, Role, Store},
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
) -> Result<Option<FirstStart>, OperationError> {
    if store.count_orgs().await? > 0 {
        return Ok(None);
    }
    let org = accounts::org_name(&args.org)
        .map_err(|e| named("OPENPXL_BOOTSTRAP_ORG", e))?
        .to_owned();
    let email = accounts::email(&args.email).map_err(|e| named("OPENPXL_BOOTSTRAP_EMAIL", e))?;
    let chosen_token = args
        .token
        .as_ref()
        .map(|token| TokenSecret::chosen(token.expose().to_owned()))
        .transpose()
        .map_err(|message| {
            OperationError::invalid(
                "OPENPXL_BOOTSTRAP_TOKEN",
                format!("OPENPXL_BOOTSTRAP_TOKEN: {message}"),
            )
        })?;
    let chosen_password = args.password.as_ref().map(|p| p.expose().to_owned());
    if let Some(password) = &chosen_password {
        accounts::check_password(password).map_err(|e| named("OPENPXL_BOOTSTRAP_PASSWORD", e))?;
    }
    let inserted = store
        .insert_org(&org, timestamp::now())
        .await
        .on_unique(|| OperationError::Conflict("bootstrapped by another instance".into()));
    match inserted {
        Ok(_) => {}
        Err(OperationError::Conflict(_)) => return Ok(None),
        Err(e) => return Err(e),
    }
    let (org_id, user_id) = accounts::ensure_member(store, &org, &email, Role::Owner).await?;
    let generated_password = chosen_password.is_none().then(password::generate);
    let password = chosen_password
        .or_else(|| generated_password.clone())
        .unwrap_or_default();
    accounts::set_password(store, user_id, password)
        .await
        .map_err(|e| named("OPENPXL_BOOTSTRAP_PASSWORD", e))?;
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

/// A problem with a bootstrap setting, said with the variable's name in front.
fn named(variable: &'static str, error: OperationError) -> OperationError {
    match error {
        OperationError::Invalid(problems) => OperationError::Invalid(
            problems
                .into_iter()
                .map(|p| FieldProblem {
                    field: variable,
                    message: format!("{variable}: {}", p.message),
                })
                .collect(),
        ),
        other => other,
    }
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
