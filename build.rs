//! Embeds every `fields/*.yml` file in the binary, so `loglift fields` and the
//! schema checks need nothing from disk at run time.

use std::{env, fs, path::Path};

fn main() {
    // Read at run time: a build directory shared by several checkouts may
    // reuse this script, compiled in another one.
    let manifest_dir = env::var("CARGO_MANIFEST_DIR").expect("CARGO_MANIFEST_DIR");
    let dir = Path::new(&manifest_dir).join("fields");
    println!("cargo:rerun-if-changed={}", dir.display());
    let mut files: Vec<_> = fs::read_dir(&dir)
        .expect("fields/ directory")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "yml"))
        .collect();
    files.sort();
    let mut out = String::from("/// Every `fields/*.yml` file: (file stem, contents).\npub static FIELD_FILES: &[(&str, &str)] = &[\n");
    for path in &files {
        println!("cargo:rerun-if-changed={}", path.display());
        let stem = path
            .file_stem()
            .and_then(|s| s.to_str())
            .expect("utf-8 file name");
        out.push_str(&format!(
            "    ({stem:?}, include_str!({:?})),\n",
            path.display().to_string()
        ));
    }
    out.push_str("];\n");
    fs::write(
        Path::new(&env::var("OUT_DIR").expect("OUT_DIR")).join("fields.rs"),
        out,
    )
    .expect("write fields.rs");
}
