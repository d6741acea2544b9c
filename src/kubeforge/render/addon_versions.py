"""Every add-on version and image kubeforge deploys, pinned in one place.

Each pin names where it was read from, so a bump is one edit here plus a re-read of that source
(the templates under templates/addons/ and templates/storage/ follow the upstream manifests of
exactly these versions; docs/versions.md says what to re-check). Nothing here is fetched at render
time; every URL a machine fetches is built from a pin below (tests/render/test_versions.py).
"""

from __future__ import annotations

from kubeforge.spec import versions

# containerd's pod sandbox ("pause") image, per Kubernetes minor, as kubeadm pins it for that
# minor (kubernetes/kubernetes cmd/kubeadm/app/constants/constants.go PauseVersion on each
# release branch): kubeadm warns when the runtime's sandbox image differs from its own.
PAUSE_REPOSITORY = "registry.k8s.io/pause"
PAUSE_VERSIONS: dict[int, str] = {35: "3.10.1", 36: "3.10.2", 37: "3.10.2"}


def pause_image(kubernetes_version: str) -> str:
    """A minor newer than the table takes the newest pin (kubeadm moves it rarely); older ones
    are refused by validation before rendering."""
    minor = versions.kubernetes_minor(kubernetes_version)
    known = [m for m in sorted(PAUSE_VERSIONS) if m <= minor] or [min(PAUSE_VERSIONS)]
    return f"{PAUSE_REPOSITORY}:{PAUSE_VERSIONS[known[-1]]}"


# flannel: manifest transcribed from flannel-io/flannel
# Documentation/kustomization/kube-flannel/kube-flannel.yml @ 07274bb76ce6574657b4fb706ed4b173d1d22509
# (the source of the release asset kube-flannel.yml), flannel v0.28.9. That file names
# flannel-cni-plugin v1.9.1-flannel2; the v0.28.9 release asset ships v1.9.1-flannel3.
FLANNEL_VERSION = "v0.28.9"
FLANNEL_IMAGE = f"ghcr.io/flannel-io/flannel:{FLANNEL_VERSION}"
FLANNEL_CNI_PLUGIN_VERSION = "v1.9.1-flannel3"
FLANNEL_CNI_PLUGIN_IMAGE = f"ghcr.io/flannel-io/flannel-cni-plugin:{FLANNEL_CNI_PLUGIN_VERSION}"

# MetalLB: the upstream native manifest (CRDs, controller, speaker, webhook) is ~2,000 lines and
# applied from its pinned URL; kubeforge renders only the IPAddressPool and L2Advertisement
# (checked against the CRD schemas in tests/render/metallb_crds.py). 0.16 serves metrics over
# HTTPS only and deprecates FRR mode; kubeforge uses neither (native manifest, layer 2).
METALLB_VERSION = "v0.16.1"
METALLB_MANIFEST_URL = (
    f"https://raw.githubusercontent.com/metallb/metallb/{METALLB_VERSION}"
    "/config/manifests/metallb-native.yaml"
)
METALLB_IMAGES = (
    f"quay.io/metallb/controller:{METALLB_VERSION}",
    f"quay.io/metallb/speaker:{METALLB_VERSION}",
)

# Headlamp: the recommended successor of the Kubernetes Dashboard, archived in 2026. The
# Deployment follows kubernetes-sigs/headlamp charts/headlamp/tests/expected_templates/default.yaml
# @ 03a50db5530fea86c5dce4ba2bd54b36653b6d2e (chart 0.44.0, appVersion 0.44.0).
HEADLAMP_VERSION = "v0.44.0"
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
