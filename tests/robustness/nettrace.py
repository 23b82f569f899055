"""Running a program under strace and reading what it tried on the network.

Every ``connect``, ``sendto``/``sendmsg``/``sendmmsg`` and ``bind`` of the program and its
threads and children is logged. A DNS query (anything to port 53, a local resolver included)
or a connection to an address outside loopback is a leak. An empty trace - strace that saw
nothing, not even the program start - fails too, so a broken tracer cannot pass for silence.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

STRACE = shutil.which("strace") or "/usr/bin/strace"
TRACED = "connect,sendto,sendmsg,sendmmsg,bind,execve"

_INET = re.compile(r"sa_family=AF_INET6?, sin6?_port=htons\((\d+)\)[^}]*?"
                   r"(?:inet_addr\(\"([^\"]+)\"\)|inet_pton\(AF_INET6, \"([^\"]+)\")")
_LOOPBACK = re.compile(r"^(127\.|::1$|::ffff:127\.)")


@dataclass
class NetTrace:
    path: Path
    lines: list[str] = field(default_factory=list)

    @classmethod
    def read(cls, path: Path) -> NetTrace:
        return cls(path, path.read_text(errors="replace").splitlines())

    def calls(self, name: str) -> list[str]:
        return [ln for ln in self.lines if re.search(rf"\b{name}\(", ln)]

    def endpoints(self, name: str) -> list[tuple[str, int, str]]:
        """(address, port, line) of each AF_INET/AF_INET6 address in ``name`` calls."""
        out = []
        for line in self.calls(name):
            for m in _INET.finditer(line):
                out.append((m.group(2) or m.group(3), int(m.group(1)), line))
        return out

    def dns_queries(self) -> list[str]:
        return [line for address, port, line in
                self.endpoints("connect") + self.endpoints("sendto") + self.endpoints("sendmsg")
                if port == 53] + [ln for ln in self.calls("sendmmsg") if "htons(53)" in ln]

    def outside(self) -> list[str]:
        """Connections and datagrams to addresses that are not loopback."""
        return [line for address, port, line in
                self.endpoints("connect") + self.endpoints("sendto") + self.endpoints("sendmsg")
                if not _LOOPBACK.match(address) and address not in ("0.0.0.0", "::")]

    def binds(self) -> list[tuple[str, int]]:
        return [(address, port) for address, port, _ in self.endpoints("bind")]

    def loopback_connects(self, port: int) -> int:
        return sum(1 for address, p, _ in self.endpoints("connect")
                   if p == port and _LOOPBACK.match(address))

    def assert_nothing_left(self, what: str) -> None:
        """Fail on a DNS query or a non-local connection; fail on an empty trace."""
        assert self.calls("execve"), f"{what}: the strace log {self.path} is empty"
        leaks = self.dns_queries() + self.outside()
        assert not leaks, (f"{what} tried the network ({len(leaks)} calls, see {self.path}):\n"
                           + "\n".join(line[:300] for line in leaks[:10]))


def traced(cmd: list[str], log: Path) -> list[str]:
    """``cmd`` prefixed with strace writing to ``log``."""
    if not Path(STRACE).is_file():
        raise FileNotFoundError(f"{STRACE} is missing: scripts/test.sh installs strace")
    return [STRACE, "-f", "-qq", "-e", "signal=none", "-e", f"trace={TRACED}", "-s", "64",
            "-o", str(log), *cmd]


def run_traced(cmd: list[str], log: Path, **kwargs) -> tuple[subprocess.CompletedProcess,
                                                              NetTrace]:
    result = subprocess.run(traced(cmd, log), capture_output=True, text=True, **kwargs)
    return result, NetTrace.read(log)
