//! One module per subcommand.

pub mod datasets;
pub mod fields;
pub mod parse;
pub mod run;
pub mod setup;
