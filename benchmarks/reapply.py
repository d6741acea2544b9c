"""No-op re-apply: kubeforge's engine vs ansible-playbook vs pyinfra, side by side.

8 sshd hosts in `kft-*` network namespaces (tests/bootstrap/sshnet.py), the same 10
idempotent operations per host (4 files, one with mode 0600, a template, a directory, two
lines, a symlink, a guarded command). Each tool first converges the hosts, then the
second (no-op) runs are timed. Needs root, sshd, ansible-core and pyinfra (the `test` extra).

    .venv/bin/python benchmarks/reapply.py [--hosts 8] [--repeat 3] [--write-docs]
"""

from __future__ import annotations

import argparse
import asyncio
import io
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from rich.console import Console

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from kubeforge.bootstrap import engine, ssh
from kubeforge.bootstrap import manifest as m
from kubeforge.bootstrap.context import Context
from kubeforge.bootstrap.inventory import Reach
from kubeforge.bootstrap.phases.base import Phase
from kubeforge.bootstrap.runner import Options
from kubeforge.workspace import Workspace
from tests.bootstrap import sshnet

VENV_BIN = Path(sys.executable).parent
DOCS = REPO / "docs" / "benchmarks.md"
HEADING = "## Engine: no-op re-apply"
LAB_HEADING = "### Engine: no-op re-apply on the lab (gateway, lb, storage)"
TEMPLATE = "# managed by the benchmark\nhost={{ kf_host }}\nrole=bench\n"
FILES = {"a.conf": "alpha=1\n", "b.conf": "beta=2\n", "c.conf": "gamma=3\n"}
SECRET_FILE = ("d.key", "not-really-a-secret\n")


def template_for(host: str) -> str:
    return TEMPLATE.replace("{{ kf_host }}", host)


# --- kubeforge ---------------------------------------------------------------------------

class Bench(Phase):
    name, title = "bench", "10 idempotent operations"

    def __init__(self, hosts: list[str]) -> None:
        self._hosts = hosts

    def hosts(self, ctx: Context) -> list[str]:
        return self._hosts

    def plan(self, ctx: Context, host: str) -> m.Manifest:
        d = "/etc/kfbench"
        ops = [m.file(f"{d}/{name}", text.encode()) for name, text in FILES.items()]
        ops += [m.file(f"{d}/{SECRET_FILE[0]}", SECRET_FILE[1].encode(), mode=0o600),
                m.file(f"{d}/host.conf", template_for(host).encode()),
                m.directory(f"{d}/data"),
                m.line(f"{d}/lines", "first line"), m.line(f"{d}/lines", "second line"),
                m.symlink(f"{d}/current", f"{d}/a.conf"),
                m.command("marker", f"touch $KF_ROOT{d}/marker", creates=f"{d}/marker")]
        return m.Manifest(ops)


def kubeforge_run(net: sshnet.SshNet, targets: dict[str, ssh.Target], state: Path,
                  ctx: Context, recheck: bool) -> float:
    started = time.monotonic()
    asyncio.run(engine.apply(ctx, Reach(targets, net.socket_factory()), state,
                             Options(recheck=recheck), Console(file=io.StringIO()),
                             phases=[Bench(list(targets))]))
    return time.monotonic() - started


# --- ansible -----------------------------------------------------------------------------

PLAYBOOK = """- hosts: bench
  gather_facts: false
  tasks:
    - file: {{path: "{{{{ root }}}}/etc/kfbench", state: directory}}
{files}
    - copy: {{dest: "{{{{ root }}}}/etc/kfbench/d.key", content: "{secret}", mode: "0600"}}
    - template: {{src: host.conf.j2, dest: "{{{{ root }}}}/etc/kfbench/host.conf"}}
    - file: {{path: "{{{{ root }}}}/etc/kfbench/data", state: directory}}
    - lineinfile: {{path: "{{{{ root }}}}/etc/kfbench/lines", line: "first line", create: true}}
    - lineinfile: {{path: "{{{{ root }}}}/etc/kfbench/lines", line: "second line", create: true}}
    - file: {{src: /etc/kfbench/a.conf, dest: "{{{{ root }}}}/etc/kfbench/current", state: link, force: true}}
    - command: {{cmd: "touch {{{{ root }}}}/etc/kfbench/marker", creates: "{{{{ root }}}}/etc/kfbench/marker"}}
"""
ANSIBLE_CFG = """[defaults]
forks = 16
host_key_checking = False
interpreter_python = /usr/bin/python3
stdout_callback = default
[ssh_connection]
pipelining = True
ssh_args = -o ControlMaster=auto -o ControlPersist=120s -o UserKnownHostsFile=/dev/null
control_path_dir = {cpdir}
"""


