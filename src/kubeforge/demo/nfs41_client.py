"""A userspace NFSv4.1 client for the lab (a test tool, never installed on a real machine): the
lab's host kernel has no NFS client, and Debian's libnfs (5.0.2 in trixie) speaks NFSv3 and
NFSv4.0 only, while the export allows 4.1 and 4.2 (docs/storage.md). Stdlib only, sent on
stdin to a lab machine's python3, like the other demo programs.

It speaks what a pod's kernel mount speaks through the storage VIP: ONC RPC over one TCP
connection to port 2049, AUTH_SYS, one session (EXCHANGE_ID, CREATE_SESSION, RECLAIM_COMPLETE),
slot 0. It recovers as the kernel client does: a reset connection is reopened (the VIP's new
holder answers the old connection's retransmission with a reset), a session or state the
server does not know is established again and the file re-opened, and the interrupted request
is sent again (writes go to explicit offsets, so a repeat is harmless). Like the kernel's
default `timeo=600` over TCP, it does not time a request out before 60 s: TCP notices the move
(a ping every RENEW_S while a reply is outstanding stands in for the kernel's lease renewal).

    python3 - write SERVER DIR NAME SECONDS INTERVAL   # 4 KiB FILE_SYNC writes, appended
    python3 - fill SERVER DIR NAME MIB                 # 256 KiB writes until refused or MIB
    python3 - verify SERVER DIR NAME BYTES             # read back, compare with the pattern
    python3 - remove SERVER DIR NAME
    python3 - lookup SERVER DIR -                      # does SERVER serve DIR?
DIR is the path below the server's pseudo root (e.g. kube/kf-nfs). Each prints one JSON object;
`write` first prints a line READY once its session and open are made, so that a fault can
wait for the timed writes.
"""

from __future__ import annotations

import collections
import json
import os
import select
import socket
import struct
import sys
import time
from collections.abc import Callable
from typing import Any

PORT = 2049
PROGRAM, VERSION, COMPOUND = 100003, 4, 1
UID = GID = 1000  # a pod's user: the export squashes root on the workers
RPC_TIMEOUT_S = 60.0  # the kernel's timeo=600 over TCP
READY = "writing"
# A request whose bytes the old holder acknowledged before it died leaves nothing to
# retransmit: TCP would wait for the reply in silence. The kernel client renews its lease
# (a SEQUENCE every ~2/3 of the 10 s lease) meanwhile, and that renewal's bytes meet the new
# holder's reset. This client sends an RPC NULL on the connection after each RENEW_S without
# a reply instead: the same bytes for TCP, no session slot needed.
RENEW_S = 6.0
BLOCK = 4096

# Operations (RFC 8881, section 18).
CLOSE, GETATTR, GETFH, LOOKUP, OPEN, PUTFH, PUTROOTFH, READ, REMOVE, WRITE = (
    4, 9, 10, 15, 18, 22, 24, 25, 28, 38)
EXCHANGE_ID, CREATE_SESSION, SEQUENCE, RECLAIM_COMPLETE = 42, 43, 53, 58
FILE_SYNC = 2
# Errors (RFC 8881, section 15).
ERRORS = {28: "NFS4ERR_NOSPC", 69: "NFS4ERR_DQUOT", 10008: "NFS4ERR_DELAY",
          10011: "NFS4ERR_EXPIRED", 10013: "NFS4ERR_GRACE", 10022: "NFS4ERR_STALE_CLIENTID",
          10023: "NFS4ERR_STALE_STATEID", 10024: "NFS4ERR_OLD_STATEID",
          10025: "NFS4ERR_BAD_STATEID", 10052: "NFS4ERR_BADSESSION",
          10054: "NFS4ERR_COMPLETE_ALREADY", 10063: "NFS4ERR_SEQ_MISORDERED",
          10068: "NFS4ERR_RETRY_UNCACHED_REP", 10078: "NFS4ERR_DEADSESSION",
          10021: "NFS4ERR_MINOR_VERS_MISMATCH", 13: "NFS4ERR_ACCESS", 2: "NFS4ERR_NOENT"}
