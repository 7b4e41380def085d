"""shoal.Cluster: brokers of a Shoal cluster as child processes, from a notebook or a test.

    with shoal.Cluster(brokers=1) as cluster:
        p = shoal.Producer({"bootstrap.servers": cluster.bootstrap_servers})

Leaving the context stops every broker it started, even after an exception. Each broker runs
the shoal-broker executable shipped in this package; its log goes to <dir>/broker-<id>.log.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

from shoal import _core

__all__ = ["Cluster", "broker_command", "broker_executable", "broker_properties"]

_names = itertools.count()


def broker_executable() -> Path:
    """The shoal-broker executable installed with the package."""
    path = Path(_core.__file__).parent / "bin" / "shoal-broker"
    if not path.exists():
        raise FileNotFoundError(f"shoal-broker is not installed next to {_core.__file__}")
    return path


def _kafka_name(key: str) -> str:
    """log_retention_ms -> log.retention.ms (keyword arguments cannot hold dots)."""
    return key if "." in key else key.replace("_", ".")


def broker_properties(config: dict[str, Any]) -> dict[str, str]:
    """Broker properties from keyword-style or Kafka-style names, values as strings."""
    return {
        _kafka_name(k): str(v).lower() if isinstance(v, bool) else str(v) for k, v in config.items()
    }


def broker_command(
    name: str, dir: str | os.PathLike[str], broker_id: int, config: dict[str, str]
) -> list[str]:
    """The command line that runs broker `broker_id` of cluster `name`."""
    cmd = [str(broker_executable()), "--cluster", name, "--id", str(broker_id), "--dir", str(dir)]
    for k, v in config.items():
        cmd += ["--override", f"{k}={v}"]
    return cmd


def _log_tail(dir: Path | None, broker_id: int, chars: int = 2000) -> str:
    path = None if dir is None else dir / f"broker-{broker_id}.log"
    if path is None or not path.exists():
        return ""
    return path.read_text(errors="replace")[-chars:]


def wait_for_brokers(
    name: str,
    procs: dict[int, subprocess.Popen[bytes]],
    timeout: float,
    dir: Path | None = None,
) -> None:
    """Waits until each broker of `procs` (id -> process) is up in cluster `name` with that
    pid and the controller counts it as live, so topics can be placed on it. Raises
    RuntimeError if one exits, TimeoutError at the deadline."""
    deadline = time.monotonic() + timeout
    while True:
        for b, proc in procs.items():
            if proc.poll() is not None:
                raise RuntimeError(
                    f"broker {b} exited with status {proc.returncode}"
                    + (f"; see {dir / f'broker-{b}.log'}:\n{_log_tail(dir, b)}" if dir else "")
                )
        up = {
            b["id"]
            for b in _core.cluster_brokers(name)
            if b["alive"] and procs.get(b["id"]) is not None and b["pid"] == procs[b["id"]].pid
        }
        state = _core.cluster_state(name) or {}
        if set(procs) <= up and set(procs) <= set(state.get("live", [])):
            return
        if time.monotonic() > deadline:
            raise TimeoutError(
                f"brokers {sorted(set(procs) - up)} of cluster {name} did not start within "
                f"{timeout} s"
            )
        time.sleep(0.01)


class Cluster:
    """A Shoal cluster of `brokers` broker processes on this host.

    name: the cluster's name (clients use bootstrap.servers = "shm://<name>"); a unique one if
    None. dir: where the brokers keep their logs; a temporary directory (removed on close) if
    None. Other keyword arguments are broker properties with Kafka's names, dots written as
    underscores if you like: Cluster(num_partitions=3, log_retention_ms=60000).
    """

    def __init__(
        self,
        brokers: int = 3,
        name: str | None = None,
        dir: str | os.PathLike[str] | None = None,
        **broker_config: Any,
    ) -> None:
        if brokers < 1:
            raise ValueError("a cluster needs at least one broker")
        self.name = name or f"shoal-{os.getpid()}-{next(_names)}"
        self._own_dir = dir is None
        self.dir = Path(tempfile.mkdtemp(prefix=f"{self.name}-") if dir is None else dir).resolve()
        self.broker_ids = list(range(1, brokers + 1))
        self.config = broker_properties(broker_config)
        self._procs: dict[int, subprocess.Popen[bytes]] = {}
        self._logs: dict[int, Any] = {}
        self._closed = False
        try:
            for b in self.broker_ids:
                self._spawn(b)
            self.wait_until_ready()
        except BaseException:
            self.close()
            raise

    # --- lifecycle ---

    @property
    def bootstrap_servers(self) -> str:
        """The bootstrap.servers value for this cluster's clients."""
        return f"shm://{self.name}"

    @property
    def kafka_bootstrap_servers(self) -> str:
        """The bootstrap.servers value for Kafka's own clients (and Shoal's over TCP): each
        running broker's advertised listener, "127.0.0.1:p1,127.0.0.1:p2,...", in broker id
        order."""
        addrs = self.kafka_addresses()
        return ",".join(f"{h}:{p}" for _, (h, p) in sorted(addrs.items()))

    def kafka_addresses(self) -> dict[int, tuple[str, int]]:
        """Broker id -> (host, port) of its advertised Kafka listener, for running brokers."""
        return {
            b["id"]: (b["host"], b["port"])
            for b in _core.cluster_brokers(self.name)
            if b["alive"] and b["port"] > 0
        }

    def _spawn(self, broker_id: int) -> None:
        self.dir.mkdir(parents=True, exist_ok=True)
        log = open(self.dir / f"broker-{broker_id}.log", "ab")  # noqa: SIM115 - kept open
        self._logs[broker_id] = log
        self._procs[broker_id] = subprocess.Popen(
            broker_command(self.name, self.dir, broker_id, self.config),
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )

    def wait_until_ready(self, timeout: float = 30.0, broker_ids: list[int] | None = None) -> None:
        """Waits until the given brokers (all by default) are running and the controller
        counts them as live."""
        wanted = {b: self._procs[b] for b in (broker_ids or self.broker_ids)}
        wait_for_brokers(self.name, wanted, timeout, self.dir)

    def state(self) -> dict[str, Any]:
        """What the controller last published: controller, controller_epoch, live brokers,
        each topic's partitions (leader, leader_epoch, replicas, isr), and each topic's config
        overrides (configs)."""
        return _core.cluster_state(self.name) or {
            "controller": -1,
            "controller_epoch": 0,
            "live": [],
            "topics": {},
            "configs": {},
        }

    def leader(self, topic: str, partition: int) -> int:
        """The id of the partition's leader (-1 while it has none)."""
        parts = self.state()["topics"].get(topic)
        if parts is None or partition >= len(parts):
            raise KeyError(f"no partition {partition} of topic {topic}")
        return parts[partition]["leader"]

    def isr(self, topic: str, partition: int) -> list[int]:
        """The partition's in-sync replicas."""
        return list(self.state()["topics"][topic][partition]["isr"])

    def controller(self) -> int:
        """The id of the controller broker (-1 while there is none)."""
        return self.state()["controller"]

    def log(self, broker_id: int) -> str:
        """The broker's log so far."""
        path = self.dir / f"broker-{broker_id}.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def pid(self, broker_id: int) -> int:
        return self._procs[broker_id].pid

    def _signal(self, broker_id: int, sig: int) -> None:
        proc = self._procs.get(broker_id)
        if proc is None or proc.poll() is not None:
            raise RuntimeError(f"broker {broker_id} is not running")
        os.kill(proc.pid, sig)

    def kill(self, broker_id: int) -> None:
        """SIGKILL: the broker dies at once, as in a crash."""
        self._signal(broker_id, signal.SIGKILL)
        self._procs[broker_id].wait()

    def pause(self, broker_id: int) -> None:
        """SIGSTOP: the broker freezes, as in a long GC pause or a hung machine."""
        self._signal(broker_id, signal.SIGSTOP)

    def resume(self, broker_id: int) -> None:
        """SIGCONT after pause()."""
        self._signal(broker_id, signal.SIGCONT)

    def stop(self, broker_id: int, timeout: float = 30.0) -> int:
        """SIGTERM: a clean shutdown; returns the exit status."""
        proc = self._procs[broker_id]
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGCONT)  # a paused broker cannot handle SIGTERM
            os.kill(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        return proc.returncode

    def restart(self, broker_id: int, timeout: float = 30.0) -> None:
        """Stops the broker if it runs, starts it again, and waits until it is up."""
        proc = self._procs.get(broker_id)
        if proc is not None and proc.poll() is None:
            self.stop(broker_id)
        self._logs[broker_id].close()
        self._spawn(broker_id)
        self.wait_until_ready(timeout, [broker_id])

    def close(self) -> None:
        """Stops every broker this object started (SIGTERM, then SIGKILL) by pid."""
        if self._closed:
            return
        self._closed = True
        for proc in self._procs.values():
            if proc.poll() is None:
                try:
                    os.kill(proc.pid, signal.SIGCONT)
                    os.kill(proc.pid, signal.SIGTERM)
                except ProcessLookupError:
                    pass
        for proc in self._procs.values():
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        for log in self._logs.values():
            log.close()
        _core.cluster_remove_if_abandoned(self.name)
        if self._own_dir:
            shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self) -> Cluster:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __del__(self) -> None:
        if not getattr(self, "_closed", True):
            self.close()


