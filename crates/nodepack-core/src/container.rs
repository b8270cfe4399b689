//! Containers and the pod's effective requests, computed as Kubernetes' `PodRequests` does.

use crate::resources::{ResourceOverflow, Resources};

/// One container's resources.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Container {
    /// `resources.requests`.
    pub requests: Resources,
    /// `resources.limits`; a limit with no request stands in for the request.
    pub limits: Resources,
    /// An init container with `restartPolicy: Always` (a sidecar).
    pub restartable: bool,
}

impl Container {
    /// The container's effective requests: each request, or the limit where the request is absent.
    pub fn effective_requests(&self) -> Resources {
        let mut out = self.requests.clone();
        for (name, limit) in self.limits.iter() {
            if self.requests.get(&name) == 0 {
                out.set(&name, limit);
            }
        }
        out
    }
}

/// The requests a pod needs on a node, as Kubernetes computes them: the sum of the containers and
/// the sidecars, or the largest init-container phase if larger, plus the pod overhead.
///
/// ```
/// use nodepack_core::{Container, pod_requests, Resources, ResourceName};
/// let app = Container { requests: Resources::new().with(ResourceName::Cpu, 500), ..Default::default() };
/// let init = Container { requests: Resources::new().with(ResourceName::Cpu, 2000), ..Default::default() };
/// let r = pod_requests(&[app], &[init], &Resources::new()).unwrap();
/// assert_eq!(r.cpu().0, 2000);
/// ```
pub fn pod_requests(
    containers: &[Container],
    init_containers: &[Container],
    overhead: &Resources,
) -> Result<Resources, ResourceOverflow> {
    let mut reqs = Resources::new();
    for c in containers {
        reqs.add_assign_checked(&c.effective_requests())?;
    }
    let mut sidecars = Resources::new();
    let mut init_max = Resources::new();
    for c in init_containers {
        let own = c.effective_requests();
        let phase = if c.restartable {
            reqs.add_assign_checked(&own)?;
            sidecars.add_assign_checked(&own)?;
            sidecars.clone()
        } else {
            own.checked_add(&sidecars)?
        };
        init_max = init_max.max(&phase);
    }
    let mut out = reqs.max(&init_max);
    out.add_assign_checked(overhead)?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resources::ResourceName;

    fn cpu(m: i64) -> Resources {
        Resources::new().with(ResourceName::Cpu, m)
    }

    #[test]
    fn limits_stand_in_for_missing_requests() {
        let c = Container {
            requests: Resources::new().with(ResourceName::Memory, 100),
            limits: cpu(300).with(ResourceName::Memory, 500),
            restartable: false,
        };
        let r = c.effective_requests();
        assert_eq!(r.cpu().0, 300);
        assert_eq!(r.memory().0, 100);
    }

    #[test]
    fn sidecars_add_to_containers_and_later_inits() {
        let app = Container { requests: cpu(1000), ..Default::default() };
        let sidecar = Container { requests: cpu(200), restartable: true, ..Default::default() };
        let late_init = Container { requests: cpu(1500), ..Default::default() };
        // containers 1000 + sidecar 200 = 1200; init phase after sidecar: 1500 + 200 = 1700
        let r = pod_requests(&[app], &[sidecar, late_init], &cpu(50)).unwrap();
        assert_eq!(r.cpu().0, 1750);
    }
}
