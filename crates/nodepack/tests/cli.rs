//! End-to-end tests of the `nodepack` binary: every fixture directory through the commands that
//! matter for it, compared with golden files under `fixtures/<dir>/expected/<command>.json`
//! (rewritten, deliberately, with `NODEPACK_UPDATE_FIXTURES=1`), exit statuses (FORMATS.md §3),
//! the bad-input corpus (§5), and targeted checks of what the outcomes must be.

use std::collections::BTreeSet;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde_json::Value;

/// The fixed time of every `disrupt` golden run: a Monday, 09:00 UTC.
const NOW: &str = "2025-06-02T09:00:00Z";

const PENDING_CASES: [&str; 4] =
    ["selector-matches-no-pool", "missing-toleration", "cpu-limit-reached", "no-available-offering"];

const DISRUPT_CASES: [&str; 9] = [
    "budget",
    "consolidate-after",
    "do-not-disrupt",
    "drifted",
    "expired",
    "needs-2-new-nodes",
    "no-cheaper-replacement",
    "pdb",
    "when-empty",
];

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().expect("repository root")
}

struct Run {
    status: i32,
    stdout: String,
    stderr: String,
}

fn run_with(args: &[&str], stdin: Option<&[u8]>) -> Run {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_nodepack"));
    cmd.args(args).current_dir(repo()).stdout(Stdio::piped()).stderr(Stdio::piped());
    cmd.stdin(if stdin.is_some() { Stdio::piped() } else { Stdio::null() });
    let mut child = cmd.spawn().expect("nodepack runs");
    if let Some(bytes) = stdin {
        let mut pipe = child.stdin.take().expect("stdin");
        pipe.write_all(bytes).expect("write stdin");
    }
    let out = child.wait_with_output().expect("nodepack finishes");
    Run {
        status: out.status.code().expect("exited, not killed by a signal"),
        stdout: String::from_utf8(out.stdout).expect("stdout is UTF-8"),
        stderr: String::from_utf8(out.stderr).expect("stderr is UTF-8"),
    }
}

fn run(args: &[&str]) -> Run {
    run_with(args, None)
}

/// Runs a command twice (same bytes both times), checks its exit status, and compares stdout
/// with `fixtures/<dir>/expected/<name>.json`. Returns the parsed document.
fn golden(dir: &str, name: &str, args: &[&str], status: i32) -> Value {
    let first = run(args);
    assert_eq!(first.status, status, "nodepack {}: exit status\nstderr: {}", args.join(" "), first.stderr);
    let second = run(args);
    assert_eq!(first.stdout, second.stdout, "nodepack {}: two runs print different bytes", args.join(" "));
    let path = repo().join("fixtures").join(dir).join("expected").join(format!("{name}.json"));
    if std::env::var_os("NODEPACK_UPDATE_FIXTURES").is_some() {
        fs::create_dir_all(path.parent().expect("parent")).expect("create expected/");
        fs::write(&path, &first.stdout).expect("write golden file");
    } else {
        let want = fs::read_to_string(&path)
            .unwrap_or_else(|_| panic!("{} is missing (run with NODEPACK_UPDATE_FIXTURES=1)", path.display()));
        assert!(
            want == first.stdout,
            "nodepack {} differs from {}\n--- expected\n{want}\n--- got\n{}",
            args.join(" "),
            path.display(),
            first.stdout
        );
    }
    serde_json::from_str(&first.stdout).expect("stdout is JSON")
}

fn strs(v: &Value) -> Vec<&str> {
    v.as_array().map(|a| a.iter().filter_map(Value::as_str).collect()).unwrap_or_default()
}

fn claims_of<'a>(plan: &'a Value, pool: &str) -> Vec<&'a Value> {
    plan["nodeClaims"].as_array().expect("nodeClaims").iter().filter(|c| c["nodePool"] == pool).collect()
}

fn claim_holding<'a>(plan: &'a Value, pod: &str) -> &'a Value {
    plan["nodeClaims"]
        .as_array()
        .expect("nodeClaims")
        .iter()
        .find(|c| strs(&c["pods"]).contains(&pod))
        .unwrap_or_else(|| panic!("{pod} is on no new node"))
}

