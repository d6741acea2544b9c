"""Lab pieces that need no root: packages, SSH argv, the record, process identity."""

from __future__ import annotations

import os
import socket
import ssl
import subprocess
import threading
from pathlib import Path

import pytest

from kubeforge.errors import LabError
from kubeforge.lab import access, base, cgroup, leftovers, lifecycle, machine, standin_server
from kubeforge.lab.paths import LabPaths
from kubeforge.lab.record import Made, Record
from kubeforge.plan import packages
from kubeforge.plan.build import build_plan
from kubeforge.spec import default


def test_base_tree_holds_every_role_package() -> None:
    wanted = set(base.role_packages())
    for group in (*packages.ROLE.values(), *packages.VIP_MANAGER.values(), packages.BASE):
        assert set(group) <= wanted
    assert "cloud-init" in wanted


def test_ssh_to_internal_machines_jumps_through_the_gateway(tmp_path: Path) -> None:
    plan = build_plan(default.default_spec())
    paths = LabPaths(cache=tmp_path, state=tmp_path / "state")
    key = tmp_path / "id"
    gateway = access.route(plan, plan.gateway.name, key, paths)
    master = access.route(plan, "kube-mast01", key, paths)
    assert gateway.jump is None and gateway.address == "10.0.2.15"
    argv = master.ssh_argv(["hostname"])
    assert argv[:4] == ["ip", "netns", "exec", "kf-operator"]
    proxy = next(a for a in argv if a.startswith("ProxyCommand="))
    assert "-W %h:%p" in proxy and f"-i {key}" in proxy and proxy.endswith("debian@10.0.2.15")
    assert argv[-2:] == [f"debian@{plan.machine('kube-mast01').address}", "hostname"]


def test_record_survives_a_reload(tmp_path: Path) -> None:
    record = Record(tmp_path / "lab.json", "trixie")
    record.add(Made("netns", "kf-switch"))
    record.add(Made("process", "nspawn:a", 123, "--machine=kf-a"))
    loaded = Record.load(tmp_path / "lab.json")
    assert loaded.made == record.made and loaded.release == "trixie"
    assert loaded.process("nspawn:a") == Made("process", "nspawn:a", 123, "--machine=kf-a")


def test_a_reused_pid_is_not_taken_for_a_lab_process() -> None:
    me = os.getpid()
    assert machine.alive(Made("process", "self", me, "python"))
    assert not machine.alive(Made("process", "self", me, "--machine=kf-not-this-one"))


def test_lab_commands_say_they_need_root(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    plan = build_plan(default.default_spec())
    paths = LabPaths(cache=tmp_path, state=tmp_path / "state")
    with pytest.raises(LabError, match="needs root.*sudo kubeforge lab"):
        lifecycle.up(plan, {}, paths, identity=tmp_path / "no-key")
    with pytest.raises(LabError, match="needs root"):
        lifecycle.down(paths)


def test_down_removes_only_an_empty_runtime_dir_of_its_own_machine(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A SIGKILLed nspawn leaves /run/systemd/nspawn/propagate/<machine>: `down` removes that
    empty dir of its own machine, and nothing of another machine or anything not empty."""
    monkeypatch.setattr(leftovers, "NSPAWN_RUNTIME", tmp_path)
    for name in ("kfx-kube-gate01", "kfx-kube-mast01", "kfy-kube-gate01"):
        (tmp_path / name).mkdir()
    (tmp_path / "kfx-kube-mast01" / "incoming").mkdir()
    lifecycle._forget_nspawn_runtime(Made("process", "nspawn:kube-gate01", 1, "--machine=kfx-kube-gate01"))
    lifecycle._forget_nspawn_runtime(Made("process", "nspawn:kube-mast01", 2, "--machine=kfx-kube-mast01"))
    lifecycle._forget_nspawn_runtime(Made("process", "dnsmasq", 3, "kfx-internet"))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["kfx-kube-mast01", "kfy-kube-gate01"]


def test_inotify_limit_grows_with_the_lab_and_is_never_lowered(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    limit = tmp_path / "max_user_instances"
    monkeypatch.setattr(lifecycle, "INOTIFY_INSTANCES", limit)
    limit.write_text("128\n")
    lifecycle._raise_inotify_limit(109)  # the 100-worker lab: 1024 would not do beside others
    assert int(limit.read_text()) >= 1024 + 8 * 109
    limit.write_text("100000\n")
    lifecycle._raise_inotify_limit(12)
    assert limit.read_text() == "100000\n"


def test_a_machine_process_moves_itself_into_its_cgroup_before_it_runs(tmp_path: Path) -> None:
    """The wrapper writes its own PID to `cgroup.procs` (here a plain directory stands in for
    the cgroup, so the write lands in a file) and then becomes the machine's argv."""
    argv = cgroup.started_in(tmp_path, ["sh", "-c", "echo $$ > pid-after-exec"])
    subprocess.run(argv, cwd=tmp_path, check=True)
    moved = (tmp_path / "cgroup.procs").read_text().strip()
    assert moved == (tmp_path / "pid-after-exec").read_text().strip()  # exec: the same PID
    assert cgroup.for_machine("kf-kube-node01").name == "kf-kube-node01.kubeforge-lab"


def test_the_standin_answers_while_a_client_hangs_mid_handshake(tmp_path: Path) -> None:
    """A client that connects and goes silent (its balancer lost power mid health check) must
    not stop the stand-in answering everyone else (it once did: handshakes in the accept loop)."""
    key, cert = tmp_path / "tls.key", tmp_path / "tls.crt"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:prime256v1", "-nodes", "-subj", "/CN=standin",
                    "-days", "1", "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server = standin_server.Server(context, ("127.0.0.1", 0))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    port = server.server_address[1]
    try:
        silent = socket.create_connection(("127.0.0.1", port))  # never says a word
        client = ssl.create_default_context()
        client.check_hostname, client.verify_mode = False, ssl.CERT_NONE
        with socket.create_connection(("127.0.0.1", port), timeout=5) as raw, \
                client.wrap_socket(raw) as tls:
            tls.sendall(b"GET /healthz HTTP/1.0\r\n\r\n")
            assert tls.recv(4096).startswith(b"HTTP/1.0 200")
        silent.close()
    finally:
        server.shutdown()
        server.server_close()
