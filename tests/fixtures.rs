//! Data-driven tests: every directory under `fixtures/scheduling/` holds an `input.yaml` and the
//! `expected.json` a provisioning pass must print for it (the `plan` document of FORMATS.md §4).
//!
//! To accept a deliberate change of behaviour, run with `NODEPACK_UPDATE_FIXTURES=1` and review
//! the diff of the expected files before committing it.

use std::fs;
use std::path::{Path, PathBuf};

use nodepack_core::{provision, Settings};
use nodepack_sim::manifest::{load, InputPath};
use nodepack_sim::output::PlanOutput;

fn cases(dir: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("reading {}: {e}", dir.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.join("input.yaml").is_file())
        .collect();
    out.sort();
    out
}

fn plan_json(input: &Path) -> String {
    let inputs = load(&[InputPath::File(input.to_path_buf())]).unwrap_or_else(|e| panic!("{e}"));
    let schedule = provision(&inputs.cluster, &inputs.pending, &Settings::default());
    let mut text = serde_json::to_string_pretty(&PlanOutput::new(&schedule)).expect("plan serializes");
    text.push('\n');
    text
}

#[test]
fn scheduling_fixtures() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/scheduling");
    let update = std::env::var_os("NODEPACK_UPDATE_FIXTURES").is_some();
    let mut failures = vec![];
    let all = cases(&root);
    assert!(all.len() >= 10, "expected the scheduling fixtures under {}", root.display());
    for case in all {
        let got = plan_json(&case.join("input.yaml"));
        let expected_path = case.join("expected.json");
        if update {
            fs::write(&expected_path, &got).expect("write expected.json");
            continue;
        }
        match fs::read_to_string(&expected_path) {
            Ok(want) if want == got => {}
            Ok(want) => failures.push(format!(
                "{}: output differs from expected.json\n--- expected\n{want}\n--- got\n{got}",
                case.display()
            )),
            Err(_) => {
                failures.push(format!("{}: no expected.json (run with NODEPACK_UPDATE_FIXTURES=1)", case.display()))
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn same_input_same_bytes() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/scheduling");
    for case in cases(&root) {
        let input = case.join("input.yaml");
        assert_eq!(plan_json(&input), plan_json(&input), "{}", case.display());
    }
}