# --- clusters that outlive the command that started them (`shoal cluster up|status|down`) ---

_STATES = {1: "starting", 2: "running", 3: "stopping"}


def _process_state(pid: int) -> str | None:
    """The process's state letter from /proc (R, S, T, Z, ...), None if it does not exist."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return stat[stat.rindex(")") + 2]


def _is_broker_of(pid: int, name: str) -> bool:
    """Whether pid runs shoal-broker for cluster `name` (never signal a recycled pid)."""
    try:
        args = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return False
    if not args or not args[0].endswith(b"shoal-broker"):
        return False
    return any(a == b"--cluster" and b == name.encode() for a, b in itertools.pairwise(args))


def broker_pids(name: str, dir: str | os.PathLike[str] | None = None) -> dict[int, int]:
    """Broker id -> pid of every live process running a broker of cluster `name`, from the
    cluster's shared memory and from the pid files in `dir`."""
    found: dict[int, int] = {}
    candidates = [(b["id"], b["pid"]) for b in _core.cluster_brokers(name)]
    if dir is not None:
        for f in Path(dir).glob("broker-*.pid"):
            try:
                candidates.append((int(f.stem.split("-", 1)[1]), int(f.read_text().strip())))
            except ValueError:
                continue
    for broker_id, pid in candidates:
        if _process_state(pid) not in (None, "Z") and _is_broker_of(pid, name):
            found[broker_id] = pid
    return found


