//! `nodepack catalog`: the instance types a NodePool or selector admits.

use nodepack_core::{Bytes, InstanceType, Price, Requirements};
use nodepack_sim::aws_catalog::{aws_instance_types, AwsCatalogOptions, PRICE_SOURCES};
use nodepack_sim::catalog::{admitted, parse_selector, Admitted};
use nodepack_sim::manifest::CatalogSource;
use nodepack_sim::output::CatalogOutput;

use super::{emit, load, CommandError};
use crate::cli::Output;
use crate::table::Table;

/// Where the prices of a catalog of `InstanceType` documents come from.
const DOCUMENT_PRICES: &str = "Prices are those of the InstanceType documents given.";

/// Lists the admitted instance types, cheapest first.
pub fn catalog(
    files: &[String],
    selector: Option<&str>,
    node_pool: Option<&str>,
    output: Output,
) -> Result<u8, CommandError> {
    let selector = parse_selector(selector.unwrap_or("")).map_err(|e| CommandError::Usage(e.to_string()))?;
    let builtin;
    let loaded;
    let (types, pool_reqs, price_source): (&[InstanceType], Requirements, &str) = if files.is_empty() {
        if let Some(p) = node_pool {
            return Err(CommandError::Usage(format!("--node-pool {p} needs the manifests that define it (-f)")));
        }
        builtin = aws_instance_types(&AwsCatalogOptions::default()).map_err(|e| CommandError::Usage(e.to_string()))?;
        (&builtin, Requirements::new(), PRICE_SOURCES)
    } else {
        loaded = load(files)?;
        let source = match loaded.catalog_source {
            CatalogSource::Builtin { .. } => PRICE_SOURCES,
            CatalogSource::Custom => DOCUMENT_PRICES,
        };
        match node_pool {
            None => (loaded.cluster.instance_types.as_slice(), Requirements::new(), source),
            Some(name) => {
                let Some(pool) = loaded.cluster.node_pool(name) else {
                    let mut names: Vec<&str> = loaded.cluster.node_pools.iter().map(|p| p.name.as_str()).collect();
                    names.sort_unstable();
                    let known = if names.is_empty() { "none".to_string() } else { names.join(", ") };
                    return Err(CommandError::Usage(format!(
                        "no NodePool {name} in the manifests (NodePools: {known})"
                    )));
                };
                (loaded.cluster.instance_types_for(name), pool.template_requirements(), source)
            }
        }
    };
    let found = admitted(types, &pool_reqs, &selector);
    if found.entries.is_empty() && found.unavailable.is_empty() {
        if let Some(key) = selector.keys().find(|k| !types.iter().any(|t| t.requirements.has(k))) {
            eprintln!("warning: no instance type in the catalog carries the label {key}");
        }
    }
    let doc = CatalogOutput::new(&found, price_source);
    emit(output, &doc, || catalog_table(&found, price_source))?;
    Ok(0)
}

/// Memory as GiB with one decimal, rounded down (`7.3Gi`).
fn gib(b: Bytes) -> String {
    let tenths = b.0.max(0) / ((1 << 30) / 10);
    format!("{}.{}Gi", tenths / 10, tenths % 10)
}

fn price(p: Option<Price>) -> String {
    p.map_or_else(|| "-".to_string(), |p| p.to_string())
}

fn catalog_table(found: &Admitted<'_>, price_source: &str) -> String {
    let mut out = String::new();
    if found.entries.is_empty() {
        out.push_str("No instance type is admitted.\n");
    } else {
        let mut t = Table::new(&[
            "NAME",
            "VCPU",
            "MEMORY",
            "PODS",
            "ALLOCATABLE CPU",
            "ALLOCATABLE MEMORY",
            "ON-DEMAND/H",
            "SPOT/H",
        ]);
        for e in &found.entries {
            let it = e.instance_type;
            let alloc = it.allocatable();
            t.row(vec![
                it.name.clone(),
                it.capacity.cpu().to_string(),
                gib(it.capacity.memory()),
                it.capacity.pods().to_string(),
                alloc.cpu().to_string(),
                gib(alloc.memory()),
                price(e.on_demand),
                price(e.spot),
            ]);
        }
        out.push_str(&t.render());
    }
    if !found.unavailable.is_empty() {
        const SHOWN: usize = 10;
        let names: Vec<&str> = found.unavailable.iter().take(SHOWN).copied().collect();
        let more = found.unavailable.len().saturating_sub(SHOWN);
        out.push_str(&format!(
            "\nAlso matching, but with no available offering: {}{}\n",
            names.join(", "),
            if more > 0 { format!(" (and {more} more)") } else { String::new() }
        ));
    }
    out.push_str(&format!("\n{price_source}\n"));
    out
}
