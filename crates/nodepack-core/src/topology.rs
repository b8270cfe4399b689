//! Topology: spread constraints, pod affinity and anti-affinity across domains.
//!
//! This first version records nothing and constrains nothing; the "Scheduling constraints"
//! issue replaces it with Karpenter's topology groups.

use crate::cluster::Cluster;
use crate::instance_type::InstanceType;
use crate::pod::Pod;
use crate::requirements::Requirements;
use crate::taint::Taint;

/// The domains one NodePool can reach.
pub(crate) struct PoolDomains<'a> {
    pub(crate) requirements: &'a Requirements,
    pub(crate) taints: &'a [Taint],
    pub(crate) types: Vec<&'a InstanceType>,
}

/// Topology state for one pass.
pub(crate) struct Topology {}

impl Topology {
    pub(crate) fn new(_cluster: &Cluster, _pools: &[PoolDomains<'_>], _pods: &[Pod]) -> Self {
        Topology {}
    }

    pub(crate) fn add_requirements(
        &self,
        _pod: &Pod,
        _taints: &[Taint],
        _strict: &Requirements,
        _node: &Requirements,
        _allow: &dyn Fn(&str) -> bool,
    ) -> Result<Requirements, String> {
        Ok(Requirements::new())
    }

    pub(crate) fn record(
        &mut self,
        _i: usize,
        _pod: &Pod,
        _taints: &[Taint],
        _reqs: &Requirements,
        _allow: &crate::scheduler::AllowUndefined,
    ) {
    }

    pub(crate) fn update(&mut self, _i: usize, _pod: &Pod) {}
}
