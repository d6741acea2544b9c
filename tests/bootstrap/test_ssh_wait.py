"""The engine waits for booting machines: which connect errors are retried (and which never),
the per-host deadline, what it tells the user, and failure messages that name the cause."""

from __future__ import annotations

import asyncio
import errno
import time
from pathlib import Path
from typing import Any

import asyncssh
import pytest

from kubeforge import errors
from kubeforge.bootstrap import ssh
from kubeforge.bootstrap.phases.base import Phase
from kubeforge.bootstrap.runner import NO_COMMAND, HostReport, failure_message
from kubeforge.bootstrap.session import Failure

BOOTING = ("System is booting up. Unprivileged users are not permitted to log in yet. Please "
           "come back later. For technical details, see pam_nologin(8).")


@pytest.mark.parametrize(("exc", "banners", "says"), [
    (ConnectionRefusedError(errno.ECONNREFUSED, "Connection refused"), [], "connection refused"),
    (TimeoutError(), [], "connect timeout"),
    (OSError(errno.EHOSTUNREACH, "No route to host"), [], "No route to host"),
    (asyncssh.ConnectionLost("Connection lost"), [], "connection lost during the SSH handshake"),
    (asyncssh.DisconnectError(asyncssh.DISC_BY_APPLICATION, "closed by peer"), [],
     "connection lost"),
    (asyncssh.ChannelOpenError(asyncssh.OPEN_CONNECT_FAILED, "Connection refused"), [],
     "kube-gate01 cannot reach it yet: Connection refused"),
    (asyncssh.ConnectionLost("Connection lost"), [BOOTING], "System is booting up"),
    (asyncssh.PermissionDenied("Permission denied"), [BOOTING], "System is booting up"),
])
def test_what_a_booting_machine_answers_is_retried(
    exc: BaseException, banners: list[str], says: str
) -> None:
    reason = ssh.still_booting(exc, banners, jump="kube-gate01")
    assert reason is not None and says in reason


@pytest.mark.parametrize("exc", [
    asyncssh.PermissionDenied("Permission denied"),
    asyncssh.HostKeyNotVerifiable("Host key is not trusted"),
    asyncssh.KeyExchangeFailed("No matching key exchange algorithm"),
    asyncssh.ProtocolError("Invalid packet"),
    ValueError("a bug"),
])
def test_what_waiting_cannot_fix_is_never_retried(exc: BaseException) -> None:
    assert ssh.still_booting(exc, []) is None


class Script:
    """Stands in for the network (`Connector._dial`): raises the scripted errors in turn."""

    def __init__(self, *answers: BaseException | str) -> None:
        self.answers, self.calls = list(answers), 0

    async def __call__(self, *args: Any) -> Any:
        self.calls += 1
        answer = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        if isinstance(answer, BaseException):
            raise answer
        return FakeConn()


class FakeConn:
    def get_server_host_key(self) -> None:
        return None

    def is_closed(self) -> bool:
        return False


def _connector(tmp_path: Path, script: Script, wait: float,
               notices: list[tuple[str, str, float]]) -> ssh.Connector:
    target = ssh.Target("kube-mast01", "192.168.1.201", jump=None, user="debian")
    connector = ssh.Connector(tmp_path, {target.name: target}, reach_wait=wait,
                              on_wait=lambda *notice: notices.append(notice))
    connector._dial = script  # type: ignore[method-assign]
    return connector


def test_booting_machine_is_waited_for_and_each_reason_told_once(tmp_path: Path) -> None:
    refused = ConnectionRefusedError(errno.ECONNREFUSED, "Connection refused")
    script = Script(refused, refused, asyncssh.ConnectionLost("lost"), "connected")
    notices: list[tuple[str, str, float]] = []
    conn = asyncio.run(_connector(tmp_path, script, 60, notices).connection("kube-mast01"))
    assert isinstance(conn, FakeConn) and script.calls == 4
    assert [(host, reason.split(" (")[0]) for host, reason, _ in notices] == [
        ("kube-mast01", "connection refused"),
        ("kube-mast01", "connection lost during the SSH handshake")]
    assert all(0 < left <= 60 for _, _, left in notices)


def test_deadline_is_respected_and_the_error_names_the_real_cause(tmp_path: Path) -> None:
    script = Script(ConnectionRefusedError(errno.ECONNREFUSED, "Connection refused"))
    started = time.monotonic()
    with pytest.raises(errors.ApplyError) as raised:
        asyncio.run(_connector(tmp_path, script, 2.0, []).connection("kube-mast01"))
    assert 1.0 < time.monotonic() - started < 5.0 and script.calls >= 2
    message = str(raised.value)
    assert "still not ready after 2 s: connection refused" in message
    assert "--wait-for-hosts" in message and "exited" not in message


def test_refused_key_fails_at_once_naming_the_key(tmp_path: Path) -> None:
    script = Script(asyncssh.PermissionDenied("Permission denied"))
    with pytest.raises(errors.ApplyError, match=r"refused the kubeforge key.*id_ed25519\.pub"):
        asyncio.run(_connector(tmp_path, script, 60, []).connection("kube-mast01"))
    assert script.calls == 1


def test_changed_host_key_fails_at_once(tmp_path: Path) -> None:
    script = Script(asyncssh.HostKeyNotVerifiable("Host key is not trusted"))
    with pytest.raises(errors.ApplyError, match="not the one pinned"):
        asyncio.run(_connector(tmp_path, script, 60, []).connection("kube-mast01"))
    assert script.calls == 1


class _Phase(Phase):
    name = "reachable"


def test_failure_message_names_the_cause_not_an_ssh_exit_status() -> None:
    cause = "kube-mast01: cannot SSH to debian@192.168.1.201:22 via kube-gate01: still not " \
            "ready after 120 s: logins refused while it boots: System is booting up."
    unreachable = HostReport("kube-mast01", "failed",
                             failure=Failure("kube-mast01", "", NO_COMMAND, cause))
    command = HostReport("kube-gate01", "failed",
                         failure=Failure("kube-gate01", "dnsmasq --test", 1, "bad option\n"))
    text = failure_message(_Phase(), [unreachable, command])
    assert "exited 255" not in text and "`ssh`" not in text
    assert "  kube-mast01: cannot SSH to debian@192.168.1.201:22 via kube-gate01: still not" in text
    assert "  kube-gate01: `dnsmasq --test` exited 1\n    | bad option" in text


def test_waiting_is_printed_through_the_engine_output() -> None:
    import io

    from rich.console import Console

    from kubeforge.bootstrap.hostlog import Redactor
    from kubeforge.bootstrap.output import RichReporter

    out = io.StringIO()
    RichReporter(Console(file=out, width=200, color_system=None), Redactor([])).waiting(
        "kube-mast01", "connection refused (sshd is not listening yet)", 97.4)
    assert out.getvalue().strip() == ("… waiting for kube-mast01: connection refused (sshd is "
                                      "not listening yet) (giving up in 97 s)")
