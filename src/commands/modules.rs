//! `loglift modules list|enable|disable NAME`: module files of `modules.d/`,
//! enabled as `<name>.yml` and disabled as `<name>.yml.disabled`, renamed
//! from one to the other as Filebeat's `modules` command does.

use std::path::{Path, PathBuf};

use anyhow::Context;

use crate::cli::UsageError;
use crate::config::{read_modules, Config, Module};

/// What `loglift modules` does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Print every module file and its state.
    List,
    /// Rename `<name>.yml.disabled` to `<name>.yml`.
    Enable(String),
    /// Rename `<name>.yml` to `<name>.yml.disabled`.
    Disable(String),
}

/// Runs `loglift modules`.
pub fn run(action: &Action, config: Option<&Path>) -> anyhow::Result<()> {
    let dir = modules_dir(config)?;
    match action {
        Action::List => list(&dir),
        Action::Enable(name) => set_enabled(&dir, name, true),
        Action::Disable(name) => set_enabled(&dir, name, false),
    }
}

/// The `modules_dir` of the configuration (relative to the file).
fn modules_dir(config: Option<&Path>) -> anyhow::Result<PathBuf> {
    let path = config.map_or_else(super::run::default_config_path, Path::to_path_buf);
    let config = Config::load(&path).map_err(|e| UsageError(e.to_string()))?;
    Ok(path
        .parent()
        .unwrap_or(Path::new("."))
        .join(&config.modules_dir))
}

fn list(dir: &Path) -> anyhow::Result<()> {
    let modules = read_modules(dir).map_err(|e| UsageError(e.to_string()))?;
    println!("module files in {}", dir.display());
    println!("{:<26} {:<9} {:<8} WHAT", "MODULE", "STATE", "KIND");
    for m in &modules {
        let name = module_name(&m.path);
        let state = if m.enabled { "enabled" } else { "disabled" };
        let (kind, what) = match &m.module {
            Module::Logs { dataset, .. } => ("logs", format!("dataset {dataset}")),
            Module::Metrics { name, .. } => ("metrics", format!("CloudWatch metrics: {name}")),
        };
        println!("{name:<26} {state:<9} {kind:<8} {what}");
    }
    if modules.is_empty() {
        println!("(none)");
    }
    Ok(())
}

/// `aws.vpcflow` of `.../aws.vpcflow.yml` or `.../aws.vpcflow.yml.disabled`.
fn module_name(path: &Path) -> String {
    let file = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default();
    file.strip_suffix(".yml.disabled")
        .or_else(|| file.strip_suffix(".yml"))
        .unwrap_or(file)
        .to_string()
}

fn set_enabled(dir: &Path, name: &str, enable: bool) -> anyhow::Result<()> {
    if name.is_empty() || name.contains(['/', '\\']) || name.starts_with('.') {
        return Err(UsageError(format!("`{name}` is not a module name")).into());
    }
    let on = dir.join(format!("{name}.yml"));
    let off = dir.join(format!("{name}.yml.disabled"));
    let (from, to) = if enable { (&off, &on) } else { (&on, &off) };
    let verb = if enable { "enabled" } else { "disabled" };
    if to.exists() {
        if from.exists() {
            return Err(UsageError(format!(
                "both {} and {} exist: remove one",
                on.display(),
                off.display()
            ))
            .into());
        }
        println!("module {name} is already {verb} ({})", to.display());
        return Ok(());
    }
    if from.exists() {
        std::fs::rename(from, to)
            .with_context(|| format!("renaming {} to {}", from.display(), to.display()))?;
        println!("module {name} {verb} ({})", to.display());
        return Ok(());
    }
    // A built-in dataset without a module file runs with its defaults:
    // disabling it writes a disabled module file for it.
    if let (false, Some(info)) = (enable, loglift_parsers::dataset(name)) {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        std::fs::write(
            &off,
            format!(
                "# Disabled with `loglift modules disable {name}`.\ndataset: {}\n",
                info.name
            ),
        )
        .with_context(|| format!("writing {}", off.display()))?;
        println!("module {name} disabled ({})", off.display());
        return Ok(());
    }
    if enable && loglift_parsers::dataset(name).is_some() {
        println!(
            "module {name} is already enabled (built-in dataset, default options, no module file)"
        );
        return Ok(());
    }
    let known: Vec<String> = read_modules(dir)
        .map(|m| m.iter().map(|m| module_name(&m.path)).collect())
        .unwrap_or_default();
    Err(UsageError(format!(
        "no module `{name}` in {} (known: {})",
        dir.display(),
        if known.is_empty() {
            "none".to_string()
        } else {
            known.join(", ")
        }
    ))
    .into())
}
