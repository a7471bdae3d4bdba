//! `loglift modules` and `loglift datasets` as a user runs them: module files
//! renamed between `<name>.yml` and `<name>.yml.disabled`, and each
//! dataset's real state, including user-defined datasets and selectors.

use std::path::Path;
use std::process::{Command, Output};

fn loglift(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_loglift"))
        .args(args)
        .output()
        .expect("run loglift")
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A configuration directory with the repository's module files.
fn setup(dir: &Path) -> String {
    let modules = dir.join("modules.d");
    std::fs::create_dir_all(&modules).unwrap();
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("config/modules.d");
    for entry in std::fs::read_dir(repo).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), modules.join(entry.file_name())).unwrap();
    }
    let config = dir.join("loglift.yml");
    std::fs::write(
        &config,
        "datasets:\n  - name: iru.activity\n    selector: '^activity/'\n    framing: ndjson\noutputs:\n  - type: stdout\n",
    )
    .unwrap();
    config.to_string_lossy().into_owned()
}

/// The line of `loglift datasets` for `dataset`.
fn dataset_line(text: &str, dataset: &str) -> String {
    text.lines()
        .find(|l| l.split_whitespace().next() == Some(dataset))
        .unwrap_or_else(|| panic!("no {dataset} in:\n{text}"))
        .to_string()
}

#[test]
fn disable_and_enable_rename_the_module_file_and_datasets_shows_the_state() {
    let dir = tempfile::tempdir().unwrap();
    let config = setup(dir.path());
    let modules = dir.path().join("modules.d");

    let out = loglift(&["modules", "disable", "aws.vpcflow", "--config", &config]);
    assert!(out.status.success(), "{out:?}");
    assert!(modules.join("aws.vpcflow.yml.disabled").exists());
    assert!(!modules.join("aws.vpcflow.yml").exists());
    assert!(stdout(&out).contains("module aws.vpcflow disabled"));

    let list = stdout(&loglift(&["modules", "list", "--config", &config]));
    let vpc = dataset_line(&list, "aws.vpcflow");
    assert!(vpc.contains("disabled") && vpc.contains("logs"), "{list}");
    assert!(
        dataset_line(&list, "aws.cloudtrail").contains("enabled"),
        "{list}"
    );

    let datasets = stdout(&loglift(&["datasets", "--config", &config]));
    let vpc = dataset_line(&datasets, "aws.vpcflow");
    assert!(
        vpc.contains("disabled") && vpc.contains("aws.vpcflow.yml.disabled"),
        "{datasets}"
    );
    let user = dataset_line(&datasets, "iru.activity");
    assert!(
        user.contains("enabled") && user.contains("user-defined") && user.contains("^activity/"),
        "{datasets}"
    );

    // Disabling again is not an error; enabling renames it back.
    assert!(
        loglift(&["modules", "disable", "aws.vpcflow", "--config", &config])
            .status
            .success()
    );
    let out = loglift(&["modules", "enable", "aws.vpcflow", "--config", &config]);
    assert!(out.status.success(), "{out:?}");
    assert!(modules.join("aws.vpcflow.yml").exists());
    assert!(!modules.join("aws.vpcflow.yml.disabled").exists());
    let datasets = stdout(&loglift(&["datasets", "--config", &config]));
    assert!(
        dataset_line(&datasets, "aws.vpcflow").contains("enabled"),
        "{datasets}"
    );
}

#[test]
fn a_module_selector_shows_as_its_routing_rule() {
    let dir = tempfile::tempdir().unwrap();
    let config = setup(dir.path());
    let file = dir.path().join("modules.d/aws.ec2_logs.yml");
    let mut text = std::fs::read_to_string(&file).unwrap();
    text.push_str("selector: '^ec2/'\n");
    std::fs::write(&file, text).unwrap();
    let datasets = stdout(&loglift(&["datasets", "--config", &config]));
    assert!(
        dataset_line(&datasets, "aws.ec2_logs")
            .contains("key matches ^ec2/ (module file selector)"),
        "{datasets}"
    );
}

#[test]
fn disabling_a_dataset_without_a_module_file_writes_a_disabled_one() {
    let dir = tempfile::tempdir().unwrap();
    let config = setup(dir.path());
    let modules = dir.path().join("modules.d");
    std::fs::remove_file(modules.join("aws.elb_logs.yml")).unwrap();
    let datasets = stdout(&loglift(&["datasets", "--config", &config]));
    assert!(
        dataset_line(&datasets, "aws.elb_logs").contains("defaults (no module file)"),
        "{datasets}"
    );
    let out = loglift(&["modules", "disable", "aws.elb_logs", "--config", &config]);
    assert!(out.status.success(), "{out:?}");
    assert!(modules.join("aws.elb_logs.yml.disabled").exists());
    let datasets = stdout(&loglift(&["datasets", "--config", &config]));
    assert!(
        dataset_line(&datasets, "aws.elb_logs").contains("disabled"),
        "{datasets}"
    );
}

#[test]
fn an_unknown_module_is_a_usage_error_naming_the_known_ones() {
    let dir = tempfile::tempdir().unwrap();
    let config = setup(dir.path());
    let out = loglift(&["modules", "enable", "aws.nosuch", "--config", &config]);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("no module `aws.nosuch`") && err.contains("aws.vpcflow"),
        "{err}"
    );
    let out = loglift(&["modules", "disable", "../loglift", "--config", &config]);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
}
