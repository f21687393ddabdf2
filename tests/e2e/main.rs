//! End-to-end tests: the real app, booted on port 0, against a fresh database made by the
//! real migrations — SQLite always, PostgreSQL when `FANGXIN_TEST_DATABASE_URL` is set,
//! Redis when `FANGXIN_TEST_REDIS_URL` is set. Test names carry the backend
//! (`…::sqlite::…`, `…::postgres::…`, `redis::…`).

mod admin;
mod helpers;
mod imports;
mod listings;
mod openapi;

mod penalties;
mod portal;

mod api;
mod auth;
mod authorization;
mod bad_input;
mod baselines;
mod browser;
mod claimants;
mod clock;
mod complaints;
mod console;
mod contract;
mod exports;
mod feed;
mod outages;
#[path = "../support/pg_cluster.rs"]
mod pg_cluster;
mod redis;
mod replication;
mod reports;
mod scores;
mod spotchecks;
mod store;
mod throwaway;
mod trusted;
