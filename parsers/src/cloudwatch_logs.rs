//! `aws.cloudwatch_logs`: not yet implemented.

use crate::{check_options, Event, OptionError, Options, ParseError, Parser};

/// Dataset name.
pub const DATASET: &str = "aws.cloudwatch_logs";
/// Options this dataset accepts (comma separated).
pub const OPTIONS: &str = "";

/// Builds the parser.
pub fn build(options: &Options) -> Result<Box<dyn Parser>, OptionError> {
    check_options(DATASET, options, OPTIONS)?;
    Ok(Box::new(Unimplemented))
}

struct Unimplemented;

impl Parser for Unimplemented {
    fn parse<'a>(
        &mut self,
        _record: &'a str,
        _emit: &mut dyn FnMut(Event<'a>),
    ) -> Result<(), ParseError> {
        Err(ParseError::new(DATASET, "not implemented"))
    }
}