#[test]
fn cortex_prod_plan() {
    let plan = golden("cortex-prod", "plan", &["plan", "-f", "fixtures/cortex-prod/", "-o", "json"], 0);
    assert_eq!(plan["version"], "v1alpha1");
    assert_eq!(plan["unschedulable"].as_array().map(Vec::len), Some(0), "every pod finds a node");

    // The memory pool launches r6i and r6a types only, and only the sizes that hold a data node
    // (2 CPU + exporter + daemons do not fit a .large's 1930m).
    let memory = claims_of(&plan, "memory-pool-xlarge");
    assert_eq!(memory.len(), 3, "one node per FalkorDB data pod (hostname anti-affinity)");
    for c in &memory {
        let it = c["instanceType"].as_str().expect("instanceType");
        assert!(it.starts_with("r6i.") || it.starts_with("r6a."), "{it}");
        for o in strs(&c["instanceTypeOptions"]) {
            assert!(o.starts_with("r6i.") || o.starts_with("r6a."), "{o}");
            assert!(!o.ends_with(".large"), "{o} cannot hold 2050m of CPU");
        }
        assert_eq!(c["capacityType"], "on-demand");
        assert_eq!(c["labels"]["role"], "memory-db-large-scalable");
        assert_eq!(c["taints"][0]["key"], "workload");
    }
    // The cheapest on-demand type that fits: r6a.xlarge at 0.2268.
    assert!(memory.iter().all(|c| c["instanceType"] == "r6a.xlarge"));

    // The test pod lands on a memory node.
    assert_eq!(claim_holding(&plan, "default/karpenter-test")["nodePool"], "memory-pool-xlarge");
    let data_nodes: BTreeSet<&str> = (0..3)
        .map(|i| claim_holding(&plan, &format!("falkordb/falkordb-data-{i}"))["name"].as_str().expect("name"))
        .collect();
    assert_eq!(data_nodes.len(), 3, "data pods one per node");

    // Sentinels spread one per node, Grafana goes to the general pool.
    let sentinel_nodes: BTreeSet<&str> = (0..3)
        .map(|i| {
            let c = claim_holding(&plan, &format!("falkordb/falkordb-sentinel-{i}"));
            assert_eq!(c["nodePool"], "general-pool");
            c["name"].as_str().expect("name")
        })
        .collect();
    assert_eq!(sentinel_nodes.len(), 3, "sentinels one per node");
    assert_eq!(claim_holding(&plan, "monitoring/grafana-0")["nodePool"], "general-pool");

    // The general pool plans with the sizes that exist; the .medium names never appear.
    for c in claims_of(&plan, "general-pool") {
        let options = strs(&c["instanceTypeOptions"]);
        assert!(!options.is_empty());
        assert!(options.iter().all(|o| !o.ends_with(".medium")), "{options:?}");
        assert_eq!(c["instanceType"], "m6a.large", "the cheapest on-demand type of the pool");
    }
    let cost = plan["cost"]["newNodesPerHour"].as_f64().expect("cost");
    assert!((cost - (3.0 * 0.2268 + 3.0 * 0.0864)).abs() < 1e-9, "{cost}");

    // The table a person reads, and --fail-on-pending with nothing pending.
    let table = run(&["plan", "-f", "fixtures/cortex-prod/"]);
    assert_eq!(table.status, 0);
    assert!(table.stdout.starts_with("New nodes: 6 ($0.9396/hour)\n"), "{}", table.stdout);
    assert_eq!(run(&["plan", "-f", "fixtures/cortex-prod/", "--fail-on-pending"]).status, 0);
}

