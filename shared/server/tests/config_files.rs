//! `p3 check` on the configuration files in `shared/config/tests/files`: it says what each
//! folder's `expected` says, the same as every Lambda function says at start
//! (`shared/aws/tests/config.rs` reads the same files as the functions do).

use std::path::{Path, PathBuf};
use std::process::Command;

fn files() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../config/tests/files")
        .canonicalize()
        .expect("the sample configuration files")
}

#[test]
fn p3_check_says_what_each_sample_file_expects() {
    let mut checked = 0;
    for entry in std::fs::read_dir(files()).unwrap() {
        let dir = entry.unwrap().path();
        if !dir.is_dir() {
            continue;
        }
        let expected = std::fs::read_to_string(dir.join("expected"))
            .unwrap()
            .trim()
            .replace("{dir}", &dir.display().to_string());
        let config = dir.join("p3.toml");
        let out = Command::new(env!("CARGO_BIN_EXE_p3"))
            .args(["check", "--config"])
            .arg(&config)
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        if expected == "OK" {
            assert!(out.status.success(), "{}: {stderr}", dir.display());
            assert!(
                stdout.starts_with(&format!("{}: OK", config.display())),
                "{stdout}"
            );
        } else {
            assert!(!out.status.success(), "{}: accepted", dir.display());
            assert_eq!(
                stderr.trim(),
                format!("p3: {expected}"),
                "{}",
                dir.display()
            );
        }
        checked += 1;
    }
    assert!(checked >= 5, "only {checked} sample files");
}
