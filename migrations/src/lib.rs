//! The whole Fangxin schema, one migration per step, each with `up` and `down`.
//!
//! The same statements run on SQLite and PostgreSQL: types are chosen from sea-query's
//! portable set (JSON is `jsonb` on PostgreSQL and text on SQLite; a score's factors are
//! `json` there since migration 23), money is `BIGINT` fen, times are UTC. An applied migration is never edited; add a new one instead.

pub use sea_orm_migration::prelude::*;

mod helpers;
mod m20261128_000001_create_merchants;
mod m20261128_000002_create_penalties;
mod m20261128_000003_create_complaints;
mod m20261128_000004_create_trusted_and_listings;
mod m20261128_000005_create_spot_checks;
mod m20261128_000006_create_public_notices_and_requests;
mod m20261128_000007_create_accounts;
mod m20261128_000008_create_audit_log;
mod m20261128_000009_create_scores;
mod m20261128_000010_create_change_events;
mod m20261128_000011_penalty_revisions_and_sampling_frames;
mod m20261130_000012_claimant_assessments;
mod m20261201_000013_audit_subjects_and_pending_rescores;
mod m20261201_000014_industry_baselines;
mod m20261204_000015_complaint_assignees_and_audit_notes;
mod m20261204_000016_attachments;
mod m20261204_000017_aggregates;
mod m20261205_000018_keyed_list_indexes;
mod m20261205_000019_aggregate_feed_positions;
mod m20261205_000020_penalty_uscc;
mod m20261205_000021_partial_assignee_index;
mod m20261206_000022_scores_fillfactor;
mod m20261206_000023_scores_factors_json;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261128_000001_create_merchants::Migration),
            Box::new(m20261128_000002_create_penalties::Migration),
            Box::new(m20261128_000003_create_complaints::Migration),
            Box::new(m20261128_000004_create_trusted_and_listings::Migration),
            Box::new(m20261128_000005_create_spot_checks::Migration),
            Box::new(m20261128_000006_create_public_notices_and_requests::Migration),
            Box::new(m20261128_000007_create_accounts::Migration),
            Box::new(m20261128_000008_create_audit_log::Migration),
            Box::new(m20261128_000009_create_scores::Migration),
            Box::new(m20261128_000010_create_change_events::Migration),
            Box::new(m20261128_000011_penalty_revisions_and_sampling_frames::Migration),
            Box::new(m20261130_000012_claimant_assessments::Migration),
            Box::new(m20261201_000013_audit_subjects_and_pending_rescores::Migration),
            Box::new(m20261201_000014_industry_baselines::Migration),
            Box::new(m20261204_000015_complaint_assignees_and_audit_notes::Migration),
            Box::new(m20261204_000016_attachments::Migration),
            Box::new(m20261204_000017_aggregates::Migration),
            Box::new(m20261205_000018_keyed_list_indexes::Migration),
            Box::new(m20261205_000019_aggregate_feed_positions::Migration),
            Box::new(m20261205_000020_penalty_uscc::Migration),
            Box::new(m20261205_000021_partial_assignee_index::Migration),
            Box::new(m20261206_000022_scores_fillfactor::Migration),
            Box::new(m20261206_000023_scores_factors_json::Migration),
        ]
    }
}
