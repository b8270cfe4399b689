//! The built-in AWS catalog: every EC2 instance type in the embedded reference data, with
//! Karpenter's AWS allocatable model, its `karpenter.k8s.aws/*` labels, and us-east-1 prices.
//!
//! The data is two CSV files compiled into the binary (see `crates/nodepack-sim/data/README.md`
//! for where they come from). [`aws_type_info`] gives the rows as read; [`aws_instance_types`]
//! turns them into [`InstanceType`]s for a region, a set of zones and capacity types, and an
//! optional EC2NodeClass kubelet configuration.
//!
//! # The model (Karpenter v1.14.1, AL2023 AMI family)
//!
//! * **cpu** = vCPUs × 1000m.
//! * **memory** = `MiB` (minus 64 MiB on arm64, the Graviton CMA reservation) minus
//!   `ceil(7.5 % of that)`, the VM overhead estimate.
//! * **pods** = kubelet `maxPods` if set, else the ENI-limited count from the data; then capped at
//!   `podsPerCore × vCPUs` when `podsPerCore > 0`.
//! * **ephemeral-storage** = 20Gi, the AL2023 default root volume.
//! * Extended resources: `nvidia.com/gpu`, `amd.com/gpu`, `habana.ai/gaudi`, `aws.amazon.com/neuron`,
//!   `aws.amazon.com/neuroncore`, `vpc.amazonaws.com/pod-eni` and `vpc.amazonaws.com/efa`.
//! * **kube-reserved**: memory `11 × pods + 255` MiB, where `pods` is always the ENI-limited count.
//!   AL2023 keeps Karpenter's default `UsesENILimitedMemoryOverhead` flag, so a kubelet `maxPods` or
//!   `podsPerCore` changes the pod capacity but not this reservation. CPU is 6 % of the first core,
//!   1 % of the second, 0.5 % of cores 3–4 and 0.25 % of every core above 4. Ephemeral storage is 1Gi.
//!   The kubelet `kubeReserved` map overrides these resource by resource.
//! * **system-reserved**: none, unless the kubelet `systemReserved` map gives some.
//! * **eviction threshold**: memory 100Mi and ephemeral storage 10 % of the volume. `evictionHard`
//!   `memory.available` and `nodefs.available` override them, with a quantity or a percentage of
//!   capacity. Percentages are computed in `f64` exactly as Karpenter computes them, so the rounding
//!   agrees byte for byte. A value of `100%` disables the threshold, as in Karpenter.
//!
//! Offerings: every requested zone × capacity type. On-demand is priced from Karpenter's generated
//! pricing file. Spot uses the Spot Instance Advisor estimate (see [`PRICE_SOURCES`]). A type without
//! an on-demand price, or one that Karpenter's current type list no longer has
//! ([`AwsTypeInfo::karpenter_current`] is false), is described but has no offerings. A type without an
//! advisor row has no spot offering.
//!
//! Labels are requirements, as Karpenter's `computeRequirements` builds them. A label the type lacks
//! (for example `instance-gpu-name` on m6i) is `DoesNotExist`. Labels the data cannot give
//! (`instance-cpu-sustained-clock-speed-mhz`, `instance-encryption-in-transit-supported`,
//! `nitro-sandbox`, `topology.k8s.aws/zone-id`) are left out: they are neither asserted nor denied.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::OnceLock;

use nodepack_core::{
    label, InstanceType, Offering, Operator, Overhead, Price, Quantity, QuantityError, Requirement, RequirementError,
    ResourceName, Resources,
};

use crate::kubelet::KubeletConfig;

const INSTANCE_TYPES_FILE: &str = "aws-ec2-instance-types.csv";
const SPOT_ADVISOR_FILE: &str = "aws-ec2-spot-advisor-us-east-1.csv";
const INSTANCE_TYPES_CSV: &str = include_str!("../data/aws-ec2-instance-types.csv");
const SPOT_ADVISOR_CSV: &str = include_str!("../data/aws-ec2-spot-advisor-us-east-1.csv");

/// Where the catalog's prices come from.
pub const PRICE_SOURCES: &str =
    "On-demand prices are the us-east-1 Linux prices from Karpenter's generated pricing file \
     (aws/karpenter-provider-aws pkg/providers/pricing/zz_generated.pricing_aws.go, generated 2026-07-20); spot prices \
     are estimates, on-demand × (1 − the AWS Spot Instance Advisor's average savings for us-east-1), not observed \
     spot prices, and are the same in every zone.";

const MIB: i64 = 1 << 20;
const GIB: i64 = 1 << 30;

/// The root volume size of the AL2023 AMI family (Karpenter's `DefaultEBS`), which is the node's
/// ephemeral-storage capacity, in bytes.
pub const EPHEMERAL_STORAGE_BYTES: i64 = 20 * GIB;
/// Karpenter's default VM memory overhead (`VM_MEMORY_OVERHEAD_PERCENT` = 0.075), in thousandths.
pub const VM_MEMORY_OVERHEAD_PER_MILLE: i64 = 75;
/// Memory that Graviton (arm64) instances reserve for the CMA and that Karpenter subtracts, in MiB.
pub const ARM64_RESERVED_MIB: i64 = 64;
/// The default hard eviction threshold for memory (`memory.available`), in bytes.
pub const DEFAULT_EVICTION_MEMORY_BYTES: i64 = 100 * MIB;
/// The default hard eviction threshold for the root volume (`nodefs.available`), in percent.
pub const DEFAULT_EVICTION_NODEFS_PERCENT: f64 = 10.0;
/// The default kube-reserved ephemeral storage, in bytes.
pub const KUBE_RESERVED_EPHEMERAL_STORAGE_BYTES: i64 = GIB;

/// `karpenter.k8s.aws/instance-category`, for example `m` or `inf`.
pub const LABEL_INSTANCE_CATEGORY: &str = "karpenter.k8s.aws/instance-category";
/// `karpenter.k8s.aws/instance-family`, for example `m6i`.
pub const LABEL_INSTANCE_FAMILY: &str = "karpenter.k8s.aws/instance-family";
/// `karpenter.k8s.aws/instance-generation`, for example `6`.
pub const LABEL_INSTANCE_GENERATION: &str = "karpenter.k8s.aws/instance-generation";
/// `karpenter.k8s.aws/instance-size`, for example `large` or `metal-24xl`.
pub const LABEL_INSTANCE_SIZE: &str = "karpenter.k8s.aws/instance-size";
/// `karpenter.k8s.aws/instance-cpu`: the default vCPU count as an integer string, so `Gt`/`Lt` work.
pub const LABEL_INSTANCE_CPU: &str = "karpenter.k8s.aws/instance-cpu";
/// `karpenter.k8s.aws/instance-cpu-manufacturer`: `intel`, `amd` or `aws`.
pub const LABEL_INSTANCE_CPU_MANUFACTURER: &str = "karpenter.k8s.aws/instance-cpu-manufacturer";
/// `karpenter.k8s.aws/instance-cpu-sustained-clock-speed-mhz` (not in the data, so never set).
pub const LABEL_INSTANCE_CPU_SUSTAINED_CLOCK_SPEED_MHZ: &str =
    "karpenter.k8s.aws/instance-cpu-sustained-clock-speed-mhz";
/// `karpenter.k8s.aws/instance-memory`: total VM memory in MiB.
pub const LABEL_INSTANCE_MEMORY: &str = "karpenter.k8s.aws/instance-memory";
/// `karpenter.k8s.aws/instance-hypervisor`: `nitro`, `xen`, or the empty string on bare metal.
pub const LABEL_INSTANCE_HYPERVISOR: &str = "karpenter.k8s.aws/instance-hypervisor";
/// `karpenter.k8s.aws/instance-network-bandwidth`: baseline bandwidth in Mbps.
pub const LABEL_INSTANCE_NETWORK_BANDWIDTH: &str = "karpenter.k8s.aws/instance-network-bandwidth";
/// `karpenter.k8s.aws/instance-ebs-bandwidth`: maximum EBS bandwidth in Mbps.
pub const LABEL_INSTANCE_EBS_BANDWIDTH: &str = "karpenter.k8s.aws/instance-ebs-bandwidth";
/// `karpenter.k8s.aws/instance-local-nvme`: local NVMe storage in GB.
pub const LABEL_INSTANCE_LOCAL_NVME: &str = "karpenter.k8s.aws/instance-local-nvme";
/// `karpenter.k8s.aws/instance-gpu-name`, for example `h100`.
pub const LABEL_INSTANCE_GPU_NAME: &str = "karpenter.k8s.aws/instance-gpu-name";
/// `karpenter.k8s.aws/instance-gpu-manufacturer`: `nvidia`, `amd` or `habana`.
pub const LABEL_INSTANCE_GPU_MANUFACTURER: &str = "karpenter.k8s.aws/instance-gpu-manufacturer";
/// `karpenter.k8s.aws/instance-gpu-count`.
pub const LABEL_INSTANCE_GPU_COUNT: &str = "karpenter.k8s.aws/instance-gpu-count";
/// `karpenter.k8s.aws/instance-gpu-memory`: memory per GPU in MiB.
pub const LABEL_INSTANCE_GPU_MEMORY: &str = "karpenter.k8s.aws/instance-gpu-memory";
/// `karpenter.k8s.aws/instance-accelerator-name`, for example `inferentia2`.
pub const LABEL_INSTANCE_ACCELERATOR_NAME: &str = "karpenter.k8s.aws/instance-accelerator-name";
/// `karpenter.k8s.aws/instance-accelerator-manufacturer`: `aws` or `qualcomm`.
pub const LABEL_INSTANCE_ACCELERATOR_MANUFACTURER: &str = "karpenter.k8s.aws/instance-accelerator-manufacturer";
/// `karpenter.k8s.aws/instance-accelerator-count`.
pub const LABEL_INSTANCE_ACCELERATOR_COUNT: &str = "karpenter.k8s.aws/instance-accelerator-count";
/// `karpenter.k8s.aws/instance-capability-flex`: `true` for the `-flex` families.
pub const LABEL_INSTANCE_CAPABILITY_FLEX: &str = "karpenter.k8s.aws/instance-capability-flex";
/// `karpenter.k8s.aws/instance-encryption-in-transit-supported` (not in the data, so never set).
pub const LABEL_INSTANCE_ENCRYPTION_IN_TRANSIT_SUPPORTED: &str =
    "karpenter.k8s.aws/instance-encryption-in-transit-supported";
