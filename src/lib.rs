//! Geschillenportaal: a mediation and binding-advice portal for consumer disputes with
//! internet and ICT providers. See `docs/ARCHITECTURE.md` for the map of modules.

pub mod accounts;
pub mod audit;
pub mod bench;
pub mod cases;
pub mod cli;
pub mod db;
pub mod demo;
pub mod documents;
pub mod i18n;
pub mod intake;
pub mod jobs;
pub mod mail;
pub mod policy;
pub mod registry;
pub mod settings;
pub mod startup;
pub mod telemetry;
pub mod web;