class PortInUseError(RuntimeError):
    """A port a broker's Kafka listener needs is taken by another process."""


def port_is_free(host: str, port: int) -> bool:
    """Whether `port` can be bound on `host` now (as the broker binds: SO_REUSEADDR, so a
    port in TIME_WAIT after a restart counts as free)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError:
            return False
    return True


def start_cluster(
    name: str,
    dir: str | os.PathLike[str],
    brokers: int,
    config: dict[str, str],
    timeout: float = 60.0,
    progress: Any = None,
    kafka_port: int | None = 9092,
) -> dict[int, int]:
    """Starts the brokers 1..brokers of cluster `name` that are not running yet, in the
    background (they outlive this process), and waits until all are live. Each broker logs
    to <dir>/broker-<id>.log and writes its pid to <dir>/broker-<id>.pid. Returns id -> pid
    of the brokers it started.

    Broker b serves Kafka's protocol on 127.0.0.1:(kafka_port + b - 1), as a Kafka cluster on
    9092, 9093, ... does; kafka_port 0 or None lets each take a free port, and a `listeners`
    key in `config` decides instead. A port that is taken raises PortInUseError before any
    broker starts."""
    say = progress or (lambda msg: None)
    path = Path(dir).resolve()
    path.mkdir(parents=True, exist_ok=True)
    running = broker_pids(name, path)
    procs: dict[int, subprocess.Popen[bytes]] = {}
    configs: dict[int, dict[str, str]] = {}
    for b in range(1, brokers + 1):
        configs[b] = dict(config)
        if b in running or "listeners" in config or not kafka_port:
            continue
        port = kafka_port + b - 1
        if not port_is_free("127.0.0.1", port):
            raise PortInUseError(
                f"port {port} (broker {b}'s Kafka listener) is already in use; "
                f"choose another first port with --kafka-port"
            )
        configs[b]["listeners"] = f"PLAINTEXT://127.0.0.1:{port}"
    for b in range(1, brokers + 1):
        if b in running:
            say(f"broker {b} is already running (pid {running[b]})")
            continue
        with open(path / f"broker-{b}.log", "ab") as log:
            procs[b] = subprocess.Popen(
                broker_command(name, path, b, configs[b]),
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,  # not killed with this terminal's process group
            )
        (path / f"broker-{b}.pid").write_text(f"{procs[b].pid}\n")
        say(f"broker {b} starting (pid {procs[b].pid}, log {path / f'broker-{b}.log'})")
    if procs:
        try:
            wait_for_brokers(name, procs, timeout, path)
        except BaseException:
            for proc in procs.values():
                if proc.poll() is None:
                    proc.kill()
                    proc.wait()
            raise
    return {b: p.pid for b, p in procs.items()}


def stop_cluster(
    name: str,
    dir: str | os.PathLike[str] | None = None,
    timeout: float = 30.0,
    progress: Any = None,
) -> list[int]:
    """Stops every broker of cluster `name` cleanly (SIGTERM: each hands over its
    leaderships and flushes its logs), SIGKILLing any still there after `timeout` seconds.
    Returns the ids of the brokers it stopped."""
    say = progress or (lambda msg: None)
    pids = broker_pids(name, dir)
    for b, pid in sorted(pids.items()):
        say(f"stopping broker {b} (pid {pid})")
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGCONT)  # a paused broker cannot act on SIGTERM
            os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    left = dict(pids)
    while left:
        left = {b: p for b, p in left.items() if _process_state(p) not in (None, "Z")}
        if left and time.monotonic() > deadline:
            for b, pid in left.items():
                say(f"broker {b} (pid {pid}) did not stop within {timeout} s: killing it")
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
            deadline = time.monotonic() + 10
        time.sleep(0.02)
    if dir is not None:
        # Every pid file goes: those of the brokers just stopped, and stale ones of brokers
        # that died earlier.
        for f in Path(dir).glob("broker-*.pid"):
            with contextlib.suppress(FileNotFoundError):
                f.unlink()
    # Brokers that were killed earlier left their slots behind: nothing runs any more, so the
    # shared memory goes too.
    _core.cluster_remove_if_abandoned(name)
    return sorted(pids)


def cluster_status(name: str) -> dict[str, Any] | None:
    """The brokers and partitions of cluster `name` as its shared memory shows them; None if
    no such cluster runs. brokers: id, pid, pid_namespace ("this", or "other": a broker in
    another container, its pid that container's), state (starting, running, stopping, paused
    or hung, dead, not responding (another pid namespace, heartbeat stale), storage failed),
    controller flag, address (its Kafka listener, "host:port"). under_replicated and leaderless list
    (topic, partition, leader, replicas, isr)."""
    brokers = _core.cluster_brokers(name)
    state = _core.cluster_state(name)
    if not brokers and state is None:
        return None
    state = state or {"controller": -1, "controller_epoch": 0, "live": [], "topics": {}}
    rows = []
    for b in sorted(brokers, key=lambda b: b["id"]):
        # A broker in another pid namespace (another container) has a pid that means nothing
        # in this /proc: only its heartbeat tells whether it runs.
        local = b["process"] != "other pid namespace"
        proc = _process_state(b["pid"]) if local else None
        if b["process"] == "dead" or (local and proc in (None, "Z")):
            what = "dead"
        elif not local and not b["alive"]:
            what = "not responding"
        elif proc == "T" or not b["alive"]:
            what = "paused or hung"
        elif b["storage_failed"]:
            what = "storage failed"
        else:
            what = _STATES.get(b["state"], "unknown")
        rows.append(
            {
                "id": b["id"],
                "pid": b["pid"],
                "pid_namespace": "this" if local else "other",
                "state": what,
                "controller": b["id"] == state["controller"],
                "address": f"{b['host']}:{b['port']}" if b["port"] > 0 else "",
            }
        )
    under, leaderless = [], []
    for topic, parts in sorted(state["topics"].items()):
        for i, p in enumerate(parts):
            row = (topic, i, p["leader"], list(p["replicas"]), list(p["isr"]))
            if p["leader"] < 0:
                leaderless.append(row)
            elif len(p["isr"]) < len(p["replicas"]):
                under.append(row)
    return {
        "name": name,
        "controller": state["controller"],
        "controller_epoch": state["controller_epoch"],
        "brokers": rows,
        "topics": len(state["topics"]),
        "partitions": sum(len(v) for v in state["topics"].values()),
        "under_replicated": under,
        "leaderless": leaderless,
    }
