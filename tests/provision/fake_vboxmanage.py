#!/usr/bin/env python3
"""FAKE VBoxManage for tests — not VirtualBox. It records every argv (JSON lines in
$FAKE_VBOX_LOG), rejects any argv the flags table does not allow (exit 2), keeps VMs and media in
a JSON state file ($FAKE_VBOX_STATE), and answers `list vms` / `showvminfo --machinereadable` from
it in VirtualBox's formats, so a provider run against it can be re-run to prove adoption."""

from __future__ import annotations

import json
import os
import sys
import uuid
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parents[2]))  # the repo root: this runs as a script
from tests.provision import vbox_flags

STATE = Path(os.environ["FAKE_VBOX_STATE"])
LOG = Path(os.environ["FAKE_VBOX_LOG"])
State = dict[str, Any]


def main(args: list[str]) -> int:
    with LOG.open("a") as log:
        log.write(json.dumps(args) + "\n")
    problems = vbox_flags.problems(["VBoxManage", *args])
    if problems:
        print("\n".join(problems), file=sys.stderr)
        return 2
    state = json.loads(STATE.read_text()) if STATE.exists() else {"vms": {}, "media": []}
    code = HANDLERS.get(args[0], lambda s, a: 0)(state, args[1:])
    STATE.write_text(json.dumps(state))
    return code


def _options(args: list[str]) -> dict[str, str]:
    return {args[i]: args[i + 1] for i in range(len(args) - 1) if args[i].startswith("--")}


def list_media(state: State, args: list[str]) -> int:
    if args[0] == "dvds":  # VirtualBox's block format: UUID, State, Location, ... per medium
        for path in state.setdefault("dvds", []):
            print(
                f"UUID:           {uuid.uuid5(uuid.NAMESPACE_URL, path)}\nState:          created"
            )
            print(f"Location:       {path}\nAccessible:     yes\n")
        return 0
    for name, vm in state["vms"].items():
        print(f'"{name}" {{{vm["uuid"]}}}')
    return 0


def showvminfo(state: State, args: list[str]) -> int:
    vm = state["vms"].get(args[0])
    if vm is None:
        print(
            f"VBoxManage: error: Could not find a registered machine named '{args[0]}'",
            file=sys.stderr,
        )
        return 1
    print(f'name="{args[0]}"')
    for key, value in vm["info"].items():
        quoted = key if key.isidentifier() else f'"{key}"'
        print(f"{quoted}={value}" if value.isdigit() else f'{quoted}="{value}"')
    return 0


def createvm(state: State, args: list[str]) -> int:
    opts = _options(args)
    name = opts["--name"]
    if name in state["vms"]:
        print(
            f"VBoxManage: error: Machine settings file for '{name}' already exists", file=sys.stderr
        )
        return 1
    Path(opts["--basefolder"], name).mkdir(parents=True, exist_ok=True)
    state["vms"][name] = {
        "uuid": str(uuid.uuid4()),
        "info": {"VMState": "poweroff", "cpus": "1", "memory": "128"},
    }
    return 0


def modifyvm(state: State, args: list[str]) -> int:
    info = state["vms"][args[0]]["info"]
    for flag, value in _options(args[1:]).items():
        key = flag[2:].replace("mac-address", "macaddress").replace("nic-type", "nictype")
        info[key] = value
    return 0


def storageattach(state: State, args: list[str]) -> int:
    opts = _options(args[1:])
    info = state["vms"][args[0]]["info"]
    info[f"{opts['--storagectl']}-{opts['--port']}-{opts['--device']}"] = opts["--medium"]
    return 0


def setextradata(state: State, args: list[str]) -> int:
    state["vms"][args[0]]["info"][args[1]] = args[2]
    return 0


def make_medium(state: State, args: list[str]) -> int:
    paths = [a for a in args if a.startswith("/")]
    dest = Path(_options(args).get("--filename") or paths[-1])
    if dest.exists():
        print(
            f"VBoxManage: error: Cannot create the image '{dest}': already exists", file=sys.stderr
        )
        return 1
    dest.write_bytes(b"fake medium\n")
    state["media"].append(str(dest))
    return 0


def startvm(state: State, args: list[str]) -> int:
    state["vms"][args[0]]["info"]["VMState"] = "running"
    return 0


def controlvm(state: State, args: list[str]) -> int:
    state["vms"][args[0]]["info"]["VMState"] = "poweroff"
    return 0


def unregistervm(state: State, args: list[str]) -> int:
    vm = state["vms"].pop(args[0])
    for key, medium in vm["info"].items():
        if key.startswith("SATA-") and not medium.endswith(".iso") and "--delete" in args:
            Path(medium).unlink(missing_ok=True)
    return 0


def closemedium(state: State, args: list[str]) -> int:
    path = next(a for a in args if a.startswith("/"))
    if args[0] == "dvd":
        if path not in state.get("dvds", []):
            print(
                f"VBoxManage: error: Could not find file for the medium '{path}'", file=sys.stderr
            )
            return 1
        state["dvds"].remove(path)
    if "--delete" in args:
        Path(path).unlink(missing_ok=True)
    return 0


HANDLERS = {
    "list": list_media,
    "showvminfo": showvminfo,
    "createvm": createvm,
    "modifyvm": modifyvm,
    "storageattach": storageattach,
    "setextradata": setextradata,
    "convertfromraw": make_medium,
    "clonemedium": make_medium,
    "createmedium": make_medium,
    "startvm": startvm,
    "controlvm": controlvm,
    "unregistervm": unregistervm,
    "closemedium": closemedium,
}

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
