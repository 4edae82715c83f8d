//! Handlers of the HTML pages, one module per area.

pub mod admin;
pub mod auth;
pub mod auth_sources;
pub mod code;
pub mod dashboard;
pub mod explore;
pub mod forks;
pub mod health;
pub mod history;
pub mod home;
pub mod hooks;
pub mod incubator;
pub mod issues;
pub mod keys;
pub mod labels;
pub mod language;
pub mod org;
pub mod profile;
pub mod protection;
pub mod pulls;
pub mod repo;
pub mod review;
pub mod robots;
pub mod settings;
pub mod tokens;
pub mod twofactor;