#[test]
fn cortex_prod_lint_names_the_three_medium_types() {
    let doc = golden("cortex-prod", "lint", &["lint", "-f", "fixtures/cortex-prod/", "-o", "json"], 1);
    let findings = doc["findings"].as_array().expect("findings");
    let unknown: Vec<&Value> = findings.iter().filter(|f| f["code"] == "unknown-instance-type").collect();
    let named: BTreeSet<&str> = unknown
        .iter()
        .map(|f| {
            assert_eq!(f["object"], "NodePool general-pool");
            let m = f["message"].as_str().expect("message");
            m.split_whitespace().next().expect("a type first")
        })
        .collect();
    assert_eq!(named, BTreeSet::from(["m6a.medium", "m6i.medium", "m7i.medium"]));
    let m6i = unknown.iter().find(|f| f["message"].as_str().is_some_and(|m| m.starts_with("m6i."))).expect("m6i");
    assert!(
        m6i["message"]
            .as_str()
            .expect("text")
            .contains("m6i.medium does not exist in EC2; the smallest m6i is m6i.large"),
        "{m6i}"
    );
    // Nothing else is wrong with cortex-prod.
    assert_eq!(findings.len(), 3, "{findings:?}");
    let table = run(&["lint", "-f", "fixtures/cortex-prod/"]);
    assert_eq!(table.status, 1);
    assert!(table.stdout.contains("0 errors, 3 warnings"), "{}", table.stdout);
}

#[test]
fn cortex_prod_catalog_and_disrupt() {
    let args = [
        "catalog",
        "-f",
        "fixtures/cortex-prod/",
        "--node-pool",
        "memory-pool-xlarge",
        "-l",
        "karpenter.k8s.aws/instance-cpu<8",
        "-o",
        "json",
    ];
    let doc = golden("cortex-prod", "catalog", &args, 0);
    let names: Vec<&str> =
        doc["instanceTypes"].as_array().expect("types").iter().filter_map(|t| t["name"].as_str()).collect();
    // On-demand only (the pool), at most 4 vCPU (the selector), cheapest first.
    assert_eq!(names, vec!["r6a.large", "r6i.large", "r6a.xlarge", "r6i.xlarge"]);
    for t in doc["instanceTypes"].as_array().expect("types") {
        assert!(t.get("spotPrice").is_none(), "the pool allows on-demand only: {t}");
        assert!(t["offerings"].as_array().expect("offerings").iter().all(|o| o["capacityType"] == "on-demand"));
    }
    assert_eq!(doc["instanceTypes"][0]["allocatable"]["cpu"], "1930m");
    assert!(doc["priceSource"].as_str().expect("source").contains("Spot Instance Advisor"));

    // Nothing of Karpenter's runs yet: the static node group is all there is, and it is not Karpenter's.
    let plan =
        golden("cortex-prod", "disrupt", &["disrupt", "-f", "fixtures/cortex-prod/", "--now", NOW, "-o", "json"], 0);
    assert_eq!(plan["commands"].as_array().map(Vec::len), Some(0));
    assert_eq!(plan["blocked"].as_array().map(Vec::len), Some(3));
    assert!(plan["blocked"][0]["reason"].as_str().expect("reason").contains("not managed by Karpenter"));
}

