//! `loglift run`: the agent.

use std::path::{Path, PathBuf};

/// The configuration file used when none is given.
pub fn default_config_path() -> PathBuf {
    let system = PathBuf::from("/etc/loglift/loglift.yml");
    if system.exists() {
        system
    } else {
        PathBuf::from("config/loglift.yml")
    }
}

/// Runs the agent until SIGINT or SIGTERM.
pub fn run(config: Option<&Path>) -> anyhow::Result<()> {
    let path = config.map_or_else(default_config_path, Path::to_path_buf);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("loglift")
        .build()?;
    runtime.block_on(crate::agent::run(&path))
}
