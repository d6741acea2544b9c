"""The kubeadm (and kubelet) config API field by field, transcribed from the upstream Go types,
and a checker that holds rendered documents to it. No kubeadm binary can be installed here.

Sources (kubernetes/kubernetes, read with the search tool):
- v1beta4: cmd/kubeadm/app/apis/kubeadm/v1beta4/types.go @ 1329935739c3aa007d23cb9a4dadfee9d59ff79b
- v1beta3: cmd/kubeadm/app/apis/kubeadm/v1beta3/types.go @ 428c3fe9540a2cbe8daf4645879a87b30bbf1d02
- BootstrapToken: cmd/kubeadm/app/apis/bootstraptoken/v1/types.go @ 95f08499d652a6211121d8af35f470609217c730
- Taint, EnvVar: k8s.io/api/core/v1 (only the fields used by kubeadm's types)
- KubeletConfiguration: staging/src/k8s.io/kubelet/config/v1beta1/types.go @ 8383bd62ee26c68c4eac4b49431d3403d0880a26,
  its top-level fields (nested kubelet types unchecked: "any"). That stored version predates some
  newer kubelet fields: rendering one fails here and needs a look at the current source (a false
  rejection, never a false pass).

Field types: "str", "int", "bool", "duration" (Go metav1.Duration), "any", "map:str" / "map:bool"
(string keys), "[X]" (list of X), or the name of another type below. Required fields are those
without `omitempty` that kubeadm's validation also insists on.
"""

from __future__ import annotations

import re
from typing import Any

Fields = dict[str, str]
_DURATION = re.compile(r"^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$")

_COMMON: dict[str, Fields] = {
    "APIEndpoint": {"advertiseAddress": "str", "bindPort": "int"},
    "Networking": {"serviceSubnet": "str", "podSubnet": "str", "dnsDomain": "str"},
    "Etcd": {"local": "LocalEtcd", "external": "ExternalEtcd"},
    "ExternalEtcd": {"endpoints": "[str]", "caFile": "str", "certFile": "str", "keyFile": "str"},
    "JoinControlPlane": {"localAPIEndpoint": "APIEndpoint", "certificateKey": "str"},
    "BootstrapTokenDiscovery": {
        "token": "str", "apiServerEndpoint": "str", "caCertHashes": "[str]", "unsafeSkipCAVerification": "bool",
    },
    "FileDiscovery": {"kubeConfigPath": "str"},
    "HostPathMount": {"name": "str", "hostPath": "str", "mountPath": "str", "readOnly": "bool", "pathType": "str"},
    "Patches": {"directory": "str"},
    "BootstrapToken": {
        "token": "str", "description": "str", "ttl": "duration", "expires": "str", "usages": "[str]", "groups": "[str]",
    },
    "Taint": {"key": "str", "value": "str", "effect": "str", "timeAdded": "str"},
}

V1BETA4: dict[str, Fields] = {
    **_COMMON,
    "InitConfiguration": {
        "bootstrapTokens": "[BootstrapToken]", "dryRun": "bool", "nodeRegistration": "NodeRegistrationOptions",
        "localAPIEndpoint": "APIEndpoint", "certificateKey": "str", "skipPhases": "[str]", "patches": "Patches",
        "timeouts": "Timeouts",
    },
    "ClusterConfiguration": {
        "etcd": "Etcd", "networking": "Networking", "kubernetesVersion": "str", "controlPlaneEndpoint": "str",
        "apiServer": "APIServer", "controllerManager": "ControlPlaneComponent", "scheduler": "ControlPlaneComponent",
        "dns": "DNS", "proxy": "Proxy", "certificatesDir": "str", "imageRepository": "str", "featureGates": "map:bool",
        "clusterName": "str", "encryptionAlgorithm": "str", "certificateValidityPeriod": "duration",
        "caCertificateValidityPeriod": "duration",
    },
    "ControlPlaneComponent": {"extraArgs": "[Arg]", "extraVolumes": "[HostPathMount]", "extraEnvs": "[EnvVar]"},
    "APIServer": {"extraArgs": "[Arg]", "extraVolumes": "[HostPathMount]", "extraEnvs": "[EnvVar]", "certSANs": "[str]"},
    "DNS": {"imageRepository": "str", "imageTag": "str", "disabled": "bool"},
    "Proxy": {"disabled": "bool"},
    "NodeRegistrationOptions": {
        "name": "str", "criSocket": "str", "taints": "[Taint]", "kubeletExtraArgs": "[Arg]",
        "ignorePreflightErrors": "[str]", "imagePullPolicy": "str", "imagePullSerial": "bool",
    },
    "LocalEtcd": {
        "imageRepository": "str", "imageTag": "str", "dataDir": "str", "extraArgs": "[Arg]", "extraEnvs": "[EnvVar]",
        "serverCertSANs": "[str]", "peerCertSANs": "[str]",
    },
    "JoinConfiguration": {
        "dryRun": "bool", "nodeRegistration": "NodeRegistrationOptions", "caCertPath": "str", "discovery": "Discovery",
        "controlPlane": "JoinControlPlane", "skipPhases": "[str]", "patches": "Patches", "timeouts": "Timeouts",
    },
    "Discovery": {"bootstrapToken": "BootstrapTokenDiscovery", "file": "FileDiscovery", "tlsBootstrapToken": "str"},
    "Arg": {"name": "str", "value": "str"},
    "EnvVar": {"name": "str", "value": "str", "valueFrom": "any"},
    "Timeouts": {
        "controlPlaneComponentHealthCheck": "duration", "kubeletHealthCheck": "duration",
        "kubernetesAPICall": "duration", "etcdAPICall": "duration", "tlsBootstrap": "duration",
        "discovery": "duration", "upgradeManifests": "duration",
    },
}