SESSION_LOST = {10011, 10022, 10052, 10063, 10078}  # a new client id and session
STATE_LOST = {10023, 10024, 10025}  # the open is gone: open again
TRY_AGAIN = {10008, 10013, 10068}


class Nfs4Error(Exception):
    def __init__(self, status: int, op: int) -> None:
        super().__init__(f"{ERRORS.get(status, status)} (operation {op})")
        self.status, self.op = status, op

    @property
    def name(self) -> str:
        return ERRORS.get(self.status, str(self.status))


class Packer:
    def __init__(self) -> None:
        self.parts: list[bytes] = []

    def u32(self, value: int) -> Packer:
        self.parts.append(struct.pack(">I", value))
        return self

    def u64(self, value: int) -> Packer:
        self.parts.append(struct.pack(">Q", value))
        return self

    def fixed(self, data: bytes) -> Packer:
        self.parts.append(data + b"\0" * (-len(data) % 4))
        return self

    def opaque(self, data: bytes) -> Packer:
        return self.u32(len(data)).fixed(data)

    def bytes(self) -> bytes:
        return b"".join(self.parts)


class Unpacker:
    def __init__(self, data: bytes) -> None:
        self.data, self.pos = data, 0

    def fixed(self, size: int) -> bytes:
        out = self.data[self.pos:self.pos + size]
        self.pos += size + (-size % 4)
        return out

    def u32(self) -> int:
        return int(struct.unpack(">I", self.fixed(4))[0])

    def u64(self) -> int:
        return int(struct.unpack(">Q", self.fixed(8))[0])

    def opaque(self) -> bytes:
        return self.fixed(self.u32())

    def words(self) -> list[int]:
        return [self.u32() for _ in range(self.u32())]


def op(number: int, body: Packer | None = None) -> bytes:
    return Packer().u32(number).bytes() + (body.bytes() if body else b"")


def _open_result(u: Unpacker) -> bytes:
    stateid = u.fixed(16)
    u.fixed(20)  # change_info4
    u.u32()  # rflags
    u.words()  # attrset
    kind = u.u32()
    if kind == 3:  # OPEN_DELEGATE_NONE_EXT: why, and a bool for contention/resource
        if u.u32() in (1, 2):
            u.u32()
    elif kind != 0:  # a read/write delegation needs a callback channel this client lacks
        raise RuntimeError(f"the server granted delegation type {kind}; none was asked for")
    return stateid


def _read_result(u: Unpacker) -> tuple[bool, bytes]:
    eof = bool(u.u32())
    return eof, u.opaque()


def _size_result(u: Unpacker) -> int:
    u.words()
    return Unpacker(u.opaque()).u64()


# How to read each operation's result (the ones this client sends). EXCHANGE_ID and
# CREATE_SESSION are read only as far as needed: each is alone in its compound.
RESULTS: dict[int, Callable[[Unpacker], Any]] = {
    SEQUENCE: lambda u: u.fixed(36), PUTROOTFH: lambda u: None, PUTFH: lambda u: None,
    LOOKUP: lambda u: None, GETFH: lambda u: u.opaque(), OPEN: _open_result,
    WRITE: lambda u: (u.u32(), u.u32(), u.fixed(8))[0], READ: _read_result,
    CLOSE: lambda u: u.fixed(16), REMOVE: lambda u: u.fixed(20), GETATTR: _size_result, RECLAIM_COMPLETE: lambda u: None,
    EXCHANGE_ID: lambda u: (u.u64(), u.u32()), CREATE_SESSION: lambda u: u.fixed(16),
}


