"""Stand-ins for `kubeadm` and `kubectl` on a FakeHost: just enough of their token and Secret
commands to pin the join phases' credential refresh (no Kubernetes binaries exist here).

The "cluster" lives in `<root>/.fake/cluster.json`; every call is appended to calls.log.
Output formats follow kubeadm's own (`kubeadm token list`: TOKEN TTL EXPIRES USAGES
DESCRIPTION EXTRA GROUPS, EXPIRES in RFC 3339 or `<never>`).
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

CERTS_PROXY = "Proxy for managing TTL for the kubeadm-certs secret"

_COMMON = r'''#!/usr/bin/env python3
import json, os, sys, time, secrets
root = os.environ["KF_ROOT"]
state_path = os.path.join(root, ".fake", "cluster.json")
with open(os.path.join(root, ".fake", "calls.log"), "a") as log:
    log.write(os.path.basename(sys.argv[0]) + " " + " ".join(sys.argv[1:]) + "\n")
state = json.load(open(state_path)) if os.path.exists(state_path) else {"tokens": [], "secrets": []}
def save():
    json.dump(state, open(state_path, "w"))
def flag(name):
    return sys.argv[sys.argv.index(name) + 1] if name in sys.argv else None
VALUED = {"--kubeconfig", "-n", "--ttl", "--description", "--config", "--certificate-key"}
args, rest = [], iter(sys.argv[1:])
for a in rest:
    if a in VALUED:
        next(rest)
    elif not a.startswith("-"):
        args.append(a)
'''

KUBEADM = _COMMON + r'''
def expiry(t):
    return "<never>" if t["expires"] is None else time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t["expires"]))
if args[:2] == ["token", "list"]:
    print("TOKEN                     TTL         EXPIRES                USAGES                   DESCRIPTION   EXTRA GROUPS")
    for t in state["tokens"]:
        print(f"{t['token']}   1h   {expiry(t)}   authentication,signing   {t['description']}   system:bootstrappers:kubeadm:default-node-token")
elif args[:2] == ["token", "delete"]:
    before = len(state["tokens"])
    state["tokens"] = [t for t in state["tokens"] if not t["token"].startswith(args[2] + ".")]
    if len(state["tokens"]) == before:
        sys.exit("bootstrap token " + repr(args[2]) + " not found")
    save()
elif args[:2] == ["token", "create"]:
    if any(t["token"] == args[2] for t in state["tokens"]):
        sys.exit("a token with id " + repr(args[2].split(".")[0]) + " already exists")
    assert flag("--ttl") == "24h0m0s", flag("--ttl")
    state["tokens"].append({"token": args[2], "expires": time.time() + 86400,
                            "description": flag("--description")})
    save()
elif args[:3] == ["init", "phase", "upload-certs"]:
    if flag("--config") and flag("--certificate-key"):  # kubeadm's ValidateMixedArguments
        sys.exit("can not mix '--config' with arguments [certificate-key]")
    assert "--upload-certs" in sys.argv and flag("--config")
    proxy = secrets.token_hex(3) + "." + secrets.token_hex(8)
    state["tokens"].append({"token": proxy, "expires": time.time() + 7200,
                            "description": "Proxy for managing TTL for the kubeadm-certs secret"})
    state["secrets"] = sorted(set(state["secrets"]) | {"kubeadm-certs"})
    save()
elif args[:1] == ["join"]:  # what the join phase's `creates` guard looks for
    os.makedirs(os.path.join(root, "etc", "kubernetes"), exist_ok=True)
    open(os.path.join(root, "etc", "kubernetes", "kubelet.conf"), "w").close()
else:
    sys.exit("fake kubeadm: unsupported " + " ".join(sys.argv[1:]))
'''

KUBECTL = _COMMON + r'''
if args[:2] == ["get", "secret"] and flag("-n") == "kube-system":
    sys.exit(0 if args[2] in state["secrets"] else 1)
sys.exit("fake kubectl: unsupported " + " ".join(sys.argv[1:]))
'''


def install(tools: Path) -> None:
    """Write the stand-ins into `tools` (put it first on PATH)."""
    for name, text in (("kubeadm", KUBEADM), ("kubectl", KUBECTL)):
        path = tools / name
        path.write_text(text)
        path.chmod(0o755)


def load_cluster(root: Path, cluster: dict[str, Any], values: dict[str, str]) -> None:
    """A golden case's `cluster` block: tokens with `expires_in` seconds (None: never) and
    placeholders (<token>) standing for this run's secrets."""
    now = time.time()
    tokens = [{"token": values.get(t["token"], t["token"]),
               "expires": None if t["expires_in"] is None else now + t["expires_in"],
               "description": t.get("description", "kubeforge")}
              for t in cluster.get("tokens", [])]
    state = {"tokens": tokens, "secrets": cluster.get("secrets", [])}
    (root / ".fake" / "cluster.json").write_text(json.dumps(state))