V1BETA3: dict[str, Fields] = {
    **_COMMON,
    "InitConfiguration": {
        "bootstrapTokens": "[BootstrapToken]", "nodeRegistration": "NodeRegistrationOptions",
        "localAPIEndpoint": "APIEndpoint", "certificateKey": "str", "skipPhases": "[str]", "patches": "Patches",
    },
    "ClusterConfiguration": {
        "etcd": "Etcd", "networking": "Networking", "kubernetesVersion": "str", "controlPlaneEndpoint": "str",
        "apiServer": "APIServer", "controllerManager": "ControlPlaneComponent", "scheduler": "ControlPlaneComponent",
        "dns": "DNS", "certificatesDir": "str", "imageRepository": "str", "featureGates": "map:bool",
        "clusterName": "str",
    },
    "ControlPlaneComponent": {"extraArgs": "map:str", "extraVolumes": "[HostPathMount]"},
    "APIServer": {
        "extraArgs": "map:str", "extraVolumes": "[HostPathMount]", "certSANs": "[str]",
        "timeoutForControlPlane": "duration",
    },
    "DNS": {"imageRepository": "str", "imageTag": "str"},
    "NodeRegistrationOptions": {
        "name": "str", "criSocket": "str", "taints": "[Taint]", "kubeletExtraArgs": "map:str",
        "ignorePreflightErrors": "[str]", "imagePullPolicy": "str",
    },
    "LocalEtcd": {
        "imageRepository": "str", "imageTag": "str", "dataDir": "str", "extraArgs": "map:str",
        "serverCertSANs": "[str]", "peerCertSANs": "[str]",
    },
    "JoinConfiguration": {
        "nodeRegistration": "NodeRegistrationOptions", "caCertPath": "str", "discovery": "Discovery",
        "controlPlane": "JoinControlPlane", "skipPhases": "[str]", "patches": "Patches",
    },
    "Discovery": {
        "bootstrapToken": "BootstrapTokenDiscovery", "file": "FileDiscovery", "tlsBootstrapToken": "str",
        "timeout": "duration",
    },
}

