//! Accounts, passwords and tokens, and who may do what.
//!
//! Passwords are hashed with argon2id (the `argon2` crate's defaults, a random salt each).
//! Logging in gives a random 256-bit bearer token; only its SHA-256 is stored, so a copy of
//! the database does not let anyone in. Every request but `/api/health`, `/api/openapi.json`
//! and `/api/login` carries `Authorization: Bearer TOKEN`.

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::{ApiError, AppState};

/// How long a token lasts (12 hours).
pub const TOKEN_SECONDS: i64 = 12 * 3600;

/// What an account is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Everything, including accounts.
    Admin,
    /// Plans, the organisation, closing periods, every alert.
    Planner,
    /// Reports (in bulk) for the teams of their enterprise; sees their enterprise.
    EnterpriseManager,
    /// Reports for their own team; sees their team.
    TeamLeader,
    /// Reads monitoring, ranking and alerts; changes nothing.
    Observer,
}

impl Role {
    pub fn name(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Planner => "planner",
            Role::EnterpriseManager => "enterprise_manager",
            Role::TeamLeader => "team_leader",
            Role::Observer => "observer",
        }
    }

    pub fn parse(text: &str) -> Option<Role> {
        [
            Role::Admin,
            Role::Planner,
            Role::EnterpriseManager,
            Role::TeamLeader,
            Role::Observer,
        ]
        .into_iter()
        .find(|r| r.name() == text)
    }
}

/// The account a request comes from.
#[derive(Debug, Clone, PartialEq)]
pub struct Caller {
    pub name: String,
    pub role: Role,
    pub enterprise: Option<String>,
    pub team: Option<String>,
}

impl Caller {
    /// Refuses (403) unless the caller has one of `roles`.
    pub fn require(&self, roles: &[Role], action: &str) -> Result<(), ApiError> {
        if roles.contains(&self.role) {
            Ok(())
        } else {
            Err(ApiError::forbidden(format!(
                "a {} may not {action}",
                self.role.name()
            )))
        }
    }

    /// Whether the caller may see or act for `team` of `enterprise`.
    pub fn covers(&self, team: &str, enterprise: &str) -> bool {
        match self.role {
            Role::Admin | Role::Planner | Role::Observer => true,
            Role::EnterpriseManager => self.enterprise.as_deref() == Some(enterprise),
            Role::TeamLeader => self.team.as_deref() == Some(team),
        }
    }
}

/// Hashes a password with argon2id and a fresh salt.
pub fn hash_password(password: &str) -> Result<String, ApiError> {
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).map_err(|e| ApiError::internal(format!("no randomness: {e}")))?;
    let salt = SaltString::encode_b64(&salt).map_err(|e| ApiError::internal(e.to_string()))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| ApiError::internal(format!("hashing the password: {e}")))
}

/// Whether `password` matches `hash`.
pub fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash)
        .map(|parsed| {
            Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        })
        .unwrap_or(false)
}

/// A new random token (64 hex digits).
pub fn new_token() -> Result<String, ApiError> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| ApiError::internal(format!("no randomness: {e}")))?;
    Ok(hex(&bytes))
}

/// What is stored of a token.
pub fn token_hash(token: &str) -> String {
    hex(&Sha256::digest(token.as_bytes()))
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Refuses passwords that are too short to be worth hashing.
pub fn check_password_strength(password: &str) -> Result<(), ApiError> {
    if password.chars().count() < 10 {
        return Err(ApiError::unprocessable(
            "the password must have at least 10 characters",
        ));
    }
    Ok(())
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        // The rate limiter has hashed the token already (see `crate::api::router`).
        let hash = match parts.extensions.get::<TokenHash>() {
            Some(TokenHash(hash)) => hash.clone(),
            None => token_hash(bearer_token(&parts.headers)?),
        };
        state.caller(&hash).await
    }
}

/// The SHA-256 of a request's bearer token, computed once per request.
#[derive(Debug, Clone)]
pub struct TokenHash(pub String);

/// The bearer token of a request (401 when there is none).
pub fn bearer_token(headers: &axum::http::HeaderMap) -> Result<&str, ApiError> {
    let header = headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| {
            ApiError::unauthorized(
                "log in first: send `Authorization: Bearer TOKEN` (POST /api/login gives one)",
            )
        })?;
    header
        .strip_prefix("Bearer ")
        .map(str::trim)
        .ok_or_else(|| ApiError::unauthorized("the Authorization header must be `Bearer TOKEN`"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_verify_only_against_their_own_hash() {
        let hash = hash_password("correct horse battery").unwrap();
        assert!(hash.starts_with("$argon2id$"));
        assert!(verify_password("correct horse battery", &hash));
        assert!(!verify_password("correct horse battery!", &hash));
        assert!(!verify_password("x", "not a hash"));
        assert_ne!(
            hash,
            hash_password("correct horse battery").unwrap(),
            "salted"
        );
    }

    #[test]
    fn tokens_are_random_and_stored_hashed() {
        let (a, b) = (new_token().unwrap(), new_token().unwrap());
        assert_eq!(a.len(), 64);
        assert_ne!(a, b);
        assert_eq!(token_hash(&a).len(), 64);
        assert_ne!(token_hash(&a), a);
    }
}
