//! The Fangxin service without the web: the store, one module per capability (each the only
//! writer of its tables), the change feed and its workers, imports, reports and the demo
//! district. It knows SQL and Redis, not HTTP or templates; `fangxin-api` wires it to both.

pub mod accounts;
pub mod aggregates;
pub mod attachments;
pub mod audit;
pub mod checks;
pub mod claimants;
pub mod clock;
pub mod complaints;
pub mod demo;
pub mod enterprise;
pub mod error;
pub mod feed;
pub mod imports;
pub mod indexing;
pub mod jobs;
pub mod listings;
pub mod merchants;
pub mod objections;
pub mod paging;
pub mod penalties;
pub mod privacy;
pub mod progress;
pub mod redis_link;
pub mod repairs;
pub mod reports;
pub mod scores;
pub mod spotchecks;
pub mod store;
pub mod trusted;
pub mod warnings;
pub mod yuan;
