//! The event pipeline: from a decompressed object to NDJSON batches of
//! normalized events.

pub mod normalize;
pub mod process;

pub use normalize::{Normalizer, Origin};
pub use process::{process_object, Batch, ObjectStats, ProcessError};
