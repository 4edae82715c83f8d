pub mod backup;
pub mod cli;
pub mod config;
pub mod logging;
pub mod server;
