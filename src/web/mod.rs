//! The HTTP edge: errors, rendering, security middleware and the small pages that
//! belong to no domain module (home, health, language switch, static files).

pub mod error;
pub mod error_pages;
pub mod form;
pub mod health;
pub mod home;
pub mod page;
pub mod public_limit;
pub mod security;
pub mod templates;
pub mod utc;