/// `karpenter.k8s.aws/instance-tenancy`: `default` or `dedicated`. Every type admits both.
pub const LABEL_INSTANCE_TENANCY: &str = "karpenter.k8s.aws/instance-tenancy";
/// `karpenter.k8s.aws/nitro-sandbox` (not in the data, so never set).
pub const LABEL_NITRO_SANDBOX: &str = "karpenter.k8s.aws/nitro-sandbox";
/// `karpenter.k8s.aws/capacity-reservation-id` (`DoesNotExist`: the catalog has no reservations).
pub const LABEL_CAPACITY_RESERVATION_ID: &str = "karpenter.k8s.aws/capacity-reservation-id";
/// `karpenter.k8s.aws/capacity-reservation-type` (`DoesNotExist`).
pub const LABEL_CAPACITY_RESERVATION_TYPE: &str = "karpenter.k8s.aws/capacity-reservation-type";
/// `karpenter.k8s.aws/capacity-reservation-interruptible` (`DoesNotExist`).
pub const LABEL_CAPACITY_RESERVATION_INTERRUPTIBLE: &str = "karpenter.k8s.aws/capacity-reservation-interruptible";
/// `topology.k8s.aws/zone-id` (not known without subnets, so never set).
pub const LABEL_TOPOLOGY_ZONE_ID: &str = "topology.k8s.aws/zone-id";

/// The label keys the AWS provider declares well known, beyond Karpenter's own
/// (`aws:pkg/apis/v1/labels.go`): pods and NodePools may select on them even where no NodePool
/// defines them.
pub const PROVIDER_LABELS: [&str; 27] = [
    LABEL_CAPACITY_RESERVATION_ID,
    LABEL_CAPACITY_RESERVATION_TYPE,
    LABEL_CAPACITY_RESERVATION_INTERRUPTIBLE,
    LABEL_INSTANCE_HYPERVISOR,
    LABEL_INSTANCE_ENCRYPTION_IN_TRANSIT_SUPPORTED,
    LABEL_NITRO_SANDBOX,
    LABEL_INSTANCE_CATEGORY,
    LABEL_INSTANCE_CAPABILITY_FLEX,
    LABEL_INSTANCE_FAMILY,
    LABEL_INSTANCE_GENERATION,
    LABEL_INSTANCE_SIZE,
    LABEL_INSTANCE_LOCAL_NVME,
    LABEL_INSTANCE_CPU,
    LABEL_INSTANCE_CPU_MANUFACTURER,
    LABEL_INSTANCE_CPU_SUSTAINED_CLOCK_SPEED_MHZ,
    LABEL_INSTANCE_MEMORY,
    LABEL_INSTANCE_EBS_BANDWIDTH,
    LABEL_INSTANCE_NETWORK_BANDWIDTH,
    LABEL_INSTANCE_GPU_NAME,
    LABEL_INSTANCE_GPU_MANUFACTURER,
    LABEL_INSTANCE_GPU_COUNT,
    LABEL_INSTANCE_GPU_MEMORY,
    LABEL_INSTANCE_ACCELERATOR_NAME,
    LABEL_INSTANCE_ACCELERATOR_MANUFACTURER,
    LABEL_INSTANCE_ACCELERATOR_COUNT,
    LABEL_TOPOLOGY_ZONE_ID,
    LABEL_INSTANCE_TENANCY,
];

/// `nvidia.com/gpu`
pub const RESOURCE_NVIDIA_GPU: &str = "nvidia.com/gpu";
/// `amd.com/gpu`
pub const RESOURCE_AMD_GPU: &str = "amd.com/gpu";
/// `habana.ai/gaudi`
pub const RESOURCE_HABANA_GAUDI: &str = "habana.ai/gaudi";
/// `aws.amazon.com/neuron`: Inferentia and Trainium devices.
pub const RESOURCE_AWS_NEURON: &str = "aws.amazon.com/neuron";
/// `aws.amazon.com/neuroncore`: NeuronCores over all devices.
pub const RESOURCE_AWS_NEURON_CORE: &str = "aws.amazon.com/neuroncore";
/// `vpc.amazonaws.com/pod-eni`: branch interfaces for security groups for pods.
pub const RESOURCE_POD_ENI: &str = "vpc.amazonaws.com/pod-eni";
/// `vpc.amazonaws.com/efa`: Elastic Fabric Adapter interfaces.
pub const RESOURCE_EFA: &str = "vpc.amazonaws.com/efa";

/// NeuronCores per Neuron device, by accelerator name. These are the ratios of
/// `aws.amazon.com/neuroncore` to `aws.amazon.com/neuron` on Karpenter's generated instance-type page.
const NEURON_CORES_PER_DEVICE: [(&str, i64); 4] =
    [("inferentia", 4), ("inferentia2", 2), ("trainium", 2), ("trainium2", 8)];

/// What the built-in catalog offers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AwsCatalogOptions {
    /// The region, written as the `topology.kubernetes.io/region` label. Prices are us-east-1's,
    /// whatever the region.
    pub region: String,
    /// The zones every type is offered in (duplicates are ignored).
    pub zones: Vec<String>,
    /// The capacity types offered: `on-demand` and/or `spot` (duplicates are ignored).
    pub capacity_types: Vec<String>,
    /// The EC2NodeClass `spec.kubelet`, which changes pods and overhead.
    pub kubelet: Option<KubeletConfig>,
}

impl Default for AwsCatalogOptions {
    /// us-east-1, zones `us-east-1a`, `us-east-1b` and `us-east-1c`, on-demand and spot, no kubelet settings.
    fn default() -> Self {
        AwsCatalogOptions {
            region: "us-east-1".to_string(),
            zones: vec!["us-east-1a".to_string(), "us-east-1b".to_string(), "us-east-1c".to_string()],
            capacity_types: vec![label::ON_DEMAND.to_string(), label::SPOT.to_string()],
            kubelet: None,
        }
    }
}

/// Why the catalog could not be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CatalogError {
    /// The embedded data is malformed (this would be a build defect, not an input error).
    #[error("built-in data {file}, line {line}: {message}")]
    Data {
        /// The data file.
        file: &'static str,
        /// The 1-based line.
        line: usize,
        /// What is wrong.
        message: String,
    },
    /// A kubelet quantity could not be read.
    #[error("{field}: {source}")]
    Quantity {
        /// The field, for example `spec.kubelet.kubeReserved.memory`.
        field: String,
        /// The quantity error.
        #[source]
        source: QuantityError,
    },
    /// An eviction threshold percentage is malformed or above 100%.
    #[error("{field}: {value:?} is not a percentage from 0% to 100%")]
    Percentage {
        /// The field, for example `spec.kubelet.evictionHard.memory.available`.
        field: String,
        /// The value as given.
        value: String,
    },
    /// `kubeReserved` or `systemReserved` names a resource that cannot be reserved.
    #[error("{field}: {resource:?} cannot be reserved (expected cpu, memory, ephemeral-storage or pid)")]
    ReservedResource {
        /// `spec.kubelet.kubeReserved` or `spec.kubelet.systemReserved`.
        field: String,
        /// The resource name given.
        resource: String,
    },
    /// `maxPods` or `podsPerCore` is negative or does not fit in 32 bits.
    #[error("{field}: {value} is out of range (expected 0 to 2147483647)")]
    OutOfRange {
        /// `spec.kubelet.maxPods` or `spec.kubelet.podsPerCore`.
        field: String,
        /// The value given.
        value: i64,
    },
    /// A capacity type other than `on-demand` or `spot` was asked for.
    #[error("capacity type {capacity_type:?} is not offered by the built-in AWS catalog (expected on-demand or spot)")]
    CapacityType {
        /// The capacity type given.
        capacity_type: String,
    },
    /// A label requirement could not be built.
    #[error("instance type {name}: {source}")]
    Requirement {
        /// The instance type.
        name: String,
        /// The requirement error.
        #[source]
        source: RequirementError,
    },
}

