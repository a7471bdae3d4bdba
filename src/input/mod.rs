//! Inputs: where object references come from (SQS notifications or bucket
//! listings), and the reader that turns an object into delivered events.

pub mod notification;
pub mod object;
pub mod s3_poll;
pub mod sqs;
pub mod state;