class Connection:
    """ONC RPC calls over one TCP connection (record marking, AUTH_SYS)."""

    def __init__(self, server: str) -> None:
        self.sock = socket.create_connection((server, PORT), timeout=5)
        self.sock.settimeout(RPC_TIMEOUT_S)
        self.xid = int.from_bytes(os.urandom(4), "big")

    def call(self, ops: list[bytes]) -> Unpacker:
        self.xid = (self.xid + 1) % 2**32
        body = Packer().opaque(b"").u32(1).u32(len(ops)).bytes() + b"".join(ops)
        self._send(self._header(self.xid, COMPOUND) + body)
        waited = 0.0
        while True:  # replies to an earlier, abandoned call (or to a ping) are skipped
            if not select.select([self.sock], [], [], RENEW_S)[0]:
                waited += RENEW_S
                if waited >= RPC_TIMEOUT_S:
                    raise TimeoutError(f"no reply in {RPC_TIMEOUT_S:.0f} s")
                self._send(self._header(self.xid ^ 0x80000000, 0))  # NULL: see RENEW_S
                continue
            reply = Unpacker(self._record())
            if reply.u32() == self.xid:
                return self._accepted(reply)

    def _send(self, message: bytes) -> None:
        self.sock.sendall(struct.pack(">I", 0x80000000 | len(message)) + message)

    @staticmethod
    def _header(xid: int, procedure: int) -> bytes:
        cred = (Packer().u32(int(time.time())).opaque(socket.gethostname().encode())
                .u32(UID).u32(GID).u32(1).u32(GID).bytes())
        return (Packer().u32(xid).u32(0).u32(2).u32(PROGRAM).u32(VERSION).u32(procedure)
                .u32(1).opaque(cred).u32(0).opaque(b"").bytes())

    def _record(self) -> bytes:
        data, last = b"", False
        while not last:
            (mark,) = struct.unpack(">I", self._exactly(4))
            last, data = bool(mark & 0x80000000), data + self._exactly(mark & 0x7FFFFFFF)
        return data

    def _exactly(self, size: int) -> bytes:
        chunks, left = [], size
        while left:
            chunk = self.sock.recv(left)
            if not chunk:
                raise ConnectionResetError("the server closed the connection")
            chunks.append(chunk)
            left -= len(chunk)
        return b"".join(chunks)

    @staticmethod
    def _accepted(reply: Unpacker) -> Unpacker:
        kind, stat = reply.u32(), reply.u32()  # REPLY, MSG_ACCEPTED
        if kind != 1 or stat != 0:
            raise ConnectionError(f"RPC call denied (reply_stat {stat})")
        reply.u32()
        reply.opaque()  # verifier
        if (accept := reply.u32()) != 0:
            raise ConnectionError(f"RPC call not accepted (accept_stat {accept})")
        return reply