/// The pending pod of each case and the words its headline must contain.
fn pending_case(case: &str) -> (&'static str, &'static [&'static str]) {
    match case {
        "selector-matches-no-pool" => (
            "default/karpenter-test",
            &["requires role In [memory-db-large]", "which no NodePool offers", "memory-db-large-scalable"],
        ),
        "missing-toleration" => (
            "default/karpenter-test",
            &["NodePool memory-pool-xlarge", "does not tolerate taint workload=database-large-scalable:NoSchedule"],
        ),
        "cpu-limit-reached" => {
            ("default/karpenter-test", &["NodePool memory-pool-xlarge", "cpu limit reached: 100 of 100"])
        }
        "no-available-offering" => (
            "falkordb/falkordb-data-2",
            &["NodePool memory-pool-xlarge", "would fit but have no available offering", "r6a.xlarge"],
        ),
        other => panic!("unknown case {other}"),
    }
}

#[test]
fn pending_fixtures() {
    for case in PENDING_CASES {
        let dir = format!("cortex-prod-pending/{case}");
        let path = format!("fixtures/{dir}/");
        let (pod, words) = pending_case(case);

        let plan = golden(&dir, "plan", &["plan", "-f", &path, "-o", "json"], 0);
        let pending = plan["unschedulable"].as_array().expect("unschedulable");
        assert_eq!(pending.len(), 1, "{case}: exactly the one pod stays pending");
        assert_eq!(pending[0]["pod"], pod);
        let reason = pending[0]["reason"].as_str().expect("reason");
        for w in words {
            assert!(reason.contains(w), "{case}: {reason:?} does not say {w:?}");
        }
        assert_eq!(run(&["plan", "-f", &path, "--fail-on-pending"]).status, 1, "{case}");

        let explain = golden(&dir, "explain", &["explain", "-f", &path, pod, "-o", "json"], 0);
        assert_eq!(explain["status"], "pending");
        assert_eq!(explain["reason"].as_str(), Some(reason));
        assert!(explain["nodePools"]["memory-pool-xlarge"]["reason"].is_string());

        let lint = golden(&dir, "lint", &["lint", "-f", &path, "-o", "json"], 1);
        let codes: Vec<(&str, &str)> = lint["findings"]
            .as_array()
            .expect("findings")
            .iter()
            .filter(|f| f["code"] != "unknown-instance-type")
            .filter_map(|f| Some((f["code"].as_str()?, f["object"].as_str()?)))
            .collect();
        let want: Vec<(&str, &str)> = match case {
            "selector-matches-no-pool" => vec![("pod-matches-no-pool", "Pod default/karpenter-test")],
            "missing-toleration" => vec![
                ("pod-untolerated-taint", "Pod default/karpenter-test"),
                ("taint-not-tolerated", "NodePool memory-pool-xlarge"),
            ],
            "cpu-limit-reached" => vec![("limit-reached", "NodePool memory-pool-xlarge")],
            // An unavailable offering is the state of the moment, not a mistake in the manifests.
            _ => vec![],
        };
        assert_eq!(codes, want, "{case}: lint");

        let table = run(&["explain", "-f", &path, pod]);
        assert_eq!(table.status, 0);
        let first = table.stdout.lines().next().unwrap_or_default();
        assert_eq!(first, format!("Pod {pod} stays pending: {reason}"));
    }
}

#[test]
fn pending_explanations_name_the_pool_that_refused() {
    let path = "fixtures/cortex-prod-pending/cpu-limit-reached/";
    let doc: Value =
        serde_json::from_str(&run(&["explain", "-f", path, "default/karpenter-test", "-o", "json"]).stdout)
            .expect("json");
    // The 25 full memory nodes refuse it too, each for want of memory.
    let nodes = doc["nodes"].as_object().expect("nodes");
    assert_eq!(nodes.len(), 25);
    assert!(
        nodes.values().filter(|n| n["reason"].as_str().is_some_and(|r| r.starts_with("not enough memory"))).count()
            == 25
    );
    assert_eq!(doc["nodePools"]["memory-pool-xlarge"]["refusal"]["kind"], "resourceLimit");

    let path = "fixtures/cortex-prod-pending/missing-toleration/";
    let doc: Value =
        serde_json::from_str(&run(&["explain", "-f", path, "default/karpenter-test", "-o", "json"]).stdout)
            .expect("json");
    assert_eq!(doc["nodePools"]["memory-pool-xlarge"]["refusal"]["kind"], "taint");
    assert_eq!(doc["nodePools"]["general-pool"]["refusal"]["kind"], "requirement");
}

#[test]
fn underused_general_pool_is_consolidated() {
    let dir = "cortex-prod-underused";
    let plan =
        golden(dir, "disrupt", &["disrupt", "-f", "fixtures/cortex-prod-underused/", "--now", NOW, "-o", "json"], 0);
    let commands = plan["commands"].as_array().expect("commands");
    assert_eq!(commands.len(), 1);
    let cmd = &commands[0];
    assert_eq!(cmd["reason"], "Underutilized");
    // The pool's default budget (10 % of 5 nodes, rounded up) allows one node at a time, and
    // its sentinel fits on a node without one.
    assert_eq!(cmd["decision"], "delete");
    assert_eq!(strs(&cmd["candidates"]), vec!["ip-10-42-161-23.ec2.internal"]);
    assert_eq!(cmd["savingsPerHour"].as_f64(), Some(0.192));
    let blocked = plan["blocked"].as_array().expect("blocked");
    let when_empty = blocked.iter().filter(|b| b["reason"].as_str().is_some_and(|r| r.contains("WhenEmpty"))).count();
    assert_eq!(when_empty, 3, "the three FalkorDB data nodes stay: WhenEmpty");
    // Everything runs already: nothing to launch.
    let placed = golden(dir, "plan", &["plan", "-f", "fixtures/cortex-prod-underused/", "-o", "json"], 0);
    assert_eq!(placed["nodeClaims"].as_array().map(Vec::len), Some(0));
    assert_eq!(placed["unschedulable"].as_array().map(Vec::len), Some(0));

    let table = run(&["disrupt", "-f", "fixtures/cortex-prod-underused/", "--now", NOW]);
    assert_eq!(table.status, 0);
    assert!(table.stdout.contains("Underutilized  delete"), "{}", table.stdout);
}

/// What each disrupt case must decide: the command reason, or the blocked node's reason.
fn disrupt_expectation(case: &str) -> (Option<&'static str>, &'static str) {
    match case {
        "budget" => (None, "disruption budget allows no more Empty disruptions"),
        "consolidate-after" => (None, "consolidateAfter not reached: consolidatable at 2025-06-02T09:07:00Z (in 7m)"),
        "do-not-disrupt" => (None, "has karpenter.sh/do-not-disrupt"),
        "drifted" => (Some("Drifted"), "m6a.large"),
        "expired" => (Some("Expired"), ""),
        "needs-2-new-nodes" => (None, "would need 2 new nodes"),
        "no-cheaper-replacement" => (None, "no replacement is cheaper than 0.0864/h"),
        "pdb" => (None, "PodDisruptionBudget billing/billing-api allows no eviction"),
        "when-empty" => (None, "consolidationPolicy WhenEmpty"),
        other => panic!("unknown case {other}"),
    }
}

#[test]
fn disrupt_fixtures() {
    let root = repo().join("fixtures/disrupt");
    let mut on_disk: Vec<String> = fs::read_dir(&root)
        .expect("fixtures/disrupt")
        .filter_map(|e| e.ok())
        .filter(|e| e.path().is_dir())
        .map(|e| e.file_name().to_string_lossy().to_string())
        .collect();
    on_disk.sort();
    assert_eq!(on_disk, DISRUPT_CASES.iter().map(|s| s.to_string()).collect::<Vec<_>>(), "every case is tested");
    for case in DISRUPT_CASES {
        let dir = format!("disrupt/{case}");
        let path = format!("fixtures/{dir}/");
        let doc = golden(&dir, "disrupt", &["disrupt", "-f", &path, "--now", NOW, "-o", "json"], 0);
        let (reason, words) = disrupt_expectation(case);
        match reason {
            Some(r) => {
                assert_eq!(doc["commands"][0]["reason"], r, "{case}");
                if !words.is_empty() {
                    assert_eq!(doc["commands"][0]["replacements"][0]["instanceType"], words, "{case}");
                }
            }
            None => {
                assert_eq!(doc["commands"].as_array().map(Vec::len), Some(0), "{case}: no command");
                let first = doc["blocked"][0]["reason"].as_str().unwrap_or_default();
                assert!(first.contains(words), "{case}: {first:?} does not say {words:?}");
            }
        }
    }
}

#[test]
fn disrupt_without_now_reads_the_clock() {
    // Without --now the pass runs at the current time; the document says when.
    let r = run(&["disrupt", "-f", "fixtures/disrupt/when-empty/", "-o", "json"]);
    assert_eq!(r.status, 0, "{}", r.stderr);
    let doc: Value = serde_json::from_str(&r.stdout).expect("json");
    assert!(doc["now"].as_str().is_some_and(|t| t.as_bytes()[..2] == *b"20"), "{}", doc["now"]);
}

#[test]
fn bad_input_corpus_exits_2_naming_file_and_field() {
    let dir = repo().join("fixtures/bad-input");
    let mut files: Vec<PathBuf> = fs::read_dir(&dir)
        .expect("fixtures/bad-input")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "yaml" || x == "yml"))
        .collect();
    files.sort();
    assert!(files.len() >= 10);
    for path in files {
        let name = path.file_name().expect("name").to_string_lossy().to_string();
        let text = String::from_utf8_lossy(&fs::read(&path).expect("read")).to_string();
        let field = text
            .lines()
            .take_while(|l| l.starts_with('#'))
            .find_map(|l| l.strip_prefix('#').map(str::trim).and_then(|l| l.strip_prefix("expect:")))
            .map(|f| f.trim().to_string())
            .unwrap_or_else(|| panic!("{name}: no `# expect:` line"));
        let arg = format!("fixtures/bad-input/{name}");
        for command in [vec!["plan", "-f", &arg], vec!["lint", "-f", &arg], vec!["disrupt", "-f", &arg, "--now", NOW]] {
            let r = run(&command);
            assert_eq!(r.status, 2, "{}: exit status\n{}", command.join(" "), r.stderr);
            assert!(r.stdout.is_empty(), "{}: stdout must be empty, got {:?}", command.join(" "), r.stdout);
            assert!(r.stderr.contains(&name), "{}: {:?} does not name the file", command.join(" "), r.stderr);
            if field != "(none)" {
                assert!(r.stderr.contains(&field), "{}: {:?} does not name {field}", command.join(" "), r.stderr);
            }
            assert!(!r.stderr.contains("panicked"), "{}", r.stderr);
        }
    }
}

