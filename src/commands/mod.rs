//! One module per subcommand.

pub mod check;
pub mod datasets;
pub mod fields;
pub mod modules;
pub mod parse;
pub mod run;
pub mod setup;
