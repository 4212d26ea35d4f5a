//! Users (dashboard logins) and their memberships in organizations.

use std::fmt;

use super::Store;

/// What a member may do in an organization.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Owner,
    Admin,
    Member,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Owner => "owner",
            Self::Admin => "admin",
            Self::Member => "member",
        }
    }
}

impl std::str::FromStr for Role {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        match text {
            "owner" => Ok(Self::Owner),
            "admin" => Ok(Self::Admin),
            "member" => Ok(Self::Member),
            other => Err(format!("unknown role {other:?}")),
        }
    }
}

impl TryFrom<String> for Role {
    type Error = String;

    fn try_from(text: String) -> Result<Self, String> {
        text.parse()
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A member of an organization, as the team page lists them.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Member {
    pub user_id: i64,
    pub email: String,
    #[sqlx(try_from = "String")]
    pub role: Role,
    pub created_at: i64,
}

/// A user about to sign in.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SignInUser {
    pub id: i64,
    pub password_hash: Option<String>,
}

/// One organization of a user, with the user's role in it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Membership {
    pub org_id: i64,
    pub name: String,
    #[sqlx(try_from = "String")]
    pub role: Role,
}

impl Store {
    /// Creates a user; a taken e-mail is a unique violation.
    pub async fn insert_user(
        &self,
        email: &str,
        password_hash: Option<&str>,
        now: i64,
    ) -> Result<i64, sqlx::Error> {
        sqlx::query_scalar(
            "INSERT INTO users (email, password_hash, created_at) VALUES ($1, $2, $3) RETURNING id",
        )
        .bind(email)
        .bind(password_hash)
        .bind(now)
        .fetch_one(&self.pool)
        .await
    }

    pub async fn find_user_id(&self, email: &str) -> Result<Option<i64>, sqlx::Error> {
        sqlx::query_scalar("SELECT id FROM users WHERE email = $1")
            .bind(email)
            .fetch_optional(&self.pool)
            .await
    }

    /// Sets a password hash; `must_change`: the person must choose their own at the next
    /// sign-in (someone else chose this one).
    pub async fn set_password_hash(
        &self,
        user_id: i64,
        hash: &str,
        must_change: bool,
    ) -> Result<(), sqlx::Error> {
        sqlx::query("UPDATE users SET password_hash = $1, must_change_password = $2 WHERE id = $3")
            .bind(hash)
            .bind(must_change)
            .bind(user_id)
            .execute(&self.pool)
            .await
            .map(|_| ())
    }

    /// What signing in needs to know about the user with this e-mail.
    pub async fn find_user_for_sign_in(
        &self,
        email: &str,
    ) -> Result<Option<SignInUser>, sqlx::Error> {
        sqlx::query_as("SELECT id, password_hash FROM users WHERE email = $1")
            .bind(email)
            .fetch_optional(&self.pool)
            .await
    }

    /// The password hash of a user.
    pub async fn password_hash(&self, user_id: i64) -> Result<Option<String>, sqlx::Error> {
        sqlx::query_scalar("SELECT password_hash FROM users WHERE id = $1")
            .bind(user_id)
            .fetch_optional(&self.pool)
            .await
            .map(Option::flatten)
    }

    /// The members of an organization, owners first, then by e-mail.
    pub async fn members(&self, org_id: i64) -> Result<Vec<Member>, sqlx::Error> {
        sqlx::query_as(
            "SELECT u.id AS user_id, u.email, m.role, m.created_at FROM memberships m \
             JOIN users u ON u.id = m.user_id WHERE m.org_id = $1 \
             ORDER BY CASE m.role WHEN 'owner' THEN 0 WHEN 'admin' THEN 1 ELSE 2 END, u.email",
        )
        .bind(org_id)
        .fetch_all(&self.pool)
        .await
    }

    /// A user's role in an organization, if they are a member.
    pub async fn role_in(&self, org_id: i64, user_id: i64) -> Result<Option<Role>, sqlx::Error> {
        let role: Option<String> =
            sqlx::query_scalar("SELECT role FROM memberships WHERE org_id = $1 AND user_id = $2")
                .bind(org_id)
                .bind(user_id)
                .fetch_optional(&self.pool)
                .await?;
        Ok(role.and_then(|r| r.parse().ok()))
    }

    pub async fn set_role(&self, org_id: i64, user_id: i64, role: Role) -> Result<(), sqlx::Error> {
        sqlx::query("UPDATE memberships SET role = $3 WHERE org_id = $1 AND user_id = $2")
            .bind(org_id)
            .bind(user_id)
            .bind(role.as_str())
            .execute(&self.pool)
            .await
            .map(|_| ())
    }

    /// Removes a membership (and, by the foreign key, the member's tokens in it).
    pub async fn delete_membership(&self, org_id: i64, user_id: i64) -> Result<(), sqlx::Error> {
        sqlx::query("DELETE FROM memberships WHERE org_id = $1 AND user_id = $2")
            .bind(org_id)
            .bind(user_id)
            .execute(&self.pool)
            .await
            .map(|_| ())
    }

    /// The organizations a user belongs to, by name.
    pub async fn memberships_of(&self, user_id: i64) -> Result<Vec<Membership>, sqlx::Error> {
        sqlx::query_as(
            "SELECT o.id AS org_id, o.name, m.role FROM memberships m \
             JOIN organizations o ON o.id = m.org_id WHERE m.user_id = $1 ORDER BY o.name",
        )
        .bind(user_id)
        .fetch_all(&self.pool)
        .await
    }

    /// Adds a user to an organization; an existing membership keeps its role.
    /// Returns whether a membership was created.
    pub async fn insert_membership(
        &self,
        org_id: i64,
        user_id: i64,
        role: Role,
        now: i64,
    ) -> Result<bool, sqlx::Error> {
        let result = sqlx::query(
            "INSERT INTO memberships (org_id, user_id, role, created_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (org_id, user_id) DO NOTHING",
        )
        .bind(org_id)
        .bind(user_id)
        .bind(role.as_str())
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(result.rows_affected() == 1)
    }
}
