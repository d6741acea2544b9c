"""MetalLB's CRD schemas (openAPIV3Schema of v1beta1), for validating the rendered custom
resources: kubernetes-validate knows only built-in kinds.

Transcribed (descriptions dropped) from metallb/metallb, read with the search tool:
- config/crd/bases/metallb.io_ipaddresspools.yaml @ 6b4b54fb63544eade6080b60c0d5744e1ba44166
- config/crd/bases/metallb.io_l2advertisements.yaml @ 645de157e9680a6045536bc851795f216a025e9d
Re-checked for v0.16.1 (December 2026) field by field against the Go types the CRDs are generated
from, the newest versions the index holds: api/v1beta1/ipaddresspool_types.go @
999899bc555ae260501b9c4901e5be0cfe106921 and api/v1beta1/l2advertisement_types.go @
780fd283813bebe2a2da7a4f17e1c99882f3f475: the same spec fields (IPAddressPool's status gained
address counts, which kubeforge never writes). The files at the v0.16.1 tag itself are not in the
index reachable here; docs/versions.md lists this as the first thing to re-read on a bump.
"""

from __future__ import annotations

import copy
from typing import Any

import jsonschema  # type: ignore[import-untyped]

_LABEL_SELECTOR: dict[str, Any] = {
    "type": "object",
    "x-kubernetes-map-type": "atomic",
    "properties": {
        "matchExpressions": {
            "type": "array",
            "x-kubernetes-list-type": "atomic",
            "items": {
                "type": "object",
                "required": ["key", "operator"],
                "properties": {
                    "key": {"type": "string"},
                    "operator": {"type": "string"},
                    "values": {"type": "array", "items": {"type": "string"}, "x-kubernetes-list-type": "atomic"},
                },
            },
        },
        "matchLabels": {"type": "object", "additionalProperties": {"type": "string"}},
    },
}
_STRINGS = {"type": "array", "items": {"type": "string"}}
_SELECTORS = {"type": "array", "items": _LABEL_SELECTOR}

IPADDRESSPOOL: dict[str, Any] = {
    "type": "object",
    "required": ["spec"],
    "properties": {
        "apiVersion": {"type": "string"},
        "kind": {"type": "string"},
        "metadata": {"type": "object"},
        "spec": {
            "type": "object",
            "required": ["addresses"],
            "properties": {
                "addresses": _STRINGS,
                "autoAssign": {"type": "boolean", "default": True},
                "avoidBuggyIPs": {"type": "boolean", "default": False},
                "serviceAllocation": {
                    "type": "object",
                    "properties": {
                        "namespaceSelectors": _SELECTORS,
                        "namespaces": _STRINGS,
                        "priority": {"type": "integer"},
                        "serviceSelectors": _SELECTORS,
                    },
                },
            },
        },
        "status": {"type": "object"},
    },
}

L2ADVERTISEMENT: dict[str, Any] = {
    "type": "object",
    "properties": {
        "apiVersion": {"type": "string"},
        "kind": {"type": "string"},
        "metadata": {"type": "object"},
        "spec": {
            "type": "object",
            "properties": {
                "interfaces": _STRINGS,
                "ipAddressPoolSelectors": _SELECTORS,
                "ipAddressPools": _STRINGS,
                "nodeSelectors": _SELECTORS,
            },
        },
        "status": {"type": "object"},
    },
}

SCHEMAS = {("metallb.io/v1beta1", "IPAddressPool"): IPADDRESSPOOL, ("metallb.io/v1beta1", "L2Advertisement"): L2ADVERTISEMENT}


def strict(schema: dict[str, Any]) -> dict[str, Any]:
    """Unknown fields rejected, as the API server's strict field validation (kubectl's default)
    does for structural CRD schemas instead of silently pruning them."""
    result = copy.deepcopy(schema)
    _close(result)
    return result


def _close(node: Any) -> None:
    if isinstance(node, dict):
        if "properties" in node and "additionalProperties" not in node:
            node["additionalProperties"] = False
        for value in node.values():
            _close(value)


def validate(document: dict[str, Any]) -> None:
    schema = SCHEMAS[(document["apiVersion"], document["kind"])]
    jsonschema.validate(document, strict(schema))
