"""Network namespaces as separate hosts on one LAN, for tests that run nasq across hosts.

`Lan(hosts)` makes a "server" namespace holding a bridge (the switch, with the server's
address), one namespace per name in `hosts`, each with an `eth0` whose peer is a port of that
bridge, and an `admin` link from the test's own (root) namespace to the bridge, so the test
process reaches the hosts as an administrator's machine would. Addresses lie in one /24 of
198.18.0.0/15 (RFC 2544's range for test networks) chosen from the pid; every name carries the
pid, so concurrent runs do not collide. Loopback is up in every namespace.

Cleanup: `close()` (or leaving the `with` block, on failure too) kills every process left in
the namespaces and deletes the namespaces, which deletes every link in them and the admin link
with its peer. Namespaces of earlier runs whose process no longer exists (a run killed before
its cleanup) are cleaned up the same way when the next Lan is made.

`Lan.require()` pytest.skips, naming the failing command and its stderr, where namespaces
cannot be made (not root, no `ip`, no veth or bridge support).
"""
from __future__ import annotations

import os
import pathlib
import re
import shutil
import signal
import subprocess
from typing import Sequence

import pytest

_PREFIX = "nasqlan"
_STALE = re.compile(rf"^{_PREFIX}(\d+)-")


class CommandFailed(Exception):
    """An `ip` command exited non-zero; the message names it and its stderr."""


def _ip(*args: str) -> None:
    result = subprocess.run(["ip", *args], capture_output=True, text=True, timeout=30)
    if result.returncode != 0:
        raise CommandFailed(f"`ip {' '.join(args)}` exited {result.returncode}: "
                            f"{result.stderr.strip()}")


def _delete_namespace(name: str) -> None:
    """SIGKILLs the processes in namespace `name` (a namespace lives on while they do), then
    deletes it. Errors are ignored: this is cleanup."""
    pids = subprocess.run(["ip", "netns", "pids", name], capture_output=True, text=True,
                          timeout=30).stdout.split()
    for pid in pids:
        try:
            os.kill(int(pid), signal.SIGKILL)
        except (ProcessLookupError, ValueError):
            pass
    subprocess.run(["ip", "netns", "delete", name], capture_output=True, timeout=30)


def _delete_stale_namespaces() -> None:
    """Deletes namespaces of Lans whose process is gone."""
    listing = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True, timeout=30)
    for line in listing.stdout.splitlines():
        name = line.split()[0] if line.split() else ""
        match = _STALE.match(name)
        if match and not pathlib.Path(f"/proc/{match.group(1)}").exists():
            _delete_namespace(name)


class Lan:
    """The namespaces and links of the module docstring; `hosts` are the worker hosts' names
    (short: letters and digits)."""

    SERVER = "server"

    def __init__(self, hosts: Sequence[str]):
        pid = os.getpid()
        self._tag = f"{_PREFIX}{pid}"
        self._admin_link = f"nl{pid}adm"
        subnet = f"198.{18 + (pid >> 8) % 2}.{pid % 256}"
        self.hosts = tuple(hosts)
        self._addresses = {self.SERVER: f"{subnet}.1", "admin": f"{subnet}.100"}
        for i, host in enumerate(self.hosts):
            self._addresses[host] = f"{subnet}.{11 + i}"
        self._processes: list[subprocess.Popen] = []
        self._made: list[str] = []
        _delete_stale_namespaces()
        try:
            self._build()
        except BaseException:
            self.close()
            raise

    @classmethod
    def require(cls, hosts: Sequence[str]) -> "Lan":
        """A Lan, or pytest.skip naming the command that failed and its stderr."""
        if shutil.which("ip") is None:
            pytest.skip("network namespaces need iproute2's `ip`, which is not on PATH")
        try:
            return cls(hosts)
        except CommandFailed as e:
            pytest.skip(f"cannot make network namespaces: {e}")

    def namespace(self, host: str) -> str:
        return f"{self._tag}-{host}"

    def exec_prefix(self, host: str) -> tuple[str, ...]:
        """The argv prefix that runs a command in `host`'s namespace (`ip netns exec`, which
        execs the command: a Popen of it is the command's own process)."""
        return ("ip", "netns", "exec", self.namespace(host))

    def address(self, host: str) -> str:
        """The IPv4 address of `host` (a worker host, SERVER, or "admin": the test process)."""
        return self._addresses[host]

    def _build(self) -> None:
        server = self.namespace(self.SERVER)
        for host in (self.SERVER, *self.hosts):
            _ip("netns", "add", self.namespace(host))
            self._made.append(self.namespace(host))
            _ip("-n", self.namespace(host), "link", "set", "lo", "up")
        _ip("-n", server, "link", "add", "br0", "type", "bridge", "forward_delay", "0")
        _ip("-n", server, "addr", "add", f"{self.address(self.SERVER)}/24", "dev", "br0")
        _ip("-n", server, "link", "set", "br0", "up")
        for host in self.hosts:
            _ip("link", "add", "eth0", "netns", self.namespace(host), "type", "veth", "peer",
                "name", host, "netns", server)
            self._plug(host, self.namespace(host), "eth0")
        _ip("link", "add", self._admin_link, "type", "veth", "peer", "name", "admin", "netns",
            server)
        self._plug("admin", None, self._admin_link)

    def _plug(self, host: str, namespace: str | None, device: str) -> None:
        """Gives `device` (in `namespace`, None: the root one) `host`'s address and plugs its
        peer, the server namespace's link named `host`, into the bridge."""
        where = ("-n", namespace) if namespace else ()
        _ip(*where, "addr", "add", f"{self.address(host)}/24", "dev", device)
        _ip(*where, "link", "set", device, "up")
        server = self.namespace(self.SERVER)
        _ip("-n", server, "link", "set", host, "master", "br0")
        _ip("-n", server, "link", "set", host, "up")

    def cut(self, host: str, at_host: bool = False) -> None:
        """Cuts `host` off. By default its switch port goes down: its packets are dropped both
        ways and connections stall (no carrier). `at_host`: its own eth0 goes down instead, which
        removes its route to the LAN, so its connection attempts fail at once."""
        if at_host:
            _ip("-n", self.namespace(host), "link", "set", "eth0", "down")
        else:
            _ip("-n", self.namespace(self.SERVER), "link", "set", host, "down")

    def restore(self, host: str) -> None:
        """Undoes cut(): `host`'s eth0 and switch port are up."""
        _ip("-n", self.namespace(host), "link", "set", "eth0", "up")
        _ip("-n", self.namespace(self.SERVER), "link", "set", host, "up")

    def start(self, host: str, argv: Sequence[str], log: pathlib.Path) -> subprocess.Popen:
        """Runs `argv` in `host`'s namespace (exec_prefix), stdout and stderr appended to `log`;
        killed by close()."""
        with open(log, "ab") as out:
            process = subprocess.Popen([*self.exec_prefix(host), *argv], stdout=out,
                                       stderr=subprocess.STDOUT)
        self._processes.append(process)
        return process

    def close(self) -> None:
        """Kills what start() started and anything else left in the namespaces, and deletes
        them (and so every link)."""
        for process in self._processes:
            if process.poll() is None:
                process.send_signal(signal.SIGKILL)
                process.wait()
        self._processes.clear()
        for namespace in reversed(self._made):
            _delete_namespace(namespace)
        self._made.clear()
        subprocess.run(["ip", "link", "delete", self._admin_link], capture_output=True,
                       timeout=30)

    def __enter__(self) -> "Lan":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
