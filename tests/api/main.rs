//! Integration tests: the real server over HTTP against a real database — SQLite by
//! default, Postgres when `TEST_DATABASE_URL` is set (each test makes and drops its own
//! database).

mod helpers;
mod process;
mod small_disk;

mod auth;
mod backup;
mod bulk;
mod cli;
mod click_codes;
mod click_migration;
mod clicks;
mod connections;
mod crash;
mod dashboard;
mod dashboard_helpers;
mod e2e;
mod errors;
mod faults;
mod hardening;
mod insight;
mod kutt;
mod lifecycle;
mod link_counts;
mod logs;
mod metrics;
mod openapi;
mod ops;
mod outcomes;
mod passwords;
mod qr;
mod quota;
mod redirect;
mod roles;
mod rollups;
mod shlink;
mod short_create;
mod short_read;
mod short_update;
mod tags;
mod targeting;
mod tenancy;
mod transfer;
mod wire;