/// One row of the embedded instance-type data, joined with its Spot Instance Advisor row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AwsTypeInfo {
    /// The instance type, for example `m6i.large`.
    pub name: String,
    /// The family (`instance-family`), for example `m6i`.
    pub family: String,
    /// The category (`instance-category`), for example `m`.
    pub category: String,
    /// The generation (`instance-generation`).
    pub generation: u32,
    /// The size (`instance-size`), for example `large`.
    pub size: String,
    /// Default vCPUs.
    pub vcpu: u32,
    /// Total VM memory in MiB (not allocatable).
    pub memory_mib: u64,
    /// `amd64` or `arm64`.
    pub arch: String,
    /// GPUs per instance (0 for the fractional g6f/gr6f slices, which still have a GPU name).
    pub gpu_count: u32,
    /// Lower-kebab GPU name, for example `h100`.
    pub gpu_name: Option<String>,
    /// GPU manufacturer: `nvidia`, `amd` or `habana`.
    pub gpu_manufacturer: Option<String>,
    /// Memory per GPU in MiB.
    pub gpu_memory_mib: Option<u64>,
    /// Total GPU memory in MiB.
    pub gpu_total_memory_mib: Option<u64>,
    /// Accelerator name: `inferentia`, `inferentia2`, `trainium`, `trainium2` or `qualcomm-ai100`.
    pub accelerator_name: Option<String>,
    /// Accelerator manufacturer, derived from the name: `aws` for Neuron devices, `qualcomm` for AI100.
    pub accelerator_manufacturer: Option<String>,
    /// Accelerators per instance.
    pub accelerator_count: Option<u32>,
    /// The ENI-limited max pods (AL2023, no reserved ENIs, no kubelet override).
    pub max_pods: u32,
    /// CPU manufacturer: `intel`, `amd` or `aws` (unknown for two old g2 rows).
    pub cpu_manufacturer: Option<String>,
    /// `nitro` or `xen`; `None` for bare metal, which AWS reports without a hypervisor.
    pub hypervisor: Option<String>,
    /// Whether the size is a bare-metal one.
    pub bare_metal: bool,
    /// Whether the type is burstable (category `t`).
    pub burstable: bool,
    /// Whether the family is a `-flex` one (Karpenter derives this from the family name).
    pub capability_flex: bool,
    /// Baseline network bandwidth in Mbps, when AWS publishes a number.
    pub network_bandwidth_mbps: Option<u64>,
    /// AWS's descriptive bandwidth for old types (`Moderate`, `High`, ...), when known.
    pub network_performance_text: Option<String>,
    /// Local NVMe storage in GB.
    pub local_nvme_gib: Option<u64>,
    /// Maximum EBS bandwidth in Mbps.
    pub ebs_bandwidth_mbps: Option<u64>,
    /// Branch interfaces (`vpc.amazonaws.com/pod-eni`) for trunking-compatible types.
    pub pod_eni: Option<u32>,
    /// EFA interfaces (`vpc.amazonaws.com/efa`).
    pub efa: Option<u32>,
    /// ENIs on the default network card, from the EKS AMI data.
    pub enis_default_card: Option<u32>,
    /// IPv4 addresses per ENI, from the EKS AMI data.
    pub ipv4_per_eni: Option<u32>,
    /// Max pods by the EKS AMI's formula (a cross-check of `max_pods`).
    pub max_pods_eks_ami_formula: Option<u32>,
    /// us-east-1 Linux on-demand price per hour, when Karpenter's pricing file has one.
    pub on_demand_price: Option<Price>,
    /// Estimated spot price per hour (on-demand × (1 − advisor savings)), when the advisor lists the type.
    pub spot_price: Option<Price>,
    /// The advisor's average spot savings against on-demand, in percent.
    pub spot_savings_pct: Option<u32>,
    /// The advisor's interruption-frequency bucket: 0 (`<5%`) to 4 (`>20%`).
    pub spot_interruption_index: Option<u8>,
    /// The advisor's interruption-frequency label, for example `<5%` or `>20%`.
    pub spot_interruption: Option<String>,
    /// Allocatable CPU in millicores as Karpenter's generated page prints it (the reference for tests).
    pub karpenter_alloc_cpu_milli: i64,
    /// Allocatable memory in MiB as Karpenter's generated page prints it.
    pub karpenter_alloc_memory_mib: i64,
    /// Whether Karpenter's current type list has the type. Types that it no longer lists are not offered.
    pub karpenter_current: bool,
    /// Which version of Karpenter's page the row came from, for example `karpenter-docs-preview@current`.
    pub source: String,
}

impl AwsTypeInfo {
    /// Memory capacity as Karpenter estimates it, in MiB: total memory, minus 64 MiB on arm64,
    /// minus `ceil(7.5 %)` of the rest for VM overhead.
    pub fn memory_capacity_mib(&self) -> i64 {
        let total = i64::try_from(self.memory_mib).unwrap_or(i64::MAX);
        let base = if self.arch == "arm64" { total.saturating_sub(ARM64_RESERVED_MIB) } else { total };
        let overhead = base.saturating_mul(VM_MEMORY_OVERHEAD_PER_MILLE).saturating_add(999) / 1000;
        base.saturating_sub(overhead)
    }

    /// The extended resources the type has (non-zero counts only), by resource name.
    pub fn extended_resources(&self) -> Vec<(&'static str, i64)> {
        let mut out = Vec::new();
        let gpus = i64::from(self.gpu_count);
        if gpus > 0 {
            match self.gpu_manufacturer.as_deref() {
                Some("nvidia") => out.push((RESOURCE_NVIDIA_GPU, gpus)),
                Some("amd") => out.push((RESOURCE_AMD_GPU, gpus)),
                Some("habana") => out.push((RESOURCE_HABANA_GAUDI, gpus)),
                _ => {}
            }
        }
        if let (Some(name), Some(count)) = (self.accelerator_name.as_deref(), self.accelerator_count) {
            if let Some((_, cores)) = NEURON_CORES_PER_DEVICE.iter().find(|(n, _)| *n == name) {
                let devices = i64::from(count);
                if devices > 0 {
                    out.push((RESOURCE_AWS_NEURON, devices));
                    out.push((RESOURCE_AWS_NEURON_CORE, devices.saturating_mul(*cores)));
                }
            }
        }
        if let Some(n) = self.pod_eni.filter(|n| *n > 0) {
            out.push((RESOURCE_POD_ENI, i64::from(n)));
        }
        if let Some(n) = self.efa.filter(|n| *n > 0) {
            out.push((RESOURCE_EFA, i64::from(n)));
        }
        out
    }

    /// Whether the built-in catalog gives the type offerings: it has an on-demand price and
    /// Karpenter still lists it.
    pub fn is_offered(&self) -> bool {
        self.on_demand_price.is_some() && self.karpenter_current
    }

    /// The pod capacity for a kubelet configuration: `maxPods` if given, else the ENI-limited count,
    /// capped at `podsPerCore × vCPUs` when `podsPerCore > 0`.
    fn pods(&self, max_pods: Option<i64>, pods_per_core: Option<i64>) -> i64 {
        let mut count = max_pods.unwrap_or(i64::from(self.max_pods));
        if let Some(ppc) = pods_per_core.filter(|p| *p > 0) {
            count = count.min(ppc.saturating_mul(i64::from(self.vcpu)));
        }
        count
    }
}

/// Karpenter's default kube-reserved CPU for a CPU capacity, in millicores: 6 % of the first
/// core, 1 % of the second, 0.5 % of the third and fourth, 0.25 % of each further core (each band
/// truncated to whole millicores).
///
/// ```
/// use nodepack_sim::aws_catalog::kube_reserved_cpu_milli;
/// assert_eq!(kube_reserved_cpu_milli(2000), 70);
/// assert_eq!(kube_reserved_cpu_milli(8000), 90);
/// ```
pub fn kube_reserved_cpu_milli(cpu_milli: i64) -> i64 {
    // (band start, band end, share in ten-thousandths)
    const BANDS: [(i64, i64, i64); 4] = [(0, 1000, 600), (1000, 2000, 100), (2000, 4000, 50), (4000, 1 << 31, 25)];
    BANDS
        .iter()
        .filter(|(start, _, _)| cpu_milli > *start)
        .map(|(start, end, share)| (cpu_milli.min(*end) - start) * share / 10_000)
        .sum()
}

/// Karpenter's default kube-reserved memory for a pod count, in MiB: `11 × pods + 255`.
pub fn kube_reserved_memory_mib(pods: i64) -> i64 {
    pods.saturating_mul(11).saturating_add(255)
}

/// The embedded rows, parsed once. Empty only if the embedded data were malformed, which the
/// crate's tests rule out; [`aws_instance_types`] reports such an error instead.
pub fn aws_type_info() -> &'static [AwsTypeInfo] {
    match table() {
        Ok(rows) => rows,
        Err(_) => &[],
    }
}

/// One embedded row by instance-type name.
pub fn aws_type(name: &str) -> Option<&'static AwsTypeInfo> {
    aws_type_info().iter().find(|t| t.name == name)
}

