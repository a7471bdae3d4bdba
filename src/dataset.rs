//! Datasets the agent can read: the built-in ones from `loglift-parsers`,
//! with their options, and the user-defined ones from the configuration.

use std::sync::Arc;

use loglift_parsers::{framing::Framing, DatasetInfo, OptionError, Options, Parser};

/// Builds a fresh parser for one object.
pub type ParserFactory = Arc<dyn Fn() -> Result<Box<dyn Parser>, OptionError> + Send + Sync>;

/// A dataset ready to parse objects: name, framing and parser factory.
#[derive(Clone)]
pub struct DatasetSpec {
    /// `event.dataset`.
    pub name: String,
    /// `event.module`.
    pub module: String,
    /// How objects are split into records.
    pub framing: Framing,
    factory: ParserFactory,
}

impl std::fmt::Debug for DatasetSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DatasetSpec")
            .field("name", &self.name)
            .field("framing", &self.framing)
            .finish()
    }
}

impl DatasetSpec {
    /// A built-in dataset with `options`; fails when an option is unknown or invalid.
    pub fn builtin(info: &'static DatasetInfo, options: Options) -> Result<Self, OptionError> {
        info.build(&options)?; // validate once, up front
        Ok(DatasetSpec {
            name: info.name.to_string(),
            module: info.module.to_string(),
            framing: info.framing.clone(),
            factory: Arc::new(move || info.build(&options)),
        })
    }

    /// A dataset from any parser factory (user-defined datasets).
    pub fn custom(name: &str, module: &str, framing: Framing, factory: ParserFactory) -> Self {
        DatasetSpec {
            name: name.to_string(),
            module: module.to_string(),
            framing,
            factory,
        }
    }

    /// A new parser for one object.
    pub fn parser(&self) -> Result<Box<dyn Parser>, OptionError> {
        (self.factory)()
    }
}
