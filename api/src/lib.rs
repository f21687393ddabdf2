//! The Fangxin service: configuration, the store, the capabilities, the change feed and
//! its workers, the HTTP API and the `fangxin` command line.

pub mod accounts;
pub mod app;
pub mod audit;
pub mod bench;
pub mod claimants;
pub mod cli;
pub mod complaints;
pub mod config;
pub mod demo;
pub mod enterprise;
pub mod error;
pub mod feed;
pub mod http;
pub mod imports;
pub mod listings;
pub mod merchants;
pub mod objections;
pub mod paging;
pub mod penalties;
pub mod portal;
pub mod progress;
pub mod repairs;
pub mod reports;
pub mod scores;
pub mod spotchecks;
pub mod store;
pub mod telemetry;
pub mod trusted;
pub mod warnings;
pub mod yuan;

pub use app::App;
pub use config::Settings;