def ansible_setup(work: Path, targets: dict[str, ssh.Target], key: Path) -> Path:
    d = work / "ansible"
    d.mkdir()
    files = "\n".join(
        f'    - copy: {{dest: "{{{{ root }}}}/etc/kfbench/{n}", content: "{t.strip()}\\n"}}'
        for n, t in FILES.items())
    (d / "play.yml").write_text(PLAYBOOK.format(files=files, secret=SECRET_FILE[1].strip()
                                                + "\\n"))
    (d / "host.conf.j2").write_text(TEMPLATE)
    (d / "ansible.cfg").write_text(ANSIBLE_CFG.format(cpdir=d / "cp-fixture"))
    lines = ["[bench]"] + [f"{t.name} ansible_host={t.address} ansible_user=root "
                           f"ansible_ssh_private_key_file={key} root={t.root} kf_host={t.name}"
                           for t in targets.values()]
    (d / "hosts.ini").write_text("\n".join(lines) + "\n")
    return d


def ansible_run(net: sshnet.SshNet, d: Path) -> float:
    env = dict(os.environ, ANSIBLE_CONFIG=str(d / "ansible.cfg"))
    argv = ["ip", "netns", "exec", net.client, str(VENV_BIN / "ansible-playbook"), "-i",
            str(d / "hosts.ini"), str(d / "play.yml")]
    return timed(argv, d, env)


# --- pyinfra -----------------------------------------------------------------------------

DEPLOY = '''from io import StringIO
from pyinfra import host
from pyinfra.operations import files, server
root = host.data.root
d = root + "/etc/kfbench"
files.directory(path=d)
{files}
files.put(src=StringIO({secret!r}), dest=d + "/d.key", mode="600")
files.template(src="{dir}/host.conf.j2", dest=d + "/host.conf", kf_host=host.data.kf_host)
files.directory(path=d + "/data")
files.line(path=d + "/lines", line="first line")
files.line(path=d + "/lines", line="second line")
files.link(path=d + "/current", target="/etc/kfbench/a.conf")
server.shell(commands=["test -e " + d + "/marker || touch " + d + "/marker"])
'''


def pyinfra_setup(work: Path, targets: dict[str, ssh.Target], key: Path) -> Path:
    d = work / "pyinfra"
    d.mkdir()
    puts = "\n".join(f"files.put(src=StringIO({t!r}), dest=d + '/{n}')" for n, t in FILES.items())
    (d / "deploy.py").write_text(DEPLOY.format(files=puts, secret=SECRET_FILE[1], dir=d))
    (d / "host.conf.j2").write_text(TEMPLATE)
    hosts = ",\n".join(
        f'    ("{t.address}", {{"root": "{t.root}", "kf_host": "{t.name}", "ssh_user": "root", "ssh_key": "{key}", '
        f'"ssh_known_hosts_file": "/dev/null", "ssh_strict_host_key_checking": "off"}})'
        for t in targets.values())
    (d / "inventory.py").write_text(f"bench = [\n{hosts}\n]\n")
    return d


def pyinfra_run(net: sshnet.SshNet, d: Path) -> float:
    argv = ["ip", "netns", "exec", net.client, str(VENV_BIN / "pyinfra"), "-y", "--parallel",
            "16", str(d / "inventory.py"), str(d / "deploy.py")]
    return timed(argv, d, dict(os.environ))


def timed(argv: list[str], cwd: Path, env: dict[str, str]) -> float:
    started = time.monotonic()
    proc = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    elapsed = time.monotonic() - started
    if proc.returncode != 0:
        raise RuntimeError(f"{argv[3]} failed ({proc.returncode}):\n{proc.stdout[-3000:]}"
                           f"\n{proc.stderr[-2000:]}")
    return elapsed


# --- on the lab: gateway + lb + vip + storage phases, translated for ansible and pyinfra ---

