//! The bad-input corpus (FORMATS.md §5): every file under `fixtures/bad-input/` must fail to load
//! with an error that names the file and the field, without panicking.
//!
//! Each file starts with comment lines saying what to expect:
//!
//! ```yaml
//! # expect: spec.limits.cpu       (the field; "(none)" for a problem no field holds, such as a syntax error)
//! # message: is negative          (optional: a part of the message)
//! # line: 11                      (optional: the line reported; the document must then be known too)
//! ```

use std::fs;
use std::path::{Path, PathBuf};

use nodepack_sim::manifest::{load, InputPath};

struct Expectation {
    field: Option<String>,
    message: Option<String>,
    line: Option<usize>,
}

fn corpus() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/bad-input");
    let mut files: Vec<PathBuf> = fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("reading {}: {e}", dir.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "yaml" || x == "yml"))
        .collect();
    files.sort();
    files
}

fn expectation(path: &Path) -> Expectation {
    // Read leniently: one file of the corpus is deliberately not UTF-8.
    let bytes = fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let text = String::from_utf8_lossy(&bytes);
    let header = |key: &str| {
        text.lines().take_while(|l| l.starts_with('#')).find_map(|l| {
            l.strip_prefix('#').map(str::trim).and_then(|l| l.strip_prefix(key)).map(|v| v.trim().to_string())
        })
    };
    let field = header("expect:").unwrap_or_else(|| panic!("{}: no `# expect:` line", path.display()));
    Expectation {
        field: if field == "(none)" { None } else { Some(field) },
        message: header("message:"),
        line: header("line:").map(|l| l.parse().unwrap_or_else(|_| panic!("{}: bad `# line:`", path.display()))),
    }
}

#[test]
fn every_bad_file_is_refused_with_its_file_and_field() {
    let files = corpus();
    assert!(files.len() >= 10, "expected the bad-input corpus, found {} files", files.len());
    let mut failures = Vec::new();
    for path in files {
        let want = expectation(&path);
        let file_name = path.file_name().unwrap().to_string_lossy().to_string();
        let err = match load(&[InputPath::File(path.clone())]) {
            Ok(_) => {
                failures.push(format!("{file_name}: loaded without an error"));
                continue;
            }
            Err(e) => e,
        };
        let shown = err.to_string();
        let mut problems = Vec::new();
        if !shown.contains(&file_name) || !err.file.ends_with(&file_name) {
            problems.push("does not name the file".to_string());
        }
        match &want.field {
            Some(f) => {
                if err.field.as_deref() != Some(f.as_str()) {
                    problems.push(format!("field is {:?}, expected {f:?}", err.field));
                }
                if !shown.contains(f.as_str()) {
                    problems.push(format!("the message does not name {f}"));
                }
            }
            None => {
                if err.field.is_some() {
                    problems.push(format!("field is {:?}, expected none", err.field));
                }
            }
        }
        if let Some(m) = &want.message {
            if !err.message.contains(m.as_str()) {
                problems.push(format!("message does not contain {m:?}"));
            }
        }
        if want.line.is_some() && err.line != want.line {
            problems.push(format!("line is {:?}, expected {:?}", err.line, want.line));
        }
        if want.line.is_some() && err.document.is_none() {
            problems.push("no document index".to_string());
        }
        if !problems.is_empty() {
            failures.push(format!("{file_name}: {} — got: {shown}", problems.join("; ")));
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

#[test]
fn a_bad_file_among_good_ones_fails_the_whole_load() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/bad-input");
    let good = std::env::temp_dir().join(format!("nodepack-good-{}.yaml", std::process::id()));
    fs::write(&good, "apiVersion: karpenter.sh/v1\nkind: NodePool\nmetadata: {name: fine}\n").unwrap();
    let result = load(&[InputPath::File(good.clone()), InputPath::File(dir.join("negative-quantity.yaml"))]);
    let _ = fs::remove_file(&good);
    let e = result.expect_err("the bad file must fail the load");
    assert!(e.file.ends_with("negative-quantity.yaml"), "{e}");
}
