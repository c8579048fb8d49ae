//! Integration tests: each starts the real server on a free port with its own fresh
//! database (SQLite by default; PostgreSQL when TEST_DATABASE_URL is set).

mod accounts;
mod authorization;
mod budgets;
mod cases;
mod cases_api;
mod extensions;
mod faults;
mod figures;
mod health;
mod helpers;
mod intake;
mod invites;
mod jobs;
mod outcomes;
mod pages;
mod queues;
mod registration;
mod registry;
mod security;
mod staffing;
mod statistics;
mod storage;
mod transparency;