#[test]
fn standard_input() {
    // Not YAML at all.
    let r = run_with(&["plan", "-f", "-"], Some(b"{{{ this: is: not yaml ]]\n\x01"));
    assert_eq!(r.status, 2);
    assert!(r.stdout.is_empty());
    assert!(r.stderr.contains("<stdin>"), "{}", r.stderr);
    // Not even UTF-8.
    let r = run_with(&["lint", "-f", "-"], Some(&[0xff, 0xfe, 0x00, 0x41]));
    assert_eq!(r.status, 2);
    assert!(r.stderr.contains("<stdin>") && r.stderr.contains("UTF-8"), "{}", r.stderr);
    // Good YAML from stdin plans like the same file.
    let text = fs::read(repo().join("fixtures/cortex-prod/karpenter-test.yaml")).expect("read");
    let r =
        run_with(&["plan", "-f", "fixtures/cortex-prod/nodepool-memory.yaml", "-f", "-", "-o", "json"], Some(&text));
    assert_eq!(r.status, 0, "{}", r.stderr);
    let doc: Value = serde_json::from_str(&r.stdout).expect("json");
    assert_eq!(claim_holding(&doc, "default/karpenter-test")["nodePool"], "memory-pool-xlarge");
}

#[test]
fn empty_catalog() {
    let text = b"apiVersion: nodepack.io/v1alpha1\nkind: Catalog\nspec: {builtin: none}\n---\napiVersion: karpenter.sh/v1\nkind: NodePool\nmetadata: {name: default}\nspec: {}\n---\napiVersion: v1\nkind: Pod\nmetadata: {name: web}\nspec:\n  containers: [{name: c, resources: {requests: {cpu: 100m}}}]\n";
    let r = run_with(&["plan", "-f", "-", "-o", "json"], Some(text));
    assert_eq!(r.status, 0, "{}", r.stderr);
    assert!(r.stderr.contains("the catalog is empty"), "{}", r.stderr);
    let doc: Value = serde_json::from_str(&r.stdout).expect("json");
    assert_eq!(doc["unschedulable"][0]["pod"], "default/web");
    assert_eq!(run_with(&["plan", "-f", "-", "--fail-on-pending"], Some(text)).status, 1);
    let r = run_with(&["lint", "-f", "-", "-o", "json"], Some(text));
    assert_eq!(r.status, 1);
    assert!(r.stdout.contains("\"empty-catalog\""), "{}", r.stdout);
    let r = run_with(&["catalog", "-f", "-", "-o", "json"], Some(text));
    assert_eq!(r.status, 0, "{}", r.stderr);
    let doc: Value = serde_json::from_str(&r.stdout).expect("json");
    assert_eq!(doc["instanceTypes"].as_array().map(Vec::len), Some(0));
    let r = run_with(&["disrupt", "-f", "-", "--now", NOW], Some(text));
    assert_eq!(r.status, 0, "{}", r.stderr);
}

