//! The command line (DESIGN §5). Exit codes: 0 success, 1 runtime failure,
//! 2 bad usage or invalid configuration.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

use crate::commands;

/// loglift: AWS logs from S3 and CloudWatch metrics, as ECS events.
#[derive(Debug, Parser)]
#[command(name = "loglift", version, about, propagate_version = true)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
    /// Log format on stderr: text (coloured only on a terminal, never with
    /// NO_COLOR) or json (one object per line). Default: LOGLIFT_LOG_FORMAT, else text.
    #[arg(long, global = true, value_enum)]
    pub log_format: Option<crate::telemetry::LogFormat>,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the agent.
    Run {
        /// Configuration file (default /etc/loglift/loglift.yml, else ./config/loglift.yml).
        #[arg(long)]
        config: Option<PathBuf>,
    },
    /// Parse local files and print their events as NDJSON on stdout.
    Parse(ParseArgs),
    /// Validate the configuration and test every input's access.
    Check {
        /// Configuration file.
        #[arg(long)]
        config: Option<PathBuf>,
    },
    /// Print field definitions, or an Elasticsearch index template built from them.
    Fields {
        /// Only this dataset (plus the ECS fields it uses).
        #[arg(long)]
        dataset: Option<String>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = FieldsFormat::Markdown)]
        format: FieldsFormat,
        /// Configuration file: adds its user-defined datasets (their mapped
        /// ECS fields, `static:` fields and their own `<name>.*` object).
        #[arg(long)]
        config: Option<PathBuf>,
    },
    /// List, enable or disable the module files of `modules.d/`.
    Modules(ModulesArgs),
    /// List datasets, their routing rules and whether each is enabled.
    Datasets {
        /// Configuration file, for user-defined datasets and module state.
        #[arg(long)]
        config: Option<PathBuf>,
    },
    /// Prepare a destination for the agent's events.
    Setup {
        /// What to prepare.
        #[command(subcommand)]
        target: SetupTarget,
    },
}

/// What `loglift setup` prepares.
#[derive(Debug, Subcommand)]
pub enum SetupTarget {
    /// Install the index templates built from `fields/` on every `elasticsearch` output's cluster.
    Elasticsearch {
        /// Configuration file (default /etc/loglift/loglift.yml, else ./config/loglift.yml).
        #[arg(long)]
        config: Option<PathBuf>,
    },
}

/// Arguments of `loglift parse`.
#[derive(Debug, clap::Args)]
pub struct ParseArgs {
    /// Dataset name, or `auto` to route each file by its path.
    #[arg(long)]
    pub dataset: String,
    /// A dataset option, as in its module file (e.g. `retain=flattened`, `format=...`).
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub set: Vec<String>,
    /// Configuration file, for user-defined datasets.
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// `data_stream.namespace` of the events.
    #[arg(long, default_value = "default")]
    pub namespace: String,
    /// A MaxMind-format GeoIP database (City, Country or ASN) to enrich
    /// events with, as the agent's `geoip.databases` does; repeatable.
    #[arg(long = "geoip-database", value_name = "PATH")]
    pub geoip_databases: Vec<PathBuf>,
    /// Files to parse (`-` is standard input); compression is sniffed.
    #[arg(default_value = "-")]
    pub files: Vec<PathBuf>,
}

/// Arguments of `loglift modules`.
#[derive(Debug, clap::Args)]
pub struct ModulesArgs {
    /// What to do.
    #[command(subcommand)]
    pub action: ModulesAction,
    /// Configuration file, for its `modules_dir`.
    #[arg(long, global = true)]
    pub config: Option<PathBuf>,
}

/// Subcommands of `loglift modules`.
#[derive(Debug, Subcommand)]
pub enum ModulesAction {
    /// List module files and whether each is enabled.
    List,
    /// Enable a module: rename `<NAME>.yml.disabled` to `<NAME>.yml`.
    Enable {
        /// Module name (the file name without `.yml`), e.g. `aws.vpcflow`.
        name: String,
    },
    /// Disable a module: rename `<NAME>.yml` to `<NAME>.yml.disabled`.
    Disable {
        /// Module name (the file name without `.yml`), e.g. `aws.vpcflow`.
        name: String,
    },
}

/// Formats of `loglift fields`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FieldsFormat {
    /// A Markdown table per dataset.
    Markdown,
    /// The definitions as JSON.
    Json,
    /// Elasticsearch composable index templates for `logs-<dataset>-*`.
    EsTemplate,
}

/// An error that is the user's to fix: exit code 2.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(pub String);

/// Parses the command line, runs the command, and maps the outcome to an exit code.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    match crate::telemetry::LogFormat::choose(cli.log_format) {
        Ok(format) => crate::telemetry::init_logging(format),
        Err(e) => {
            eprintln!("loglift: {e}");
            return ExitCode::from(2);
        }
    }
    let result = match cli.command {
        Command::Run { config } => commands::run::run(config.as_deref()),
        Command::Check { config } => commands::check::run(config.as_deref()),
        Command::Parse(args) => commands::parse::run(&args),
        Command::Fields {
            dataset,
            format,
            config,
        } => commands::fields::run(dataset.as_deref(), format, config.as_deref()),
        Command::Datasets { config } => commands::datasets::run(config.as_deref()),
        Command::Modules(args) => {
            let action = match args.action {
                ModulesAction::List => commands::modules::Action::List,
                ModulesAction::Enable { name } => commands::modules::Action::Enable(name),
                ModulesAction::Disable { name } => commands::modules::Action::Disable(name),
            };
            commands::modules::run(&action, args.config.as_deref())
        }
        Command::Setup {
            target: SetupTarget::Elasticsearch { config },
        } => commands::setup::elasticsearch(config.as_deref()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("loglift: {e:#}");
            if e.downcast_ref::<UsageError>().is_some() {
                ExitCode::from(2)
            } else {
                ExitCode::from(1)
            }
        }
    }
}