LAB_PHASES = ("gateway", "lb", "vip", "storage-servers", "storage-pool")
SSH_CONFIG = """Host {gateway}
  User {user}
  IdentityFile {key}
  IdentitiesOnly yes
  StrictHostKeyChecking no
  UserKnownHostsFile /dev/null
Host 192.168.*
  User {user}
  IdentityFile {key}
  IdentitiesOnly yes
  StrictHostKeyChecking no
  UserKnownHostsFile /dev/null
  ProxyJump {user}@{gateway}
"""


def lab_measure(repeat: int, work: Path | None, keep: bool
                ) -> tuple[dict[str, list[float]], int, int]:
    from benchmarks import translate
    from kubeforge.bootstrap import inventory
    from kubeforge.bootstrap.phases import all_phases
    from kubeforge.bootstrap.runner import Selection
    from kubeforge.lab import access, lifecycle, seeds
    from kubeforge.lab.paths import LabPaths
    from kubeforge.provision import lab as provision_lab
    from kubeforge.render import bundle

    work = work or Path(tempfile.mkdtemp(prefix="kft-labbench-"))
    ws = Workspace(None, work / "state")
    plan = seeds.lab_plan(ws.operator_spec())
    paths = LabPaths(cache=LabPaths.default().cache, prefix="kfe", state=work / "lab")
    secrets = ws.secrets()
    ctx = Context(plan, tuple(bundle.render_all(plan, secrets)), secrets,
                  kubernetes_binaries=False)
    try:
        lifecycle.up(plan, seeds.render_seeds(plan), paths, identity=ws.ssh_key_path)
        reach = inventory.from_handoff(plan, provision_lab.handoff(plan, paths))
        phases = [p for p in all_phases() if p.name in ("preflight", "reachable", *LAB_PHASES)]

        def kubeforge(recheck: bool, only: tuple[str, ...] = LAB_PHASES) -> float:
            started = time.monotonic()
            asyncio.run(engine.apply(ctx, reach, ws.state_dir,
                                     Options(recheck=recheck, selection=Selection(only)),
                                     Console(file=io.StringIO()), phases=phases))
            return time.monotonic() - started

        kubeforge(False, tuple(p.name for p in phases))  # converge from nothing
        plans = {p.name: {h: p.plan(ctx, h) for h in p.hosts(ctx)} for p in phases
                 if p.name in LAB_PHASES}
        hosts = sorted({h for by_host in plans.values() for h in by_host})
        ops = sum(len(man.ops) for by_host in plans.values() for man in by_host.values())
        files = work / "files"
        translate.write_files(plans, files)
        cfg = work / "ssh_config"
        cfg.write_text(SSH_CONFIG.format(gateway=access.gateway_address(), user=plan.ssh.user,
                                         key=ws.ssh_key_path))
        netns = access.operator_netns(paths)
        adir = lab_ansible_setup(work, plan, hosts, translate.playbook(plans, files), cfg)
        pdir = lab_pyinfra_setup(work, plan, hosts, translate, plans, files, cfg)
        for warm in (lambda: ansible_run_in(netns, adir), lambda: pyinfra_run_in(netns, pdir)):
            retry(warm)  # untimed: a just-booted lab may still refuse a connection or two
        times: dict[str, list[float]] = {"kubeforge": [], "kubeforge-skip": [], "ansible": [],
                                         "pyinfra": []}
        for i in range(repeat):
            times["kubeforge"].append(kubeforge(True))
            times["kubeforge-skip"].append(kubeforge(False))
            times["ansible"].append(ansible_run_in(netns, adir))
            times["pyinfra"].append(pyinfra_run_in(netns, pdir))
            print(f"round {i + 1}: " + ", ".join(f"{k} {v[-1]:.2f}s" for k, v in times.items()),
                  flush=True)
        return times, len(hosts), ops
    finally:
        stop_masters(work / "ansible", access.operator_netns(paths))
        if not keep:
            lifecycle.down(paths)


def stop_masters(d: Path, netns: str) -> None:
    """End the SSH ControlPersist masters Ansible left (they would outlive the lab)."""
    for sock in d.glob("cp-*/*"):
        subprocess.run(["ip", "netns", "exec", netns, "ssh", "-o", f"ControlPath={sock}",
                        "-O", "exit", "kubeforge-bench"], capture_output=True, check=False)