#[test]
fn directory_arguments() {
    // A directory is its *.yaml files in name order.
    let dir = repo().join("fixtures/cortex-prod");
    let mut files: Vec<String> = fs::read_dir(&dir)
        .expect("dir")
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().to_string())
        .filter(|n| n.ends_with(".yaml"))
        .collect();
    files.sort();
    let mut args = vec!["plan".to_string(), "-o".to_string(), "json".to_string()];
    for f in &files {
        args.push("-f".to_string());
        args.push(format!("fixtures/cortex-prod/{f}"));
    }
    let listed = run(&args.iter().map(String::as_str).collect::<Vec<_>>());
    let whole = run(&["plan", "-f", "fixtures/cortex-prod", "-o", "json"]);
    assert_eq!(listed.status, 0);
    assert_eq!(listed.stdout, whole.stdout);
    // A directory of bad files fails on one of them, by name (files are read before any is
    // parsed, so the file that is not UTF-8 is the first refused).
    let r = run(&["plan", "-f", "fixtures/bad-input/"]);
    assert_eq!(r.status, 2);
    assert!(r.stdout.is_empty());
    assert!(r.stderr.contains("fixtures/bad-input/binary-not-utf8.yaml"), "{}", r.stderr);
    // A directory without YAML: a warning, and nothing to do.
    let r = run(&["plan", "-f", "fixtures/cortex-prod/expected/", "-o", "json"]);
    assert_eq!(r.status, 0, "{}", r.stderr);
    assert!(r.stderr.contains("no *.yaml or *.yml files"), "{}", r.stderr);
    // A path that does not exist.
    let r = run(&["lint", "-f", "fixtures/no-such-dir/"]);
    assert_eq!(r.status, 2);
    assert!(r.stderr.contains("no-such-dir"), "{}", r.stderr);
}

