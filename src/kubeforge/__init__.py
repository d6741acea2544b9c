"""kubeforge: one cluster spec to a highly-available Kubernetes cluster, rehearsed on one host."""

__version__ = "0.1.0"
