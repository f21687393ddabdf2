//! The pure domain of Fangxin: the USCC, the vocabulary of records, and the trust score.
//!
//! Nothing here does I/O or reads a clock: "now" is always a parameter.

pub mod calendar;
pub mod claimant;
pub mod domain;
pub mod model;
pub mod money;
pub mod publicity;
pub mod spotcheck;
pub mod uscc;

pub use model::{Confidence, Factor, Grade, MerchantFacts, Model, Score, score};
pub use uscc::{Uscc, UsccError};