fn table() -> &'static Result<Vec<AwsTypeInfo>, CatalogError> {
    static TABLE: OnceLock<Result<Vec<AwsTypeInfo>, CatalogError>> = OnceLock::new();
    TABLE.get_or_init(|| parse_tables(INSTANCE_TYPES_CSV, SPOT_ADVISOR_CSV))
}

/// Every instance type of the built-in catalog, in the data's order, built for `opts`.
///
/// ```
/// use nodepack_core::{Bytes, Price, Requirements};
/// use nodepack_sim::aws_catalog::{aws_instance_types, AwsCatalogOptions};
///
/// let types = aws_instance_types(&AwsCatalogOptions::default()).unwrap();
/// let m6i = types.iter().find(|t| t.name == "m6i.large").unwrap();
/// assert_eq!(m6i.allocatable().cpu().0, 1930);
/// assert_eq!(m6i.allocatable().memory(), Bytes::mib(6903));
/// assert_eq!(m6i.allocatable().pods(), 29);
/// // 3 zones × (on-demand, spot); spot is the estimated price and the cheapest.
/// assert_eq!(m6i.offerings.len(), 6);
/// let cheapest = m6i.cheapest_offering(&Requirements::new()).unwrap();
/// assert_eq!((cheapest.capacity_type.as_str(), cheapest.price), ("spot", Price::from_dollars_str("0.0384").unwrap()));
/// ```
pub fn aws_instance_types(opts: &AwsCatalogOptions) -> Result<Vec<InstanceType>, CatalogError> {
    let rows = table().as_ref().map_err(Clone::clone)?;
    let kubelet = ResolvedKubelet::from_config(opts.kubelet.as_ref())?;
    let offer = ResolvedOffer::from_options(opts)?;
    rows.iter().map(|info| build_instance_type(info, &kubelet, &offer)).collect()
}

/// Zones and capacity types, validated and de-duplicated.
struct ResolvedOffer<'a> {
    region: &'a str,
    zones: Vec<&'a str>,
    on_demand: bool,
    spot: bool,
}

impl<'a> ResolvedOffer<'a> {
    fn from_options(opts: &'a AwsCatalogOptions) -> Result<Self, CatalogError> {
        let mut seen = BTreeSet::new();
        let zones = opts.zones.iter().map(String::as_str).filter(|z| seen.insert(*z)).collect();
        let (mut on_demand, mut spot) = (false, false);
        for ct in &opts.capacity_types {
            match ct.as_str() {
                label::ON_DEMAND => on_demand = true,
                label::SPOT => spot = true,
                other => return Err(CatalogError::CapacityType { capacity_type: other.to_string() }),
            }
        }
        Ok(ResolvedOffer { region: &opts.region, zones, on_demand, spot })
    }
}

/// A hard eviction threshold: an amount, or a percentage of capacity.
#[derive(Debug, Clone, Copy)]
enum Threshold {
    Bytes(i64),
    Percent(f64),
}

impl Threshold {
    /// The threshold in bytes for a capacity, computed as Karpenter does
    /// (`ceil(capacity / 100 × p)` in `f64`).
    fn of(self, capacity: i64) -> i64 {
        match self {
            Threshold::Bytes(b) => b,
            // `as` saturates on overflow and maps NaN to 0; p is checked to lie in [0, 100].
            Threshold::Percent(p) => (capacity as f64 / 100.0 * p).ceil() as i64,
        }
    }
}

/// A kubelet configuration with its quantities read.
#[derive(Debug, Default)]
struct ResolvedKubelet {
    max_pods: Option<i64>,
    pods_per_core: Option<i64>,
    kube_reserved: Vec<(ResourceName, i64)>,
    system_reserved: Resources,
    eviction_memory: Option<Threshold>,
    eviction_nodefs: Option<Threshold>,
}

const MEMORY_AVAILABLE: &str = "memory.available";
const NODEFS_AVAILABLE: &str = "nodefs.available";

impl ResolvedKubelet {
    fn from_config(config: Option<&KubeletConfig>) -> Result<Self, CatalogError> {
        let Some(kc) = config else { return Ok(ResolvedKubelet::default()) };
        let mut out = ResolvedKubelet {
            max_pods: check_int32("spec.kubelet.maxPods", kc.max_pods)?,
            pods_per_core: check_int32("spec.kubelet.podsPerCore", kc.pods_per_core)?,
            ..ResolvedKubelet::default()
        };
        out.kube_reserved = reserved_map("spec.kubelet.kubeReserved", &kc.kube_reserved)?;
        for (name, amount) in reserved_map("spec.kubelet.systemReserved", &kc.system_reserved)? {
            out.system_reserved.set(&name, amount);
        }
        for (signal, value) in &kc.eviction_hard {
            let field = format!("spec.kubelet.evictionHard.{signal}");
            match signal.as_str() {
                MEMORY_AVAILABLE => out.eviction_memory = Some(threshold(&field, value)?),
                NODEFS_AVAILABLE => out.eviction_nodefs = Some(threshold(&field, value)?),
                // Other signals (imagefs, inodes, pid) do not change allocatable.
                _ => {}
            }
        }
        Ok(out)
    }
}

fn check_int32(field: &str, value: Option<i64>) -> Result<Option<i64>, CatalogError> {
    match value {
        Some(v) if !(0..=i64::from(i32::MAX)).contains(&v) => {
            Err(CatalogError::OutOfRange { field: field.to_string(), value: v })
        }
        other => Ok(other),
    }
}

/// Reads a `kubeReserved` / `systemReserved` map. `pid` is accepted and ignored: it is not a
/// node resource in nodepack's model.
fn reserved_map(field: &str, map: &BTreeMap<String, String>) -> Result<Vec<(ResourceName, i64)>, CatalogError> {
    let mut out = Vec::new();
    for (key, text) in map {
        let name = match key.as_str() {
            "cpu" => ResourceName::Cpu,
            "memory" => ResourceName::Memory,
            "ephemeral-storage" => ResourceName::EphemeralStorage,
            "pid" => continue,
            other => {
                return Err(CatalogError::ReservedResource { field: field.to_string(), resource: other.to_string() })
            }
        };
        let full = format!("{field}.{key}");
        let q: Quantity = text.parse().map_err(|source| CatalogError::Quantity { field: full.clone(), source })?;
        let amount = name.amount(&q, text).map_err(|source| CatalogError::Quantity { field: full, source })?;
        out.push((name, amount));
    }
    Ok(out)
}

/// Reads an eviction threshold: a quantity, or a percentage from 0% to 100% (100% disables it).
fn threshold(field: &str, text: &str) -> Result<Threshold, CatalogError> {
    let trimmed = text.trim();
    if let Some(number) = trimmed.strip_suffix('%') {
        let bad = || CatalogError::Percentage { field: field.to_string(), value: text.to_string() };
        let (whole, frac) = number.split_once('.').unwrap_or((number, ""));
        let digits_ok =
            !whole.is_empty() && whole.bytes().all(|b| b.is_ascii_digit()) && frac.bytes().all(|b| b.is_ascii_digit());
        if !digits_ok || (number.contains('.') && frac.is_empty()) {
            return Err(bad());
        }
        let p: f64 = number.parse().map_err(|_| bad())?;
        if !(0.0..=100.0).contains(&p) {
            return Err(bad());
        }
        // Karpenter (following the kubelet) reads 100% as "no threshold".
        return Ok(Threshold::Percent(if p == 100.0 { 0.0 } else { p }));
    }
    let q: Quantity = trimmed.parse().map_err(|source| CatalogError::Quantity { field: field.to_string(), source })?;
    let bytes = q.to_units().ok_or_else(|| CatalogError::Quantity {
        field: field.to_string(),
        source: QuantityError::Overflow { text: text.to_string() },
    })?;
    Ok(Threshold::Bytes(bytes))
}

fn build_instance_type(
    info: &AwsTypeInfo,
    kubelet: &ResolvedKubelet,
    offer: &ResolvedOffer<'_>,
) -> Result<InstanceType, CatalogError> {
    let cpu_milli = i64::from(info.vcpu) * 1000;
    let memory = info.memory_capacity_mib().saturating_mul(MIB);
    let pods = info.pods(kubelet.max_pods, kubelet.pods_per_core);
    let mut capacity = Resources::new()
        .with(ResourceName::Cpu, cpu_milli)
        .with(ResourceName::Memory, memory)
        .with(ResourceName::Pods, pods)
        .with(ResourceName::EphemeralStorage, EPHEMERAL_STORAGE_BYTES);
    for (name, amount) in info.extended_resources() {
        capacity.set(&ResourceName::Extended(name.to_string()), amount);
    }

    // AL2023 keeps UsesENILimitedMemoryOverhead: kube-reserved memory follows the ENI-limited pod
    // count, not the kubelet's maxPods.
    let mut kube_reserved = Resources::new()
        .with(ResourceName::Cpu, kube_reserved_cpu_milli(cpu_milli))
        .with(ResourceName::Memory, kube_reserved_memory_mib(i64::from(info.max_pods)).saturating_mul(MIB))
        .with(ResourceName::EphemeralStorage, KUBE_RESERVED_EPHEMERAL_STORAGE_BYTES);
    for (name, amount) in &kubelet.kube_reserved {
        kube_reserved.set(name, *amount);
    }
    let eviction_memory = kubelet.eviction_memory.map_or(DEFAULT_EVICTION_MEMORY_BYTES, |t| t.of(memory));
    let eviction_nodefs = kubelet
        .eviction_nodefs
        .unwrap_or(Threshold::Percent(DEFAULT_EVICTION_NODEFS_PERCENT))
        .of(EPHEMERAL_STORAGE_BYTES);
    let overhead = Overhead {
        kube_reserved,
        system_reserved: kubelet.system_reserved.clone(),
        eviction_threshold: Resources::new()
            .with(ResourceName::Memory, eviction_memory)
            .with(ResourceName::EphemeralStorage, eviction_nodefs),
    };

    let mut offerings = Vec::new();
    if info.is_offered() {
        let prices =
            [(offer.on_demand, label::ON_DEMAND, info.on_demand_price), (offer.spot, label::SPOT, info.spot_price)];
        for (wanted, capacity_type, price) in prices {
            let Some(price) = price.filter(|_| wanted) else { continue };
            for zone in &offer.zones {
                offerings.push(Offering::new(zone, capacity_type, price));
            }
        }
    }

    let mut it = InstanceType::new(&info.name, capacity, overhead, offerings);
    for req in requirements(info, offer.region)? {
        it.requirements.set(req);
    }
    Ok(it)
}

