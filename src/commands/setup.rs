//! `loglift setup elasticsearch`: installs the index templates built from
//! `fields/` on the cluster of every `elasticsearch` output, so that each
//! data stream's fields get their types from the start.

use std::path::Path;

use anyhow::Context;
use bytes::Bytes;

use crate::cli::UsageError;
use crate::commands::fields::es_templates;
use crate::commands::run::default_config_path;
use crate::config::{Config, OutputConfig};
use crate::output::elasticsearch::client::Client;
use crate::schema::field_sets;

/// Runs `loglift setup elasticsearch`: `PUT _index_template/<name>` for
/// each dataset, on each configured cluster.
pub fn elasticsearch(config: Option<&Path>) -> anyhow::Result<()> {
    let path = config.map_or_else(default_config_path, Path::to_path_buf);
    let config = Config::load(&path).map_err(|e| UsageError(e.to_string()))?;
    let outputs: Vec<_> = config
        .outputs
        .iter()
        .filter_map(|o| match o {
            OutputConfig::Elasticsearch(es) => Some(es),
            _ => None,
        })
        .collect();
    if outputs.is_empty() {
        return Err(UsageError(format!(
            "{}: no elasticsearch output configured",
            path.display()
        ))
        .into());
    }
    let mut sets = field_sets()?;
    sets.extend(super::fields::custom_sets(&config, &sets));
    let templates = es_templates(&sets, None)?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        for es in outputs {
            let client = Client::new(es).context("elasticsearch output")?;
            for (name, template) in &templates {
                let body = Bytes::from(serde_json::to_vec(template)?);
                let response = client
                    .put_json(&format!("/_index_template/{name}"), body)
                    .await?;
                if !response.status.is_success() {
                    anyhow::bail!(
                        "{}: PUT _index_template/{name}: HTTP {}: {}",
                        response.host,
                        response.status,
                        response.excerpt()
                    );
                }
                println!("{}: index template {name} installed", response.host);
            }
        }
        Ok::<(), anyhow::Error>(())
    })
}
