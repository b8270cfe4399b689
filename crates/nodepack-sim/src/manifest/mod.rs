//! Kubernetes-shaped YAML manifests.