/// `key In [value]` when the value is known, `key DoesNotExist` otherwise.
fn label_req<T: ToString>(key: &str, value: Option<T>) -> Requirement {
    match value {
        Some(v) => Requirement::single(key, &v.to_string()),
        None => Requirement::does_not_exist(key),
    }
}

fn requirements(info: &AwsTypeInfo, region: &str) -> Result<Vec<Requirement>, CatalogError> {
    let has_gpu = info.gpu_name.is_some();
    let tenancy = Requirement::new(LABEL_INSTANCE_TENANCY, Operator::In, ["default", "dedicated"])
        .map_err(|source| CatalogError::Requirement { name: info.name.clone(), source })?;
    Ok(vec![
        Requirement::single(label::ARCH, &info.arch),
        Requirement::single(label::OS, "linux"),
        Requirement::single(label::REGION, region),
        Requirement::does_not_exist(label::WINDOWS_BUILD),
        Requirement::single(LABEL_INSTANCE_CATEGORY, &info.category),
        Requirement::single(LABEL_INSTANCE_FAMILY, &info.family),
        Requirement::single(LABEL_INSTANCE_GENERATION, &info.generation.to_string()),
        Requirement::single(LABEL_INSTANCE_SIZE, &info.size),
        Requirement::single(LABEL_INSTANCE_CPU, &info.vcpu.to_string()),
        label_req(LABEL_INSTANCE_CPU_MANUFACTURER, info.cpu_manufacturer.as_deref()),
        Requirement::single(LABEL_INSTANCE_MEMORY, &info.memory_mib.to_string()),
        // Karpenter writes the hypervisor as given; bare metal has none and gets the empty value.
        Requirement::single(LABEL_INSTANCE_HYPERVISOR, info.hypervisor.as_deref().unwrap_or("")),
        label_req(LABEL_INSTANCE_NETWORK_BANDWIDTH, info.network_bandwidth_mbps),
        label_req(LABEL_INSTANCE_EBS_BANDWIDTH, info.ebs_bandwidth_mbps),
        label_req(LABEL_INSTANCE_LOCAL_NVME, info.local_nvme_gib),
        label_req(LABEL_INSTANCE_GPU_NAME, info.gpu_name.as_deref()),
        label_req(LABEL_INSTANCE_GPU_MANUFACTURER, info.gpu_manufacturer.as_deref()),
        label_req(LABEL_INSTANCE_GPU_COUNT, Some(info.gpu_count).filter(|_| has_gpu)),
        label_req(LABEL_INSTANCE_GPU_MEMORY, info.gpu_memory_mib),
        label_req(LABEL_INSTANCE_ACCELERATOR_NAME, info.accelerator_name.as_deref()),
        label_req(LABEL_INSTANCE_ACCELERATOR_MANUFACTURER, info.accelerator_manufacturer.as_deref()),
        label_req(LABEL_INSTANCE_ACCELERATOR_COUNT, info.accelerator_count),
        Requirement::single(LABEL_INSTANCE_CAPABILITY_FLEX, if info.capability_flex { "true" } else { "false" }),
        tenancy,
        Requirement::does_not_exist(LABEL_CAPACITY_RESERVATION_ID),
        Requirement::does_not_exist(LABEL_CAPACITY_RESERVATION_TYPE),
        Requirement::does_not_exist(LABEL_CAPACITY_RESERVATION_INTERRUPTIBLE),
    ])
}

// ---------------------------------------------------------------------------------------------
// CSV reading

/// Splits one CSV line into fields. Fields may be quoted (`"a,b"`, with `""` for a quote);
/// quoted fields cannot span lines.
fn split_csv_line(line: &str) -> Result<Vec<String>, &'static str> {
    let mut fields = Vec::new();
    let mut field = String::new();
    let mut quoted = false; // the current field started with a quote
    let mut in_quotes = false; // inside the quotes now
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' if in_quotes => {
                if chars.peek() == Some(&'"') {
                    chars.next();
                    field.push('"');
                } else {
                    in_quotes = false;
                }
            }
            '"' if field.is_empty() && !quoted => {
                quoted = true;
                in_quotes = true;
            }
            '"' => return Err("a quote inside an unquoted field"),
            ',' if !in_quotes => {
                fields.push(std::mem::take(&mut field));
                quoted = false;
            }
            _ if quoted && !in_quotes => return Err("text after a closing quote"),
            _ => field.push(c),
        }
    }
    if in_quotes {
        return Err("an unterminated quoted field");
    }
    fields.push(field);
    Ok(fields)
}

/// A CSV file read into rows of fields, with its header.
struct Csv {
    file: &'static str,
    columns: BTreeMap<String, usize>,
    rows: Vec<(usize, Vec<String>)>,
}

impl Csv {
    fn parse(file: &'static str, text: &str) -> Result<Csv, CatalogError> {
        let err = |line: usize, message: String| CatalogError::Data { file, line, message };
        let mut lines = text.lines().enumerate().map(|(i, l)| (i + 1, l.trim_end_matches('\r')));
        let (_, header) = lines.next().ok_or_else(|| err(1, "the file is empty".into()))?;
        let header = split_csv_line(header).map_err(|m| err(1, m.into()))?;
        let mut columns = BTreeMap::new();
        for (i, name) in header.iter().enumerate() {
            if columns.insert(name.clone(), i).is_some() {
                return Err(err(1, format!("column {name:?} appears twice")));
            }
        }
        let mut rows = Vec::new();
        for (n, line) in lines {
            if line.is_empty() {
                continue;
            }
            let fields = split_csv_line(line).map_err(|m| err(n, m.into()))?;
            if fields.len() != header.len() {
                return Err(err(n, format!("{} fields, expected {}", fields.len(), header.len())));
            }
            rows.push((n, fields));
        }
        Ok(Csv { file, columns, rows })
    }

    fn rows(&self) -> impl Iterator<Item = Row<'_>> {
        self.rows.iter().map(move |(line, fields)| Row { csv: self, line: *line, fields })
    }
}

/// One CSV row, read by column name.
struct Row<'a> {
    csv: &'a Csv,
    line: usize,
    fields: &'a [String],
}

impl Row<'_> {
    fn error(&self, message: String) -> CatalogError {
        CatalogError::Data { file: self.csv.file, line: self.line, message }
    }

    fn text(&self, column: &str) -> Result<&str, CatalogError> {
        let i = self.csv.columns.get(column).ok_or_else(|| self.error(format!("no column {column:?}")))?;
        self.fields.get(*i).map(String::as_str).ok_or_else(|| self.error(format!("no value for {column:?}")))
    }

    fn opt_text(&self, column: &str) -> Result<Option<String>, CatalogError> {
        let v = self.text(column)?;
        Ok(if v.is_empty() { None } else { Some(v.to_string()) })
    }

    fn required_text(&self, column: &str) -> Result<String, CatalogError> {
        self.opt_text(column)?.ok_or_else(|| self.error(format!("{column} is empty")))
    }

    fn opt_number<T: std::str::FromStr>(&self, column: &str) -> Result<Option<T>, CatalogError> {
        match self.text(column)? {
            "" => Ok(None),
            v => v.parse().map(Some).map_err(|_| self.error(format!("{column} {v:?} is not a number"))),
        }
    }

    fn number<T: std::str::FromStr>(&self, column: &str) -> Result<T, CatalogError> {
        self.opt_number(column)?.ok_or_else(|| self.error(format!("{column} is empty")))
    }

    fn flag(&self, column: &str) -> Result<Option<bool>, CatalogError> {
        match self.text(column)? {
            "" => Ok(None),
            "true" => Ok(Some(true)),
            "false" => Ok(Some(false)),
            v => Err(self.error(format!("{column} {v:?} is not true or false"))),
        }
    }

    fn price(&self, column: &str) -> Result<Option<Price>, CatalogError> {
        match self.text(column)? {
            "" => Ok(None),
            v => {
                Price::from_dollars_str(v).map(Some).ok_or_else(|| self.error(format!("{column} {v:?} is not a price")))
            }
        }
    }
}

