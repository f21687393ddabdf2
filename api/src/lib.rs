//! The `fangxin` binary's library: configuration, the application wiring, the HTTP API,
//! the portal and the command line. The domain lives in `fangxin-core`.

pub mod app;
pub mod bench;
pub mod cli;
pub mod config;
pub mod edge;
pub mod export;
pub mod http;
pub mod portal;
pub mod request;
pub mod router;
pub mod search;
pub mod serve;
pub mod state;
pub mod telemetry;

pub use app::App;
pub use config::Settings;
