//! The regulator's console: the workbench (`/admin`), the programmes it runs (trusted
//! consumption, listings, spot checks, complaint matching, the audit log) and the
//! professional-claimant review.

pub mod claimants;
pub mod programmes;
pub mod workbench;
