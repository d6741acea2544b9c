"""Every add-on version and image kubeforge deploys, pinned in one place.

Each pin names where it was read from, so a bump is one edit here plus a re-read of that source
(the templates under templates/addons/ and templates/storage/ follow the upstream manifests of
exactly these versions). Nothing here is fetched at render time.
"""

from __future__ import annotations

# containerd's pod sandbox ("pause") image: the one kubeadm itself pins for current releases
# (cmd/kubeadm/app/constants PauseVersion). containerd 1.7 defaults to pause:3.8, and kubeadm
# warns when the runtime's sandbox image differs from its own.
PAUSE_IMAGE = "registry.k8s.io/pause:3.10.1"

# flannel: manifest transcribed from flannel-io/flannel
# Documentation/kustomization/kube-flannel/kube-flannel.yml (commit 05e2b583), which pins this pair.
FLANNEL_VERSION = "v0.27.4"
FLANNEL_IMAGE = f"ghcr.io/flannel-io/flannel:{FLANNEL_VERSION}"
FLANNEL_CNI_PLUGIN_IMAGE = "ghcr.io/flannel-io/flannel-cni-plugin:v1.8.0-flannel1"

# MetalLB: the upstream native manifest (CRDs, controller, speaker, webhook) is ~2,000 lines and
# applied from its pinned URL; kubeforge renders only the IPAddressPool and L2Advertisement.
METALLB_VERSION = "v0.15.3"
METALLB_MANIFEST_URL = (
    f"https://raw.githubusercontent.com/metallb/metallb/{METALLB_VERSION}"
    "/config/manifests/metallb-native.yaml"
)

# Headlamp (kubernetes-sigs/headlamp charts/headlamp/Chart.yaml appVersion 0.40.0): the
# recommended successor of the Kubernetes Dashboard, archived in 2026.
HEADLAMP_VERSION = "v0.40.0"
HEADLAMP_IMAGE = f"ghcr.io/headlamp-k8s/headlamp:{HEADLAMP_VERSION}"

# Kubernetes Dashboard: archived; v2.7.0 is its last release shipped as a plain manifest
# (later releases are Helm-only). Only for specs that ask for it explicitly.
KUBERNETES_DASHBOARD_VERSION = "v2.7.0"
KUBERNETES_DASHBOARD_MANIFEST_URL = (
    f"https://raw.githubusercontent.com/kubernetes/dashboard/{KUBERNETES_DASHBOARD_VERSION}"
    "/aio/deploy/recommended.yaml"
)

# csi-driver-nfs: the maintained way to give Kubernetes dynamic volumes from an NFS export
# (here: NFS-Ganesha in front of the Gluster volume). Files as deploy/install-driver.sh applies them.
CSI_DRIVER_NFS_VERSION = "v4.13.5"
CSI_DRIVER_NFS_MANIFEST_URLS = tuple(
    f"https://raw.githubusercontent.com/kubernetes-csi/csi-driver-nfs/{CSI_DRIVER_NFS_VERSION}"
    f"/deploy/{CSI_DRIVER_NFS_VERSION}/{name}"
    for name in ("rbac-csi-nfs.yaml", "csi-nfs-driverinfo.yaml", "csi-nfs-controller.yaml", "csi-nfs-node.yaml")
)
CSI_DRIVER_NFS_PROVISIONER = "nfs.csi.k8s.io"
