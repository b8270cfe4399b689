//! Well-known label keys, their deprecated aliases, and the restricted domains, as Karpenter
//! defines them (`pkg/apis/v1/labels.go` in Karpenter and its AWS provider).

use std::collections::BTreeMap;

/// `topology.kubernetes.io/zone`
pub const ZONE: &str = "topology.kubernetes.io/zone";
/// `topology.kubernetes.io/region`
pub const REGION: &str = "topology.kubernetes.io/region";
/// `node.kubernetes.io/instance-type`
pub const INSTANCE_TYPE: &str = "node.kubernetes.io/instance-type";
/// `kubernetes.io/arch`
pub const ARCH: &str = "kubernetes.io/arch";
/// `kubernetes.io/os`
pub const OS: &str = "kubernetes.io/os";
/// `kubernetes.io/hostname`
pub const HOSTNAME: &str = "kubernetes.io/hostname";
/// `karpenter.sh/capacity-type`
pub const CAPACITY_TYPE: &str = "karpenter.sh/capacity-type";
/// `karpenter.sh/nodepool`
pub const NODE_POOL: &str = "karpenter.sh/nodepool";
/// `karpenter.sh/initialized`
pub const INITIALIZED: &str = "karpenter.sh/initialized";
/// `node.kubernetes.io/windows-build`
pub const WINDOWS_BUILD: &str = "node.kubernetes.io/windows-build";
/// `karpenter.sh/do-not-disrupt`, the annotation that blocks voluntary disruption.
pub const DO_NOT_DISRUPT: &str = "karpenter.sh/do-not-disrupt";

/// Capacity type `on-demand`.
pub const ON_DEMAND: &str = "on-demand";
/// Capacity type `spot`.
pub const SPOT: &str = "spot";
/// Capacity type `reserved`.
pub const RESERVED: &str = "reserved";

/// The labels Karpenter itself treats as well known: a requirement on one of them is allowed
/// even when no NodePool defines it.
pub const WELL_KNOWN: [&str; 8] = [NODE_POOL, ZONE, REGION, INSTANCE_TYPE, ARCH, OS, CAPACITY_TYPE, WINDOWS_BUILD];

/// Deprecated label keys and the keys Karpenter reads them as.
pub const ALIASES: [(&str, &str); 5] = [
    ("failure-domain.beta.kubernetes.io/zone", ZONE),
    ("failure-domain.beta.kubernetes.io/region", REGION),
    ("beta.kubernetes.io/arch", ARCH),
    ("beta.kubernetes.io/os", OS),
    ("beta.kubernetes.io/instance-type", INSTANCE_TYPE),
];

const RESTRICTED_DOMAINS: [&str; 4] = ["kubernetes.io", "k8s.io", "karpenter.sh", "karpenter.k8s.aws"];
const DOMAIN_EXCEPTIONS: [&str; 3] = ["kops.k8s.io", "node.kubernetes.io", "node-restriction.kubernetes.io"];

/// The key a label is read as: deprecated beta aliases become their stable names.
///
/// ```
/// assert_eq!(nodepack_core::label::normalize("failure-domain.beta.kubernetes.io/zone"), "topology.kubernetes.io/zone");
/// assert_eq!(nodepack_core::label::normalize("team"), "team");
/// ```
pub fn normalize(key: &str) -> &str {
    for (alias, stable) in ALIASES {
        if key == alias {
            return stable;
        }
    }
    key
}

/// Whether a key is one of Karpenter's own well-known labels.
pub fn is_well_known(key: &str) -> bool {
    WELL_KNOWN.contains(&key)
}

fn domain(key: &str) -> &str {
    match key.split_once('/') {
        Some((d, _)) => d,
        None => "",
    }
}

/// Whether Karpenter refuses this key in a selector or a NodePool template: `kubernetes.io/hostname`
/// and any key in the `kubernetes.io`, `k8s.io`, `karpenter.sh` or `karpenter.k8s.aws` domains that
/// is not well known (keys under `node.kubernetes.io` and `node-restriction.kubernetes.io` are allowed).
pub fn is_restricted(key: &str) -> bool {
    if is_well_known(key) {
        return false;
    }
    let d = domain(key);
    if DOMAIN_EXCEPTIONS.iter().any(|e| d.ends_with(e)) {
        return false;
    }
    if RESTRICTED_DOMAINS.iter().any(|r| d.ends_with(r)) {
        return true;
    }
    key == HOSTNAME
}

/// Whether a label key may be *selected on* by a pod or required by a NodePool. Provider labels
/// (for example `karpenter.k8s.aws/instance-family`) are restricted as node labels a user may set,
/// but selecting on them is allowed when the provider declares them.
pub fn is_selectable(key: &str, provider_labels: &dyn Fn(&str) -> bool) -> bool {
    !is_restricted(key) || provider_labels(key)
}

/// A set of labels (key to value), ordered by key.
pub type Labels = BTreeMap<String, String>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn restricted_and_exceptions() {
        assert!(is_restricted(HOSTNAME));
        assert!(is_restricted("karpenter.sh/something"));
        assert!(is_restricted("karpenter.k8s.aws/instance-family"));
        assert!(!is_restricted(NODE_POOL));
        assert!(!is_restricted(CAPACITY_TYPE));
        assert!(!is_restricted("node.kubernetes.io/custom"));
        assert!(!is_restricted("role"));
        assert!(!is_restricted("example.com/team"));
        assert!(is_restricted("kubernetes.io/custom"));
    }
}
