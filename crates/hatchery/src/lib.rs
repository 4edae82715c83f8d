pub mod backup;
pub mod cli;
pub mod config;
pub mod healthcheck;
pub mod logging;
pub mod migrate;
pub mod server;
pub mod ssh;