#[test]
fn usage_errors_exit_2() {
    let cases: Vec<Vec<&str>> = vec![
        vec!["plan"],
        vec!["plan", "-f", "fixtures/cortex-prod/", "--no-such-flag"],
        vec!["disrupt", "-f", "fixtures/cortex-prod/", "--now", "yesterday"],
        vec!["disrupt", "-f", "fixtures/cortex-prod/", "--now", "2025-02-30T00:00:00Z"],
        vec!["catalog", "-l", "karpenter.k8s.aws/instance-family in r6i"],
        vec!["catalog", "-l", "karpenter.k8s.aws/instance-cpu>many"],
        vec!["catalog", "--node-pool", "general-pool"],
        vec!["catalog", "-f", "fixtures/cortex-prod/", "--node-pool", "gpu-pool"],
        vec!["explain", "-f", "fixtures/cortex-prod/", "default/no-such-pod"],
        vec!["lint", "-f", "fixtures/cortex-prod/", "-o", "xml"],
    ];
    for args in cases {
        let r = run(&args);
        assert_eq!(r.status, 2, "nodepack {}: {}", args.join(" "), r.stderr);
        assert!(r.stdout.is_empty(), "nodepack {}: {}", args.join(" "), r.stdout);
        assert!(!r.stderr.is_empty());
    }
}

#[test]
fn builtin_catalog_with_a_selector() {
    let r = run(&["catalog", "-l", "karpenter.k8s.aws/instance-family=m6i,karpenter.k8s.aws/instance-cpu<5"]);
    assert_eq!(r.status, 0, "{}", r.stderr);
    let lines: Vec<&str> = r.stdout.lines().collect();
    assert!(lines[0].starts_with("NAME"), "{}", r.stdout);
    assert!(lines[1].starts_with("m6i.large "), "{}", r.stdout);
    assert!(lines[2].starts_with("m6i.xlarge "), "{}", r.stdout);
    assert!(r.stdout.contains("Spot Instance Advisor"), "the price source is printed");
    let json = run(&["catalog", "-l", "node.kubernetes.io/instance-type in (m6i.large,m6i.medium)", "-o", "json"]);
    let doc: Value = serde_json::from_str(&json.stdout).expect("json");
    assert_eq!(doc["version"], "v1alpha1");
    assert_eq!(doc["instanceTypes"].as_array().map(Vec::len), Some(1));
    assert_eq!(doc["instanceTypes"][0]["onDemandPrice"].as_f64(), Some(0.096));
    assert_eq!(doc["instanceTypes"][0]["capacity"]["memory"], "7577Mi");
    let yaml = run(&["catalog", "-l", "node.kubernetes.io/instance-type=m6i.large", "-o", "yaml"]);
    assert_eq!(yaml.status, 0);
    assert!(yaml.stdout.contains("name: m6i.large"), "{}", yaml.stdout);
}