def retry(run: Any, attempts: int = 3) -> None:
    for attempt in range(attempts):
        try:
            run()
            return
        except RuntimeError:
            if attempt == attempts - 1:
                raise
            time.sleep(5)


def address_of(plan: Any, host: str) -> str:
    from kubeforge.lab import access
    return access.gateway_address() if host == plan.gateway.name else str(
        plan.machine(host).address)


def lab_ansible_setup(work: Path, plan: Any, hosts: list[str], plays: list[dict[str, Any]],
                      cfg: Path) -> Path:
    import yaml
    d = work / "ansible"
    d.mkdir(exist_ok=True)
    (d / "play.yml").write_text(yaml.safe_dump(plays, sort_keys=False))
    # A control-path dir per invocation: a master left from an earlier lab (same addresses,
    # gone machines) would otherwise be reused and hang.
    cp = Path(tempfile.mkdtemp(prefix="cp-", dir=d))
    (d / "ansible.cfg").write_text(ANSIBLE_CFG.replace(
        "-o UserKnownHostsFile=/dev/null", f"-F {cfg}").format(cpdir=cp))
    lines = ["[all]"] + [f"{h} ansible_host={address_of(plan, h)}" for h in hosts]
    (d / "hosts.ini").write_text("\n".join(lines) + "\n")
    return d


def lab_pyinfra_setup(work: Path, plan: Any, hosts: list[str], translate: Any, plans: Any,
                      files: Path, cfg: Path) -> Path:
    d = work / "pyinfra"
    d.mkdir(exist_ok=True)
    translate.pyinfra_deploy(plans, d, files)
    entries = ",\n".join(
        f'    ("{h}", {{"ssh_hostname": "{address_of(plan, h)}", "ssh_config_file": "{cfg}", '
        f'"ssh_user": "{plan.ssh.user}", "_sudo": True, '
        f'"ssh_known_hosts_file": "/dev/null", "ssh_strict_host_key_checking": "off"}})'
        for h in hosts)
    (d / "inventory.py").write_text(f"lab = [\n{entries}\n]\n")
    return d


def ansible_run_in(netns: str, d: Path) -> float:
    env = dict(os.environ, ANSIBLE_CONFIG=str(d / "ansible.cfg"))
    argv = ["ip", "netns", "exec", netns, str(VENV_BIN / "ansible-playbook"), "-i",
            str(d / "hosts.ini"), str(d / "play.yml")]
    return timed(argv, d, env)


def pyinfra_run_in(netns: str, d: Path) -> float:
    argv = ["ip", "netns", "exec", netns, str(VENV_BIN / "pyinfra"), "-y", "--parallel", "16",
            str(d / "inventory.py"), str(d / "deploy.py")]
    return timed(argv, d, dict(os.environ))


# --- run and report ----------------------------------------------------------------------

def same_state(targets: dict[str, ssh.Target]) -> None:
    """All three tools must leave the same files: a benchmark of different work is void."""
    for t in targets.values():
        d = Path(t.root) / "etc/kfbench"
        assert (d / "host.conf").read_text() == template_for(t.name), d
        assert (d / "lines").read_text() == "first line\nsecond line\n", d
        assert oct((d / "d.key").stat().st_mode & 0o777) == "0o600", d
        assert os.readlink(d / "current") == "/etc/kfbench/a.conf", d


def measure(hosts: int, repeat: int) -> dict[str, list[float]]:
    work = Path(tempfile.mkdtemp(prefix="kft-bench-"))
    state = work / "state"
    key = ssh.ensure_key(state)
    net = sshnet.SshNet(work / "net", hosts)
    try:
        targets = {t.name: t for t in net.up(key)}
        ctx = Context(Workspace(state_root=work / "ws").plan(), ())
        adir, pdir = ansible_setup(work, targets, key), pyinfra_setup(work, targets, key)
        kubeforge_run(net, targets, state, ctx, recheck=True)  # converge
        ansible_run(net, adir)
        pyinfra_run(net, pdir)
        same_state(targets)
        times: dict[str, list[float]] = {"kubeforge": [], "kubeforge-skip": [], "ansible": [],
                                         "pyinfra": []}
        for i in range(repeat):
            times["kubeforge"].append(kubeforge_run(net, targets, state, ctx, recheck=True))
            times["kubeforge-skip"].append(kubeforge_run(net, targets, state, ctx, False))
            times["ansible"].append(ansible_run(net, adir))
            times["pyinfra"].append(pyinfra_run(net, pdir))
            print(f"round {i + 1}: " + ", ".join(f"{k} {v[-1]:.2f}s" for k, v in times.items()),
                  flush=True)
        same_state(targets)
        return times
    finally:
        stop_masters(work / "ansible", net.client)
        net.down()


