"""A single-node Slurm cluster on localhost for tests: munged, slurmctld and slurmd from Debian's
packages (munge, slurmctld, slurmd, slurm-client), started as the test's children with a
configuration, key, state and logs in a fresh folder of their own, and stopped (every job
cancelled, every daemon ended) by stop(), also after a failure.

The node has two fake GPUs (gres.conf maps them to /dev/null and /dev/zero), so a job asking for
--gres=gpu:1 gets one of them and Slurm sets its CUDA_VISIBLE_DEVICES, as on a GPU node; the
jobs themselves must run on the CPU. Client commands (sbatch, squeue, scancel) find the cluster
through $SLURM_CONF: run them with env().
"""
from __future__ import annotations

import os
import pathlib
import shutil
import socket
import subprocess
import tempfile
import time
from typing import Optional

# The programs the cluster needs: daemons (in /usr/sbin, often not on a user's $PATH) and clients.
DAEMONS = ("munged", "slurmctld", "slurmd")
CLIENTS = ("sbatch", "squeue", "scancel", "sinfo")


def find_program(name: str) -> Optional[str]:
    """`name` on $PATH or in /usr/sbin; None when it is in neither."""
    return shutil.which(name) or shutil.which(name, path="/usr/sbin:/sbin")


def missing_programs() -> list[str]:
    return [name for name in DAEMONS + CLIENTS if find_program(name) is None]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class SlurmCluster:
    """Call start(), then stop() in a finally (or use it as a context manager)."""

    def __init__(self, cpus: int = 2, kill_wait_s: int = 10):
        # A short folder: munge's socket path must fit a Unix socket address (108 bytes).
        self.dir = pathlib.Path(tempfile.mkdtemp(prefix="nasq-slurm-", dir="/tmp"))
        self.conf = self.dir / "slurm.conf"
        self.cpus = cpus
        self.kill_wait_s = kill_wait_s
        self.processes: dict[str, subprocess.Popen] = {}

    def env(self, **extra: str) -> dict[str, str]:
        """The environment for Slurm's client commands (and jobs submitted from it)."""
        return dict(os.environ, SLURM_CONF=str(self.conf), **extra)

    def _write_config(self) -> None:
        munge = self.dir / "munge"
        munge.mkdir(mode=0o755)
        key = munge / "munge.key"
        key.write_bytes(os.urandom(1024))
        key.chmod(0o600)
        for folder in ("state", "spool", "log"):
            (self.dir / folder).mkdir()
        self.munge_socket = munge / "munge.socket"
        d = self.dir
        self.conf.write_text(f"""ClusterName=nasqtest
SlurmctldHost=localhost
SlurmctldPort={_free_port()}
SlurmdPort={_free_port()}
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket={self.munge_socket}
SlurmUser=root
SlurmdUser=root
StateSaveLocation={d}/state
SlurmdSpoolDir={d}/spool
SlurmctldPidFile={d}/slurmctld.pid
SlurmdPidFile={d}/slurmd.pid
SlurmctldLogFile={d}/log/slurmctld.log
SlurmdLogFile={d}/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SwitchType=switch/none
MpiDefault=none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
ReturnToService=2
KillWait={self.kill_wait_s}
InactiveLimit=0
MinJobAge=300
JobCompType=jobcomp/none
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
GresTypes=gpu
NodeName=localhost CPUs={self.cpus} Gres=gpu:2 State=UNKNOWN
PartitionName=nasq Nodes=localhost Default=YES MaxTime=INFINITE State=UP
""")
        (self.dir / "gres.conf").write_text("Name=gpu File=/dev/null\nName=gpu File=/dev/zero\n")

    def _spawn(self, name: str, args: list[str]) -> None:
        log = open(self.dir / "log" / f"{name}.out", "ab")
        self.processes[name] = subprocess.Popen([find_program(name), *args], stdout=log,
                                                stderr=subprocess.STDOUT, env=self.env())
        log.close()

    def start(self, timeout_s: float = 30.0) -> None:
        """Starts the daemons and waits until the node is idle; RuntimeError with the logs
        otherwise."""
        self._write_config()
        munge = self.dir / "munge"
        self._spawn("munged", ["--foreground", "--force", f"--socket={self.munge_socket}",
                               f"--key-file={munge / 'munge.key'}",
                               f"--pid-file={munge / 'munged.pid'}",
                               f"--log-file={munge / 'munged.log'}",
                               f"--seed-file={munge / 'munged.seed'}"])
        self._wait(lambda: self.munge_socket.exists(), timeout_s, "munged's socket")
        self._spawn("slurmctld", ["-D", "-c", "-i"])
        self._spawn("slurmd", ["-D", "-N", "localhost"])
        self._wait(lambda: self.node_state() == "idle", timeout_s, "the node to be idle")

    def node_state(self) -> str:
        r = subprocess.run([find_program("sinfo"), "-h", "-o", "%t"], env=self.env(),
                           capture_output=True, text=True)
        return r.stdout.strip()

    def jobs(self) -> list[str]:
        """The ids of the jobs Slurm still lists (array tasks as JOB_TASK)."""
        r = subprocess.run([find_program("squeue"), "-h", "-r", "-o", "%i"], env=self.env(),
                           capture_output=True, text=True)
        return r.stdout.split()

    def run(self, *args: str) -> subprocess.CompletedProcess:
        """A Slurm client command (scancel, squeue, ...) against this cluster; check=True."""
        return subprocess.run([find_program(args[0]), *args[1:]], env=self.env(), check=True,
                              capture_output=True, text=True, timeout=30)

    def _wait(self, condition, timeout_s: float, what: str) -> None:
        deadline = time.monotonic() + timeout_s
        while not condition():
            for name, process in self.processes.items():
                if process.poll() is not None:
                    raise RuntimeError(f"{name} exited with {process.returncode}:\n{self.logs()}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"timed out after {timeout_s} s waiting for {what}:\n"
                                   f"{self.logs()}")
            time.sleep(0.1)

    def logs(self) -> str:
        """The daemons' logs (their ends), for failure messages."""
        parts = []
        for path in sorted((self.dir / "log").glob("*")) + [self.dir / "munge" / "munged.log"]:
            if path.exists():
                parts.append(f"--- {path.name}\n{path.read_text(errors='replace')[-3000:]}")
        return "\n".join(parts)

    def stop(self) -> None:
        """Cancels every job, waits (up to KillWait and a margin) for them to end, ends the
        daemons and removes the folder."""
        if "slurmctld" in self.processes and self.processes["slurmctld"].poll() is None:
            subprocess.run([find_program("scancel"), "--user", "root"], env=self.env(),
                           capture_output=True, timeout=30)
            deadline = time.monotonic() + self.kill_wait_s + 10
            while self.jobs() and time.monotonic() < deadline:
                time.sleep(0.2)
        for name in ("slurmd", "slurmctld", "munged"):
            process = self.processes.get(name)
            if process is None or process.poll() is not None:
                continue
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self) -> "SlurmCluster":
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc) -> None:
        self.stop()
