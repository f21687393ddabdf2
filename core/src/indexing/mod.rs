//! The search index follows the database: the follower applies change events to the index
//! (cursor kept in the index's commit payload), a rebuild makes a new generation, and the
//! check compares the two. The documents are built here from the merchant's rows, judged
//! by the district's date.

mod check;
mod documents;
mod follower;
mod index_handle;

pub use check::{IndexCheck, check};
pub use documents::index_documents;
pub use follower::{IndexFollower, head, rebuild, reindex, run_index_follower};
pub use index_handle::SharedIndex;
