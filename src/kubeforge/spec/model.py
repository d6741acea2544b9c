"""The user's cluster.yaml as pydantic models. Unknown keys are rejected.

Field shapes only: cross-field rules (overlaps, pools inside subnets, quorum...) live in
`kubeforge.plan.validate`, so that every problem is reported at once with its fix.
"""

from __future__ import annotations

from ipaddress import IPv4Address, IPv4Network
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from kubeforge.spec import keys, types, versions

SubnetName = Literal["mast", "node", "glus", "dmz"]
SUBNET_NAMES: tuple[SubnetName, ...] = ("mast", "node", "glus", "dmz")
Role = Literal["gateway", "loadbalancer", "control_plane", "worker", "gluster"]
# Fields whose value is never shown (messages, logs, reports, diffs); a test keeps it complete.
SECRET_FIELDS = frozenset({"stats_password", "ssh_public_key"})


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class AddressRange(Strict):
    """An inclusive range of IPv4 addresses, e.g. a DHCP pool or the MetalLB pool."""

    start: IPv4Address
    end: IPv4Address

    def __str__(self) -> str:
        return f"{self.start}-{self.end}"

    def contains(self, address: IPv4Address) -> bool:
        return self.start <= address <= self.end

    def overlaps(self, other: AddressRange) -> bool:
        return self.start <= other.end and other.start <= self.end

    @property
    def size(self) -> int:
        return int(self.end) - int(self.start) + 1


class Subnet(Strict):
    cidr: IPv4Network
    gateway: IPv4Address = Field(description="The gateway machine's address here; also DNS server.")
    dhcp_pool: AddressRange


class Network(Strict):
    supernet: IPv4Network = IPv4Network("192.168.0.0/16")
    subnets: dict[SubnetName, Subnet]
    pod_cidr: IPv4Network = IPv4Network("10.244.0.0/16")
    service_cidr: IPv4Network = IPv4Network("10.96.0.0/12")
    api_vip: IPv4Address = Field(description="Virtual IP of the HAProxy pair, in the dmz subnet.")
    api_port: types.Port = 6443
    metallb_pool: AddressRange
    upstream_dns: list[IPv4Address] = Field(min_length=1, max_length=8)
    dhcp_lease: types.LeaseTime = "12h"


class HostGroup(Strict):
    count: int = Field(ge=0, le=1000)
    name_prefix: types.HostPrefix
    cpus: int = Field(ge=1, le=512)
    memory_mb: int = Field(ge=128, le=4 * 1024 * 1024, description="MB, at most 4 TiB.")
    disk_gb: int = Field(50, ge=4, le=65536, description="GB, at most 64 TiB.")
    data_disk_gb: int | None = Field(None, ge=1, le=65536, description="Extra disk (gluster bricks).")
    data_disks: dict[types.DnsLabel, types.DiskPath] = Field(
        default_factory=dict,
        description="Existing hosts only: each machine's data disk by its stable path, e.g. "
        "{kube-glus01: /dev/disk/by-id/wwn-0x5000c500a1b2c3d4}. kubeforge formats that disk only "
        "if it is blank and of data_disk_gb; VMs that kubeforge creates need none.",
    )
    packages: list[types.DebianPackage] = Field(
        default_factory=list, max_length=200, description="Extra Debian packages."
    )


class Hosts(Strict):
    gateway: HostGroup
    loadbalancer: HostGroup
    control_plane: HostGroup
    worker: HostGroup
    gluster: HostGroup


class Corosync(Strict):
    transport: Literal["knet", "udp", "udpu"] = "knet"
    token_ms: int = Field(
        300, ge=200, le=60000,
        description="Failure detection: a lost peer is declared after token + consensus (1.2 x "
        "token). 300 ms: no VIP move in 10 minutes on a lab host saturated by a CPU hog "
        "(corosync runs realtime); the failover is then mostly Pacemaker's own reaction. "
        "docs/benchmarks.md has the trade-off per value.",
    )
    crypto_cipher: Literal["aes256", "aes192", "aes128", "none"] = "aes256"
    crypto_hash: Literal["sha256", "sha384", "sha512", "sha1", "md5", "none"] = "sha256"
    mcastaddr: IPv4Address | None = Field(None, description="Only for transport udp (2019 style).")