class Client:
    """One NFSv4.1 client with one open file, recovering from a moved server (module doc)."""

    def __init__(self, server: str, directory: str, name: str, create: bool) -> None:
        self.server, self.path, self.name = server, directory.strip("/").split("/"), name
        self.owner = f"kubeforge-lab-nfs41/{socket.gethostname()}/{os.getpid()}".encode()
        self.verifier = os.urandom(8)
        self.conn: Connection | None = None
        self.session, self.seq, self.clientid = b"", 1, 0
        self.fh, self.stateid, self.create = b"", b"", create
        self.lost = {"session": True, "open": True}  # what must be (re)established first
        self.events: dict[str, int] = {"reconnects": 0, "sessions": 0, "opens": 0}
        self.started = time.monotonic()
        self.log: collections.deque[str] = collections.deque(maxlen=12)  # the latest events

    def note(self, what: str) -> None:
        self.log.append(f"{time.monotonic() - self.started:.2f} {what}")

    def compound(self, ops: list[bytes]) -> list[Any]:
        """Send one COMPOUND on the current connection; the results of its operations."""
        if self.conn is None:
            self.conn = Connection(self.server)
        reply = self.conn.call(ops)
        status, results = reply.u32(), []
        reply.opaque()  # tag
        for _ in range(reply.u32()):
            number, op_status = reply.u32(), reply.u32()
            if op_status:
                raise Nfs4Error(op_status, number)
            results.append(RESULTS[number](reply))
            if number == SEQUENCE:
                self.seq += 1  # the slot moved on, whatever the later operations say
        if status:
            raise Nfs4Error(status, -1)
        return results

    def sequence(self) -> bytes:
        # Not cached by the server (cachethis false): a repeated request runs again, which
        # every request of this client allows (writes at explicit offsets).
        return op(SEQUENCE, Packer().fixed(self.session).u32(self.seq).u32(0).u32(0).u32(0))

    def call(self, build: Callable[[], list[bytes]], deadline_s: float = RPC_TIMEOUT_S) -> list[Any]:
        """`build()`'s operations after SEQUENCE, until answered or `deadline_s` passed."""
        deadline = time.monotonic() + deadline_s
        while True:
            try:
                self._restore()
                return self.compound([self.sequence(), *build()])[1:]
            except (OSError, ConnectionError) as exc:
                self._lost_connection(exc, deadline)
            except Nfs4Error as exc:
                self._recover(exc, deadline)

    def _restore(self) -> None:
        if self.lost["session"]:
            self.establish()
            self.lost["session"] = False
        if self.lost["open"]:
            self.open()
            self.lost["open"] = False

    def _lost_connection(self, exc: Exception, deadline: float) -> None:
        if self.conn is not None:
            self.conn.sock.close()
            self.conn = None
        if time.monotonic() > deadline:
            raise TimeoutError(f"no answer from {self.server} ({exc})") from exc
        self.events["reconnects"] += 1
        self.note(f"connection lost: {exc}")
        time.sleep(0.05)

    def _recover(self, exc: Nfs4Error, deadline: float) -> None:
        self.note(exc.name)
        if time.monotonic() > deadline or exc.status not in SESSION_LOST | STATE_LOST | TRY_AGAIN:
            raise exc
        if exc.status == 10068:  # NFS4ERR_RETRY_UNCACHED_REP: the slot had moved on
            self.seq += 1
        elif exc.status in TRY_AGAIN:
            time.sleep(0.1)
        self.lost["session"] |= exc.status in SESSION_LOST
        self.lost["open"] |= exc.status in SESSION_LOST | STATE_LOST

    def establish(self) -> None:
        """A client id and a session (what the kernel does after its server forgot it)."""
        exchange = (Packer().fixed(self.verifier).opaque(self.owner).u32(0).u32(0).u32(0))
        [(self.clientid, seq)] = self.compound([op(EXCHANGE_ID, exchange)])
        fore = Packer().u32(0).u32(1049620).u32(1049480).u32(4096).u32(16).u32(1).u32(0)
        back = Packer().u32(0).u32(4096).u32(4096).u32(0).u32(2).u32(1).u32(0)
        create = (Packer().u64(self.clientid).u32(seq).u32(0).fixed(fore.bytes())
                  .fixed(back.bytes()).u32(0x40000000).u32(1).u32(0))  # cb: AUTH_NONE
        [self.session] = self.compound([op(CREATE_SESSION, create)])
        self.seq = 1
        self.events["sessions"] += 1
        self.note("new session")
        try:  # nothing to reclaim: lets the server accept new opens at once
            self.compound([self.sequence(), op(RECLAIM_COMPLETE, Packer().u32(0))])
        except Nfs4Error as exc:
            if exc.status != 10054:  # NFS4ERR_COMPLETE_ALREADY
                raise

    def directory(self) -> list[bytes]:
        return [op(PUTROOTFH), *(op(LOOKUP, Packer().opaque(p.encode())) for p in self.path)]

    def open(self) -> None:
        """OPEN by name below the pseudo root (created, mode 0644, on the first open)."""
        owner = Packer().u64(self.clientid).opaque(b"kubeforge-lab-writer")
        how = (Packer().u32(1).u32(0).u32(2).u32(0).u32(2).u32(4).u32(0o644) if self.create
               else Packer().u32(0))  # OPEN4_CREATE UNCHECKED4 {mode} / OPEN4_NOCREATE
        body = (Packer().u32(0).u32(3).u32(0).fixed(owner.bytes()).fixed(how.bytes())
                .u32(0).opaque(self.name.encode()))  # share both, deny none; CLAIM_NULL
        results = self.compound([self.sequence(), *self.directory(), op(OPEN, body), op(GETFH)])
        self.stateid, self.fh, self.create = results[-2], results[-1], False
        self.events["opens"] += 1

    def on_file(self, build: Callable[[], bytes]) -> Any:
        """One operation on the open file (built per attempt: a re-open changes the stateid)."""
        return self.call(lambda: [op(PUTFH, Packer().opaque(self.fh)), build()])[1]

    def write(self, offset: int, data: bytes) -> int:
        return int(self.on_file(lambda: op(WRITE, Packer().fixed(self.stateid).u64(offset)
                                           .u32(FILE_SYNC).opaque(data))))

    def read(self, offset: int, count: int) -> bytes:
        return bytes(self.on_file(lambda: op(READ, Packer().fixed(self.stateid).u64(offset)
                                             .u32(count)))[1])

    def size(self) -> int:
        return int(self.on_file(lambda: op(GETATTR, Packer().u32(1).u32(1 << 4))))  # SIZE

    def close(self) -> None:
        self.on_file(lambda: op(CLOSE, Packer().u32(0).fixed(self.stateid)))

    def remove(self) -> None:
        self.close()
        self.call(lambda: [*self.directory(), op(REMOVE, Packer().opaque(self.name.encode()))])


