//! Geschillenportaal: a mediation and binding-advice portal for consumer disputes with
//! internet and ICT providers. See `docs/ARCHITECTURE.md` for the map of modules.

pub mod accounts;
pub mod audit;
pub mod bench;
pub mod cases;
pub mod cli;
pub mod compliance;
pub mod db;
pub mod demo;
pub mod documents;
pub mod hearings;
pub mod i18n;
pub mod intake;
pub mod jobs;
pub mod mail;
pub mod notices;
pub mod offers;
pub mod openapi;
pub mod outcome_pages;
pub mod policy;
pub mod printable;
pub mod privacy;
pub mod publication;
pub mod registry;
pub mod report;
pub mod rulings;
pub mod settings;
pub mod startup;
pub mod statistics;
pub mod telemetry;
pub mod web;
pub mod webhooks;