/// The advisor's figures for one type.
struct SpotRow {
    price: Option<Price>,
    savings_pct: Option<u32>,
    interruption_index: Option<u8>,
    interruption: Option<String>,
}

fn parse_tables(types_csv: &str, spot_csv: &str) -> Result<Vec<AwsTypeInfo>, CatalogError> {
    let spot_table = Csv::parse(SPOT_ADVISOR_FILE, spot_csv)?;
    let mut spot: BTreeMap<String, SpotRow> = BTreeMap::new();
    for row in spot_table.rows() {
        let name = row.required_text("name")?;
        let entry = SpotRow {
            price: row.price("est_spot_usd_per_hour")?,
            savings_pct: row.opt_number("savings_pct")?,
            interruption_index: row.opt_number("interruption_range_index")?,
            interruption: row.opt_text("interruption_range_label")?,
        };
        if spot.insert(name.clone(), entry).is_some() {
            return Err(row.error(format!("{name} appears twice")));
        }
    }

    let types_table = Csv::parse(INSTANCE_TYPES_FILE, types_csv)?;
    let mut seen = BTreeSet::new();
    let mut out = Vec::with_capacity(types_table.rows.len());
    for row in types_table.rows() {
        let name = row.required_text("name")?;
        if !seen.insert(name.clone()) {
            return Err(row.error(format!("{name} appears twice")));
        }
        let family = row.required_text("family")?;
        let accelerator_name = row.opt_text("accelerator_name")?;
        let accelerator_manufacturer = accelerator_name.as_deref().and_then(accelerator_manufacturer);
        let spot_row = spot.remove(&name);
        let capability_flex = family.contains("-flex");
        if let Some(listed) = row.flag("capability_flex")? {
            if listed != capability_flex {
                return Err(row.error(format!("capability_flex {listed} disagrees with family {family}")));
            }
        }
        out.push(AwsTypeInfo {
            family,
            category: row.required_text("generation_category")?,
            generation: row.number("generation")?,
            size: row.required_text("size")?,
            vcpu: row.number("vcpu")?,
            memory_mib: row.number("memory_mib")?,
            arch: row.required_text("arch")?,
            gpu_count: row.number("gpu_count")?,
            gpu_name: row.opt_text("gpu_name")?,
            gpu_manufacturer: row.opt_text("gpu_manufacturer")?,
            gpu_memory_mib: row.opt_number("gpu_memory_mib")?,
            gpu_total_memory_mib: row.opt_number("gpu_total_memory_mib")?,
            accelerator_name,
            accelerator_manufacturer,
            accelerator_count: row.opt_number("accelerator_count")?,
            max_pods: row.number("max_pods")?,
            cpu_manufacturer: row.opt_text("cpu_manufacturer")?,
            hypervisor: row.opt_text("hypervisor")?,
            bare_metal: row.flag("bare_metal")?.unwrap_or(false),
            burstable: row.flag("burstable")?.unwrap_or(false),
            capability_flex,
            network_bandwidth_mbps: row.opt_number("network_bandwidth_if_known")?,
            network_performance_text: row.opt_text("network_performance_text")?,
            local_nvme_gib: row.opt_number("local_nvme_gib")?,
            ebs_bandwidth_mbps: row.opt_number("ebs_bandwidth_mbps")?,
            pod_eni: row.opt_number("pod_eni")?,
            efa: row.opt_number("efa")?,
            enis_default_card: row.opt_number("enis_default_card")?,
            ipv4_per_eni: row.opt_number("ipv4_per_eni")?,
            max_pods_eks_ami_formula: row.opt_number("max_pods_eks_ami_formula")?,
            on_demand_price: row.price("on_demand_usd_per_hour")?,
            spot_price: spot_row.as_ref().and_then(|s| s.price),
            spot_savings_pct: spot_row.as_ref().and_then(|s| s.savings_pct),
            spot_interruption_index: spot_row.as_ref().and_then(|s| s.interruption_index),
            spot_interruption: spot_row.and_then(|s| s.interruption),
            karpenter_alloc_cpu_milli: row.number("karpenter_alloc_cpu_milli")?,
            karpenter_alloc_memory_mib: row.number("karpenter_alloc_memory_mib")?,
            karpenter_current: row.flag("karpenter_current")?.unwrap_or(false),
            source: row.required_text("source")?,
            name,
        });
    }
    Ok(out)
}