def block(offset: int, size: int = BLOCK) -> bytes:
    """The content at `offset`: every 8 bytes hold their own block number (a block that lands
    at the wrong offset, or twice, shows)."""
    return struct.pack(">Q", offset // BLOCK) * (size // 8)


def write(server: str, directory: str, name: str, seconds: float,
          interval: float) -> dict[str, Any]:
    client = Client(server, directory, name, create=True)
    client.call(list)  # session and open before the clock starts
    print(READY, flush=True)
    written, errors, longest, names, story = 0, 0, 0.0, [], list[str]()
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        started = time.monotonic()
        client.note("write")
        try:
            if client.write(written, block(written)) != BLOCK:
                raise OSError("short write")
            written += BLOCK
        except (OSError, Nfs4Error, RuntimeError) as exc:
            errors += 1
            names.append(str(exc))
        took = time.monotonic() - started
        if took > longest:  # what the longest write went through
            longest, story = took, [*client.log, f"(that write took {took:.2f} s)"]
        time.sleep(interval)
    client.close()
    return {"longest_s": round(longest, 2), "written": written, "errors": errors,
            "error_names": names[:5], "nfs_version": "4.1", **client.events,
            "longest_story": story}


def fill(server: str, directory: str, name: str, mib: int) -> dict[str, Any]:
    """Write 256 KiB chunks up to `mib` MiB; stop at the first refusal (a quota's)."""
    client = Client(server, directory, name, create=True)
    written, chunk = 0, 256 * 1024
    try:
        while written < mib * 2**20:
            written += client.write(written, block(written, chunk))
    except Nfs4Error as exc:
        return {"written": written, "error": exc.name}
    client.close()
    return {"written": written, "error": None}


def verify(server: str, directory: str, name: str, expected: int) -> dict[str, Any]:
    """Read the file back through the server; count bytes of [0, expected) that differ."""
    client = Client(server, directory, name, create=False)
    wrong, offset, chunk = 0, 0, 64 * 1024
    while offset < expected:
        data = client.read(offset, chunk)
        want = b"".join(block(o) for o in range(offset, offset + chunk, BLOCK))
        want = want[:min(chunk, expected - offset)]
        wrong += sum(a != b for a, b in zip(data, want)) + max(0, len(want) - len(data))
        offset += chunk
    size = client.size()
    client.close()
    return {"size": size, "wrong_bytes": wrong, **client.events}


def remove(server: str, directory: str, name: str) -> dict[str, Any]:
    Client(server, directory, name, create=False).remove()
    return {"removed": name}


def lookup(server: str, directory: str) -> dict[str, Any]:
    """A new session on `server` and the directory looked up: NFS4ERR_NOENT from a Ganesha
    that has no export, a refused connection from one that is not running."""
    client = Client(server, directory, "-", create=False)
    try:
        client.establish()
        client.compound([client.sequence(), *client.directory(), op(GETFH)])
    except Nfs4Error as exc:
        return {"served": False, "error": exc.name}
    except OSError as exc:
        return {"served": False, "error": str(exc)}
    return {"served": True, "error": None}


def main(argv: list[str]) -> dict[str, Any]:
    mode, server, directory, name = argv[:4]
    if mode == "lookup":
        return lookup(server, directory)
    if mode == "remove":
        return remove(server, directory, name)
    if mode == "write":
        return write(server, directory, name, float(argv[4]), float(argv[5]))
    if mode == "fill":
        return fill(server, directory, name, int(argv[4]))
    return verify(server, directory, name, int(argv[4]))


if __name__ == "__main__":
    print(json.dumps(main(sys.argv[1:])))
