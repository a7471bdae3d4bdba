//! `docs/fields.md`, the field reference the README links to, is what
//! `loglift fields --format markdown` prints: the reference cannot drift
//! from `fields/`. Regenerate it with
//! `loglift fields --format markdown > docs/fields.md`.

use std::path::Path;
use std::process::Command;

#[test]
fn the_field_reference_is_generated_from_fields() {
    let out = Command::new(env!("CARGO_BIN_EXE_loglift"))
        .args(["fields", "--format", "markdown"])
        .output()
        .expect("run loglift fields");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/fields.md");
    let written = std::fs::read_to_string(&path).expect("docs/fields.md exists");
    let generated = String::from_utf8(out.stdout).expect("UTF-8");
    assert!(
        written == generated,
        "docs/fields.md is stale: regenerate it with `loglift fields --format markdown > docs/fields.md`"
    );
}