FIXTURE_INTRO = ("{hosts} sshd hosts in network namespaces (`kft-*`), the same 10 idempotent "
                 "operations per host (4 files, one 0600, a template, a directory, two lines, "
                 "a symlink, a guarded command)")
LAB_INTRO = ("the lab's {hosts} machines (nspawn, reached through the gateway by ProxyJump), the "
             "gateway, lb, vip, storage-servers and storage-pool phases: {ops} operations in "
             "all, translated op for op into an Ansible playbook and a pyinfra deploy "
             "(`benchmarks/translate.py`)")


def report(times: dict[str, list[float]], heading: str, setup: str) -> str:
    kf = statistics.median(times["kubeforge"])
    intro = (f"Measured by `benchmarks/reapply.py` on this machine ({os.cpu_count()} cores): "
             f"{setup}; second run with nothing to change. Median of "
             f"{len(times['kubeforge'])} runs; each round runs the four back to back. Load "
             f"average at the end: {os.getloadavg()[0]:.1f} (the host is shared with other "
             "jobs: compare within a round).")
    lines = [heading, "", intro, "",
             "| tool | median (s) | runs (s) | vs kubeforge |", "|---|---|---|---|"]
    names = {"kubeforge": "kubeforge (`--recheck`: one check exec per host and phase)",
             "kubeforge-skip": "kubeforge default (inputs unchanged: skipped from state)",
             "ansible": "ansible-playbook (pipelining + ControlPersist)",
             "pyinfra": "pyinfra"}
    for key, label in names.items():
        med = statistics.median(times[key])
        runs = ", ".join(f"{t:.2f}" for t in times[key])
        lines.append(f"| {label} | {med:.2f} | {runs} | {med / kf:.2f}× |")
    ratios = (f"Ansible / kubeforge: **{statistics.median(times['ansible']) / kf:.1f}×** "
              f"(target ≥ 10×); pyinfra / kubeforge: "
              f"**{statistics.median(times['pyinfra']) / kf:.1f}×** (target ≥ 5×).")
    lines += ["", ratios, ""]
    return "\n".join(lines)


def write_docs(section: str, marker: str) -> None:
    """Replace only our marked section; other sections of docs/benchmarks.md are others'."""
    start, end = f"<!-- {marker}:start -->", f"<!-- {marker}:end -->"
    block = f"{start}\n{section.rstrip()}\n{end}\n"
    text = DOCS.read_text() if DOCS.exists() else "# Benchmarks\n\n"
    if start in text and end in text:
        text = text[:text.index(start)] + block + text[text.index(end) + len(end) + 1:]
    else:
        text = text.rstrip("\n") + "\n\n" + block
    DOCS.write_text(text)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hosts", type=int, default=8)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--lab", action="store_true", help="on a lab (prefix kfe) instead")
    parser.add_argument("--work", type=Path, help="lab mode: reuse this work dir (and its lab)")
    parser.add_argument("--keep", action="store_true", help="lab mode: leave the lab up")
    parser.add_argument("--write-docs", action="store_true")
    args = parser.parse_args()
    if not sshnet.available():
        sys.exit("needs root and /usr/sbin/sshd (apt install openssh-server)")
    if args.lab:
        times, hosts, ops = lab_measure(args.repeat, args.work, args.keep)
        section = report(times, LAB_HEADING, LAB_INTRO.format(hosts=hosts, ops=ops))
        marker = "reapply-lab"
    else:
        times = measure(args.hosts, args.repeat)
        section = report(times, HEADING, FIXTURE_INTRO.format(hosts=args.hosts))
        marker = "reapply"
    print(section)
    if args.write_docs:
        write_docs(section, marker)


if __name__ == "__main__":
    main()