/// The accelerator manufacturer Karpenter reports for an accelerator name.
fn accelerator_manufacturer(name: &str) -> Option<String> {
    if name.starts_with("inferentia") || name.starts_with("trainium") {
        Some("aws".to_string())
    } else {
        name.split_once('-').map(|(vendor, _)| vendor.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use nodepack_core::{Bytes, Requirements};

    fn catalog(opts: &AwsCatalogOptions) -> Vec<InstanceType> {
        aws_instance_types(opts).expect("catalog builds")
    }

    fn find<'a>(types: &'a [InstanceType], name: &str) -> &'a InstanceType {
        types.iter().find(|t| t.name == name).unwrap_or_else(|| panic!("{name} missing"))
    }

    fn with_kubelet(kc: KubeletConfig) -> AwsCatalogOptions {
        AwsCatalogOptions { kubelet: Some(kc), ..AwsCatalogOptions::default() }
    }

    fn dollars(s: &str) -> Price {
        Price::from_dollars_str(s).unwrap()
    }

    fn reqs(list: &[Requirement]) -> Requirements {
        list.iter().cloned().collect()
    }

    #[test]
    fn embedded_data_parses_and_matches_the_shared_copy_shape() {
        let rows = table().as_ref().expect("embedded data parses");
        assert_eq!(rows.len(), 1384);
        assert_eq!(rows.iter().filter(|r| r.spot_price.is_some()).count(), 1088);
        assert_eq!(rows.iter().filter(|r| r.on_demand_price.is_none()).count(), 18);
        assert_eq!(rows.iter().filter(|r| !r.karpenter_current).count(), 21);
        assert_eq!(aws_type_info().len(), 1384);
    }

    /// Every row: our allocatable cpu and memory equal what Karpenter printed. This includes the 21
    /// rows from older versions of Karpenter's page; none of them differs.
    #[test]
    fn every_row_matches_karpenter_allocatable() {
        let types = catalog(&AwsCatalogOptions::default());
        let mut mismatches = Vec::new();
        for (info, it) in aws_type_info().iter().zip(&types) {
            assert_eq!(info.name, it.name);
            let cpu = it.allocatable().cpu().0;
            let mem = it.allocatable().memory().0;
            if cpu != info.karpenter_alloc_cpu_milli || mem != info.karpenter_alloc_memory_mib * MIB {
                mismatches.push(format!(
                    "{} ({}): cpu {}m vs {}m, memory {} bytes vs {}Mi",
                    info.name, info.source, cpu, info.karpenter_alloc_cpu_milli, mem, info.karpenter_alloc_memory_mib
                ));
            }
            assert_eq!(it.allocatable().pods(), i64::from(info.max_pods), "{}", info.name);
            assert_eq!(it.allocatable().ephemeral_storage(), Bytes::gib(17), "{}", info.name);
        }
        assert!(mismatches.is_empty(), "{} rows differ:\n{}", mismatches.len(), mismatches.join("\n"));
    }

    #[test]
    fn m6i_large() {
        let types = catalog(&AwsCatalogOptions::default());
        let it = find(&types, "m6i.large");
        assert_eq!(it.capacity.cpu().0, 2000);
        assert_eq!(it.capacity.memory(), Bytes::mib(7577));
        assert_eq!(it.overhead.kube_reserved.cpu().0, 70);
        assert_eq!(it.overhead.kube_reserved.memory(), Bytes::mib(574));
        assert_eq!(it.allocatable().cpu().0, 1930);
        assert_eq!(it.allocatable().memory(), Bytes::mib(6903));
        assert_eq!(it.allocatable().pods(), 29);
        assert_eq!(it.allocatable().get(&ResourceName::Extended(RESOURCE_POD_ENI.into())), 9);
        assert_eq!(it.offerings.len(), 6);
        assert_eq!(it.offering_for("us-east-1b", "on-demand").unwrap().price, dollars("0.096"));
        assert_eq!(it.offering_for("us-east-1b", "on-demand").unwrap().price, Price(96_000_000));
        assert_eq!(it.offering_for("us-east-1c", "spot").unwrap().price, dollars("0.0384"));
        let info = aws_type("m6i.large").unwrap();
        assert_eq!(info.on_demand_price, Some(Price(96_000_000)));
        assert_eq!(info.spot_interruption.as_deref(), Some(">20%"));
    }

    #[test]
    fn r6i_2xlarge() {
        let types = catalog(&AwsCatalogOptions::default());
        let it = find(&types, "r6i.2xlarge");
        assert_eq!(it.capacity.cpu().0, 8000);
        // 65536 − ceil(65536 × 0.075) = 65536 − 4916
        assert_eq!(it.capacity.memory(), Bytes::mib(60620));
        assert_eq!(it.capacity.pods(), 58);
        // 60 + 10 + 10 + 4 × 2.5
        assert_eq!(it.overhead.kube_reserved.cpu().0, 90);
        assert_eq!(it.overhead.kube_reserved.memory(), Bytes::mib(11 * 58 + 255));
        assert_eq!(it.allocatable().cpu().0, 7910);
        assert_eq!(it.allocatable().memory(), Bytes::mib(59627));
        assert_eq!(it.offering_for("us-east-1a", "on-demand").unwrap().price, dollars("0.504"));
        assert_eq!(it.offering_for("us-east-1a", "spot").unwrap().price, dollars("0.24696"));
        assert!(it.requirements.get(LABEL_INSTANCE_MEMORY).unwrap().has("65536"));
        assert!(it.requirements.get(LABEL_INSTANCE_FAMILY).unwrap().has("r6i"));
        assert!(it.requirements.get(LABEL_INSTANCE_CATEGORY).unwrap().has("r"));
        assert!(it.requirements.get(LABEL_INSTANCE_GENERATION).unwrap().has("6"));
        assert!(it.requirements.get(LABEL_INSTANCE_SIZE).unwrap().has("2xlarge"));
    }

    #[test]
    fn arm64_subtracts_64_mib_before_the_vm_overhead() {
        let types = catalog(&AwsCatalogOptions::default());
        let it = find(&types, "m6g.medium");
        // (4096 − 64) − ceil(4032 × 0.075) = 4032 − 303
        assert_eq!(it.capacity.memory(), Bytes::mib(3729));
        assert_eq!(it.allocatable().memory(), Bytes::mib(3729 - (11 * 8 + 255) - 100));
        assert!(it.requirements.get(label::ARCH).unwrap().has("arm64"));
    }

    #[test]
    fn there_is_no_m6i_medium() {
        assert!(aws_type("m6i.medium").is_none());
        let types = catalog(&AwsCatalogOptions::default());
        assert!(types.iter().all(|t| t.name != "m6i.medium"));
        assert!(types.iter().any(|t| t.name == "m7a.medium"));
    }

    #[test]
    fn types_without_a_price_have_no_offerings() {
        let types = catalog(&AwsCatalogOptions::default());
        let unpriced: Vec<&AwsTypeInfo> = aws_type_info().iter().filter(|t| t.on_demand_price.is_none()).collect();
        assert_eq!(unpriced.len(), 18);
        for info in unpriced {
            let it = find(&types, &info.name);
            assert!(it.offerings.is_empty(), "{}", info.name);
            assert!(!it.has_offering(&Requirements::new()), "{}", info.name);
            assert_eq!(it.requirements.get(label::ZONE).unwrap().operator(), Operator::DoesNotExist);
        }
        assert!(find(&types, "p5e.48xlarge").offerings.is_empty());
    }

    #[test]
    fn types_karpenter_no_longer_lists_are_described_but_not_offered() {
        let types = catalog(&AwsCatalogOptions::default());
        for info in aws_type_info().iter().filter(|t| !t.karpenter_current) {
            assert!(info.on_demand_price.is_some(), "{}", info.name);
            assert!(find(&types, &info.name).offerings.is_empty(), "{}", info.name);
        }
        let p2 = find(&types, "p2.8xlarge");
        assert_eq!(p2.capacity.get(&ResourceName::Extended(RESOURCE_NVIDIA_GPU.into())), 8);
        let offered = types.iter().filter(|t| !t.offerings.is_empty()).count();
        assert_eq!(offered, 1384 - 18 - 21);
    }

    #[test]
    fn spot_price_is_the_advisor_estimate() {
        let types = catalog(&AwsCatalogOptions::default());
        let mut checked = 0;
        for (info, it) in aws_type_info().iter().zip(&types) {
            if !info.is_offered() {
                continue;
            }
            let spot = it.offering_for("us-east-1a", "spot").map(|o| o.price);
            assert_eq!(spot, info.spot_price, "{}", info.name);
            if let (Some(spot), Some(od), Some(s)) = (info.spot_price, info.on_demand_price, info.spot_savings_pct) {
                // est = od × (100 − savings) / 100, which the data rounds to six decimals.
                let exact = i128::from(od.0) * i128::from(100 - s) / 100;
                assert!((i128::from(spot.0) - exact).abs() <= 1000, "{}: {} vs {}", info.name, spot, exact);
                assert!(spot < od, "{}", info.name);
                checked += 1;
            }
        }
        assert!(checked > 1000);
        // A priced type the advisor does not list has on-demand offerings only.
        let c8id = find(&types, "c8id.large");
        assert!(aws_type("c8id.large").unwrap().spot_price.is_none());
        assert_eq!(c8id.offerings.len(), 3);
        assert!(c8id.offerings.iter().all(|o| o.capacity_type == "on-demand"));
    }

    #[test]
    fn zones_and_capacity_types_follow_the_options() {
        let opts = AwsCatalogOptions {
            region: "eu-west-1".into(),
            zones: vec!["eu-west-1a".into(), "eu-west-1a".into(), "eu-west-1b".into()],
            capacity_types: vec!["on-demand".into()],
            kubelet: None,
        };
        let types = catalog(&opts);
        let it = find(&types, "m6i.large");
        assert_eq!(it.offerings.len(), 2);
        assert!(it.requirements.get(label::REGION).unwrap().has("eu-west-1"));
        assert!(it.requirements.get(label::ZONE).unwrap().has("eu-west-1b"));
        assert!(!it.requirements.get(label::CAPACITY_TYPE).unwrap().has("spot"));

        let bad = AwsCatalogOptions { capacity_types: vec!["reserved".into()], ..AwsCatalogOptions::default() };
        assert!(matches!(aws_instance_types(&bad), Err(CatalogError::CapacityType { .. })));
    }

    #[test]
    fn kubelet_max_pods_changes_pods_but_not_kube_reserved_memory() {
        let kc = KubeletConfig { max_pods: Some(110), ..KubeletConfig::default() };
        let types = catalog(&with_kubelet(kc));
        let it = find(&types, "m6i.large");
        assert_eq!(it.capacity.pods(), 110);
        assert_eq!(it.allocatable().pods(), 110);
        // AL2023 sizes kube-reserved memory by the ENI-limited 29 pods whatever maxPods says.
        assert_eq!(it.overhead.kube_reserved.memory(), Bytes::mib(574));
        assert_eq!(it.allocatable().memory(), Bytes::mib(6903));
        assert_eq!(it.allocatable().cpu().0, 1930);
    }

    #[test]
    fn kubelet_pods_per_core_caps_pods() {
        let kc = KubeletConfig { max_pods: Some(110), pods_per_core: Some(10), ..KubeletConfig::default() };
        let types = catalog(&with_kubelet(kc));
        assert_eq!(find(&types, "m6i.large").capacity.pods(), 20);
        assert_eq!(find(&types, "r6i.2xlarge").capacity.pods(), 80);
        let kc = KubeletConfig { pods_per_core: Some(100), ..KubeletConfig::default() };
        assert_eq!(find(&catalog(&with_kubelet(kc)), "m6i.large").capacity.pods(), 29);
        let kc = KubeletConfig { pods_per_core: Some(0), ..KubeletConfig::default() };
        assert_eq!(find(&catalog(&with_kubelet(kc)), "m6i.large").capacity.pods(), 29);
    }

    #[test]
    fn kubelet_reserved_overrides_per_resource() {
        let mut kc = KubeletConfig::default();
        kc.kube_reserved.insert("memory".into(), "1Gi".into());
        kc.system_reserved.insert("cpu".into(), "100m".into());
        kc.system_reserved.insert("pid".into(), "1000".into());
        let types = catalog(&with_kubelet(kc));
        let it = find(&types, "m6i.large");
        assert_eq!(it.overhead.kube_reserved.memory(), Bytes::gib(1));
        assert_eq!(it.overhead.kube_reserved.cpu().0, 70);
        assert_eq!(it.allocatable().memory(), Bytes::mib(7577 - 1024 - 100));
        assert_eq!(it.allocatable().cpu().0, 2000 - 70 - 100);
    }

    #[test]
    fn eviction_hard_percent_and_quantity() {
        let mut kc = KubeletConfig::default();
        kc.eviction_hard.insert("memory.available".into(), "10%".into());
        kc.eviction_hard.insert("nodefs.available".into(), "15%".into());
        kc.eviction_hard.insert("imagefs.available".into(), "whatever".into());
        let types = catalog(&with_kubelet(kc));
        let it = find(&types, "m6i.large");
        let capacity = 7577 * MIB;
        // ceil(7945060352 / 100 × 10) = ceil(794506035.2)
        assert_eq!(it.overhead.eviction_threshold.memory().0, 794_506_036);
        assert_eq!(it.allocatable().memory().0, capacity - 574 * MIB - 794_506_036);
        assert_eq!(it.overhead.eviction_threshold.ephemeral_storage(), Bytes::gib(3));
        assert_eq!(it.allocatable().ephemeral_storage(), Bytes::gib(16));

        let mut kc = KubeletConfig::default();
        kc.eviction_hard.insert("memory.available".into(), "500Mi".into());
        kc.eviction_hard.insert("nodefs.available".into(), "100%".into());
        let it = catalog(&with_kubelet(kc)).into_iter().find(|t| t.name == "m6i.large").unwrap();
        assert_eq!(it.allocatable().memory(), Bytes::mib(7577 - 574 - 500));
        assert_eq!(it.overhead.eviction_threshold.ephemeral_storage().0, 0);
        assert_eq!(it.allocatable().ephemeral_storage(), Bytes::gib(19));
    }

    #[test]
    fn malformed_kubelet_values_name_the_field() {
        let mut kc = KubeletConfig::default();
        kc.kube_reserved.insert("memory".into(), "lots".into());
        match aws_instance_types(&with_kubelet(kc)) {
            Err(CatalogError::Quantity { field, .. }) => assert_eq!(field, "spec.kubelet.kubeReserved.memory"),
            other => panic!("unexpected {other:?}"),
        }
        for bad in ["abc%", "101%", "-5%", "1e1%", "5.%", "%"] {
            let mut kc = KubeletConfig::default();
            kc.eviction_hard.insert("memory.available".into(), bad.into());
            match aws_instance_types(&with_kubelet(kc)) {
                Err(CatalogError::Percentage { field, .. }) => {
                    assert_eq!(field, "spec.kubelet.evictionHard.memory.available")
                }
                other => panic!("{bad}: unexpected {other:?}"),
            }
        }
        let mut kc = KubeletConfig::default();
        kc.eviction_hard.insert("nodefs.available".into(), "-1Gi".into());
        assert!(matches!(aws_instance_types(&with_kubelet(kc)), Err(CatalogError::Quantity { .. })));
        let mut kc = KubeletConfig::default();
        kc.system_reserved.insert("nvidia.com/gpu".into(), "1".into());
        assert!(matches!(aws_instance_types(&with_kubelet(kc)), Err(CatalogError::ReservedResource { .. })));
        let kc = KubeletConfig { max_pods: Some(-1), ..KubeletConfig::default() };
        match aws_instance_types(&with_kubelet(kc)) {
            Err(e @ CatalogError::OutOfRange { .. }) => assert!(e.to_string().contains("spec.kubelet.maxPods")),
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn labels() {
        let types = catalog(&AwsCatalogOptions::default());
        let m6i = find(&types, "m6i.large");
        let cpu = m6i.requirements.get(LABEL_INSTANCE_CPU).unwrap();
        assert_eq!(cpu.operator(), Operator::In);
        assert_eq!(cpu.any_value(), Some("2"));
        let gt = |n: &str| reqs(&[Requirement::new(LABEL_INSTANCE_CPU, Operator::Gt, [n]).unwrap()]);
        assert!(m6i.requirements.compatible(&gt("1"), &|_| false).is_ok());
        assert!(m6i.requirements.compatible(&gt("2"), &|_| false).is_err());

        let gpu = m6i.requirements.get(LABEL_INSTANCE_GPU_NAME).unwrap();
        assert_eq!(gpu.operator(), Operator::DoesNotExist);
        let wants_gpu = reqs(&[Requirement::exists(LABEL_INSTANCE_GPU_NAME)]);
        assert!(m6i.requirements.compatible(&wants_gpu, &|_| true).is_err());
        let no_gpu = reqs(&[Requirement::does_not_exist(LABEL_INSTANCE_GPU_NAME)]);
        assert!(m6i.requirements.compatible(&no_gpu, &|_| false).is_ok());

        for (key, value) in [
            (label::ARCH, "amd64"),
            (label::OS, "linux"),
            (label::REGION, "us-east-1"),
            (label::INSTANCE_TYPE, "m6i.large"),
            (LABEL_INSTANCE_CPU_MANUFACTURER, "intel"),
            (LABEL_INSTANCE_HYPERVISOR, "nitro"),
            (LABEL_INSTANCE_NETWORK_BANDWIDTH, "781"),
            (LABEL_INSTANCE_EBS_BANDWIDTH, "10000"),
            (LABEL_INSTANCE_MEMORY, "8192"),
            (LABEL_INSTANCE_CAPABILITY_FLEX, "false"),
            (LABEL_INSTANCE_TENANCY, "default"),
        ] {
            assert!(m6i.requirements.get(key).unwrap().has(value), "{key}={value}");
        }
        for key in [
            LABEL_INSTANCE_LOCAL_NVME,
            LABEL_INSTANCE_ACCELERATOR_NAME,
            LABEL_CAPACITY_RESERVATION_ID,
            label::WINDOWS_BUILD,
        ] {
            assert_eq!(m6i.requirements.get(key).unwrap().operator(), Operator::DoesNotExist, "{key}");
        }
        for key in [LABEL_INSTANCE_ENCRYPTION_IN_TRANSIT_SUPPORTED, LABEL_INSTANCE_CPU_SUSTAINED_CLOCK_SPEED_MHZ] {
            assert!(m6i.requirements.get(key).is_none(), "{key}");
        }

        let p5 = find(&types, "p5.48xlarge");
        assert!(p5.requirements.get(LABEL_INSTANCE_GPU_NAME).unwrap().has("h100"));
        assert!(p5.requirements.get(LABEL_INSTANCE_GPU_COUNT).unwrap().has("8"));
        assert!(p5.requirements.get(LABEL_INSTANCE_GPU_MEMORY).unwrap().has("81920"));
        assert_eq!(p5.capacity.get(&ResourceName::Extended(RESOURCE_NVIDIA_GPU.into())), 8);
        assert_eq!(p5.capacity.get(&ResourceName::Extended(RESOURCE_EFA.into())), 32);
        assert_eq!(p5.offering_for("us-east-1a", "on-demand").unwrap().price, dollars("55.04"));

        let g6f = find(&types, "g6f.large");
        assert!(g6f.requirements.get(LABEL_INSTANCE_GPU_COUNT).unwrap().has("0"));
        assert_eq!(g6f.capacity.get(&ResourceName::Extended(RESOURCE_NVIDIA_GPU.into())), 0);

        let metal = find(&types, "m5.metal");
        assert!(metal.requirements.get(LABEL_INSTANCE_HYPERVISOR).unwrap().has(""));

        let inf2 = find(&types, "inf2.xlarge");
        assert!(inf2.requirements.get(LABEL_INSTANCE_ACCELERATOR_MANUFACTURER).unwrap().has("aws"));
        assert_eq!(inf2.capacity.get(&ResourceName::Extended(RESOURCE_AWS_NEURON.into())), 1);
        assert_eq!(inf2.capacity.get(&ResourceName::Extended(RESOURCE_AWS_NEURON_CORE.into())), 2);
        let dl2q = find(&types, "dl2q.24xlarge");
        assert!(dl2q.requirements.get(LABEL_INSTANCE_ACCELERATOR_MANUFACTURER).unwrap().has("qualcomm"));
        assert_eq!(dl2q.capacity.get(&ResourceName::Extended(RESOURCE_AWS_NEURON.into())), 0);
        assert_eq!(find(&types, "g4ad.xlarge").capacity.get(&ResourceName::Extended(RESOURCE_AMD_GPU.into())), 1);
        assert_eq!(find(&types, "dl1.24xlarge").capacity.get(&ResourceName::Extended(RESOURCE_HABANA_GAUDI.into())), 8);
        assert!(find(&types, "m7i-flex.large").requirements.get(LABEL_INSTANCE_CAPABILITY_FLEX).unwrap().has("true"));
    }

    #[test]
    fn every_label_key_is_a_declared_provider_or_well_known_label() {
        let types = catalog(&AwsCatalogOptions::default());
        for it in &types {
            for key in it.requirements.keys() {
                assert!(
                    label::is_well_known(key) || key == label::WINDOWS_BUILD || PROVIDER_LABELS.contains(&key),
                    "{key}"
                );
            }
        }
    }

    #[test]
    fn csv_lines_split_with_quotes() {
        assert_eq!(split_csv_line("a,,b").unwrap(), vec!["a", "", "b"]);
        assert_eq!(split_csv_line("\"x, y\",z").unwrap(), vec!["x, y", "z"]);
        assert_eq!(split_csv_line("\"say \"\"hi\"\"\",").unwrap(), vec!["say \"hi\"", ""]);
        assert!(split_csv_line("\"open").is_err());
        assert!(split_csv_line("a\"b").is_err());
        assert!(split_csv_line("\"a\"b").is_err());
    }

    #[test]
    fn malformed_data_is_an_error_not_a_panic() {
        let header = "name,region,os,savings_pct,interruption_range_index,interruption_range_label,on_demand_usd_per_hour,est_spot_usd_per_hour\n";
        assert!(matches!(parse_tables("", header), Err(CatalogError::Data { line: 1, .. })));
        let types = INSTANCE_TYPES_CSV.lines().next().unwrap().to_string() + "\nm6i.large,m6i\n";
        match parse_tables(&types, header) {
            Err(CatalogError::Data { line, file, .. }) => assert_eq!((line, file), (2, INSTANCE_TYPES_FILE)),
            other => panic!("unexpected {other:?}"),
        }
        let bad_price = header.to_string() + "m6i.large,us-east-1,Linux,60,4,>20%,0.096,cheap\n";
        assert!(matches!(parse_tables(INSTANCE_TYPES_CSV, &bad_price), Err(CatalogError::Data { line: 2, .. })));
    }
}
