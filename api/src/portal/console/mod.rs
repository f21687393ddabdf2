//! The regulator's console, one page per task with a navigation between them: the
//! workbench (`/admin`), complaints, penalties, the programmes it runs (trusted
//! consumption, listings, spot checks), applications to decide, the professional-claimant
//! review, reports, warnings, imports and the audit log.

pub mod claimants;
pub mod complaints;
pub mod frame;
pub mod programmes;
pub mod workbench;