_KUBELET_FIELDS = """
enableServer:bool staticPodPath:str syncFrequency:duration fileCheckFrequency:duration
httpCheckFrequency:duration staticPodURL:str staticPodURLHeader:any address:str port:int readOnlyPort:int
tlsCertFile:str tlsPrivateKeyFile:str tlsCipherSuites:[str] tlsMinVersion:str rotateCertificates:bool
serverTLSBootstrap:bool authentication:any authorization:any registryPullQPS:int registryBurst:int
eventRecordQPS:int eventBurst:int enableDebuggingHandlers:bool enableContentionProfiling:bool healthzPort:int
healthzBindAddress:str oomScoreAdj:int clusterDomain:str clusterDNS:[str]
streamingConnectionIdleTimeout:duration nodeStatusUpdateFrequency:duration nodeStatusReportFrequency:duration
nodeLeaseDurationSeconds:int imageMinimumGCAge:duration imageGCHighThresholdPercent:int
imageGCLowThresholdPercent:int volumeStatsAggPeriod:duration kubeletCgroups:str systemCgroups:str cgroupRoot:str
cgroupsPerQOS:bool cgroupDriver:str cpuManagerPolicy:str cpuManagerPolicyOptions:map:str
cpuManagerReconcilePeriod:duration memoryManagerPolicy:str topologyManagerPolicy:str topologyManagerScope:str
qosReserved:map:str runtimeRequestTimeout:duration hairpinMode:str maxPods:int podCIDR:str podPidsLimit:int
resolvConf:str runOnce:bool cpuCFSQuota:bool cpuCFSQuotaPeriod:duration nodeStatusMaxImages:int maxOpenFiles:int
contentType:str kubeAPIQPS:int kubeAPIBurst:int serializeImagePulls:bool evictionHard:map:str evictionSoft:map:str
evictionSoftGracePeriod:map:str evictionPressureTransitionPeriod:duration evictionMaxPodGracePeriod:int
evictionMinimumReclaim:map:str podsPerCore:int enableControllerAttachDetach:bool protectKernelDefaults:bool
makeIPTablesUtilChains:bool iptablesMasqueradeBit:int iptablesDropBit:int featureGates:map:bool failSwapOn:bool
memorySwap:any containerLogMaxSize:str containerLogMaxFiles:int configMapAndSecretChangeDetectionStrategy:str
systemReserved:map:str kubeReserved:map:str reservedSystemCPUs:str showHiddenMetricsForVersion:str
systemReservedCgroup:str kubeReservedCgroup:str enforceNodeAllocatable:[str] allowedUnsafeSysctls:[str]
volumePluginDir:str providerID:str kernelMemcgNotification:bool logging:any enableSystemLogHandler:bool
shutdownGracePeriod:duration shutdownGracePeriodCriticalPods:duration shutdownGracePeriodByPodPriority:[any]
reservedMemory:[any] enableProfilingHandler:bool enableDebugFlagsHandler:bool seccompDefault:bool
memoryThrottlingFactor:any registerWithTaints:[Taint] registerNode:bool tracing:any
localStorageCapacityIsolation:bool
"""
KUBELET_V1BETA1: dict[str, Fields] = {
    "KubeletConfiguration": dict(field.split(":", 1) for field in _KUBELET_FIELDS.split()),
    "Taint": _COMMON["Taint"],
}

REQUIRED: dict[str, tuple[str, ...]] = {
    "JoinConfiguration": ("discovery",),
    "BootstrapTokenDiscovery": ("token",),
    "BootstrapToken": ("token",),
    "Arg": ("name", "value"),
    "Taint": ("key", "effect"),
    "FileDiscovery": ("kubeConfigPath",),
    "LocalEtcd": ("dataDir",),
    "HostPathMount": ("name", "hostPath", "mountPath"),
    "EnvVar": ("name",),
}

API: dict[str, dict[str, Fields]] = {
    "kubeadm.k8s.io/v1beta4": V1BETA4,
    "kubeadm.k8s.io/v1beta3": V1BETA3,
    "kubelet.config.k8s.io/v1beta1": KUBELET_V1BETA1,
}


def problems(document: dict[str, Any]) -> list[str]:
    """Every key or value the upstream types would not accept, as `path: problem` lines."""
    types = API.get(document.get("apiVersion", ""))
    if types is None:
        return [f"apiVersion: unknown {document.get('apiVersion')!r}"]
    kind = document.get("kind", "")
    if kind not in types:
        return [f"kind: {kind!r} is not a type of {document['apiVersion']}"]
    body = {k: v for k, v in document.items() if k not in ("apiVersion", "kind")}
    return _check_object(types, kind, body, kind)


def _check_object(types: dict[str, Fields], name: str, value: Any, path: str) -> list[str]:
    if not isinstance(value, dict):
        return [f"{path}: expected an object ({name}), got {type(value).__name__}"]
    fields = types[name]
    found = [f"{path}.{key}: not a field of {name}" for key in value if key not in fields]
    found += [f"{path}.{key}: required by {name}" for key in REQUIRED.get(name, ()) if key not in value]
    for key, item in value.items():
        if key in fields:
            found += _check_value(types, fields[key], item, f"{path}.{key}")
    return found


def _check_value(types: dict[str, Fields], kind: str, value: Any, path: str) -> list[str]:
    if kind.startswith("["):
        if not isinstance(value, list):
            return [f"{path}: expected a list"]
        return [p for i, item in enumerate(value) for p in _check_value(types, kind[1:-1], item, f"{path}[{i}]")]
    if kind.startswith("map:"):
        scalar = bool if kind == "map:bool" else str
        ok = isinstance(value, dict) and all(isinstance(v, scalar) for v in value.values())
        return [] if ok else [f"{path}: expected a map of {kind[4:]}"]
    if kind in types:
        return _check_object(types, kind, value, path)
    return [] if _scalar_ok(kind, value) else [f"{path}: {value!r} is not a {kind}"]


def _scalar_ok(kind: str, value: Any) -> bool:
    if kind == "any":
        return True
    if kind == "bool":
        return isinstance(value, bool)
    if kind == "int":
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == "duration":
        return isinstance(value, str) and bool(_DURATION.match(value))
    return isinstance(value, str)
