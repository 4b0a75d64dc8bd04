//! Lantern's HTTP-level integration tests: one test binary, every test on
//! SQLite and PostgreSQL (see `both!`).

mod support;

mod appointments;
mod audit;
mod auth;
mod browser;
mod browser_kit;
mod browser_plans;
mod browser_wellness;
mod browser_practice;
mod browser_referral;
mod browser_team;
mod browser_growth;
mod catalogue;
mod certifications;
mod crisis;
mod directory;
mod directory_store;
mod growth;
mod language;
mod matrix;
mod notes;
mod people;
mod practice;
mod recovery_plan;
mod referrals;
mod review;
mod safety_plan;
mod team;
mod wellness;