class Keepalived(Strict):
    advert_ms: int = Field(
        300, ge=50, le=25500, multiple_of=10,
        description="VRRPv3 advertisement interval (centiseconds on the wire): the backup takes "
        "the VIP about 3 advertisements after the last one it heard. docs/benchmarks.md has the "
        "failover and loaded-host trade-off per value.",
    )


class LoadBalancer(Strict):
    vip_manager: Literal["pacemaker", "keepalived"] = "pacemaker"
    health_check: Literal["readyz", "tcp"] = "readyz"
    backup_servers: list[types.DnsLabel] = Field(
        default_factory=list, max_length=7,
        description="Control-plane hosts marked `backup` (take traffic last).",
    )
    stats_port: types.Port = 32700
    stats_user: types.HaproxyWord = "kubeforge"
    stats_password: types.Password | None = Field(None, description="Leave unset: a password is generated.")
    corosync: Corosync = Corosync()
    keepalived: Keepalived = Keepalived()


class Dashboard(Strict):
    kind: Literal["headlamp", "kubernetes-dashboard", "none"] = "headlamp"
    access: Literal["view", "admin"] = "view"
    namespace: types.DnsLabel = "kube-system"


class CoreDNS(Strict):
    replicas: int = Field(3, ge=1, le=100)
    node_selector: dict[types.LabelKey, types.LabelValue] = Field(
        default_factory=lambda: {"node-role.kubernetes.io/control-plane": ""}, max_length=16
    )


class Addons(Strict):
    coredns: CoreDNS = CoreDNS()
    dashboard: Dashboard = Dashboard()
    metallb: bool = True


class StorageClassSpec(Strict):
    name: types.DnsSubdomain = "gluster"
    default: bool = True
    reclaim_policy: Literal["Delete", "Retain"] = "Retain"


class Storage(Strict):
    backend: Literal["gluster", "none"] = "gluster"
    replica: int = Field(3, ge=1, le=16)
    volume: types.GlusterVolume = "kube"
    storage_class: StorageClassSpec = StorageClassSpec()
    vip_manager: Literal["keepalived", "pacemaker"] = Field(
        "keepalived", description="What holds the storage VIP on the gluster machines. "
        "keepalived (the default): the storage failover figures in docs/benchmarks.md were "
        "measured with it. pacemaker: the gluster machines form their own Corosync cluster "
        "(loadbalancer.corosync's settings, its own key) and need at least 3 of them (a "
        "majority: a machine cut off from the others drops its copy of the VIP). Chosen at "
        "the first apply: switching a running cluster is refused (docs/storage.md).",
    )


class ClusterSpec(Strict):
    name: types.ClusterName
    domain: types.DomainName = "kube.local"
    kubernetes_version: versions.KubernetesVersion = Field(
        versions.KUBERNETES_DEFAULT, pattern=r"^1\.(0|[1-9][0-9]*)(\.(0|[1-9][0-9]*))?$",
        description='Quoted: "1.37" (newest patch of that minor) or "1.37.2"; see `kubeforge versions`.',
    )
    debian_release: types.DebianRelease = versions.DEBIAN_DEFAULT
    container_runtime: Literal["containerd", "docker"] = "containerd"
    containerd_source: Literal["docker", "debian"] = Field(
        "docker", description="docker: containerd.io (2.x) from Docker's apt repository, as the "
        "reference deck installs it; debian: the Debian release's own containerd (trixie: 1.7, "
        "which Kubernetes supports only up to 1.35).",
    )
    admin_user: types.UnixUser = "debian"
    ssh_public_key: keys.PublicKeys | None = Field(
        None, description="Operator's SSH public key line, or a list of them; unset: kubeforge "
        "generates a key pair."
    )
    image_preinstalled: bool = Field(
        False, description="The base image already holds every role package (golden image, lab): "
        "cloud-init installs nothing and needs no mirror."
    )
    network: Network
    hosts: Hosts
    loadbalancer: LoadBalancer = LoadBalancer()
    addons: Addons = Addons()
    storage: Storage = Storage()
