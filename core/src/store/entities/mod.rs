//! sea-orm entities, one per table the service reads or writes. The schema itself is
//! made by the migrations crate, never from these.

pub mod account;
pub mod aggregate;
pub mod api_token;
pub mod attachment;
pub mod audit_log;
pub mod change_event;
pub mod claimant_review;
pub mod complainant_contact;
pub mod complaint;
pub mod credit_repair;
pub mod feed_cursor;
pub mod industry_baseline;
pub mod inspector;
pub mod listing;
pub mod merchant;
pub mod objection;
pub mod penalty;
pub mod penalty_revision;
pub mod pending_rescore;
pub mod score;
pub mod score_history;
pub mod spot_check_plan;
pub mod spot_check_result;
pub mod trusted_enrolment;
pub mod warning;
