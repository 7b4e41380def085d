"""shoal.Cluster: brokers of a Shoal cluster as child processes, from a notebook or a test.

    with shoal.Cluster(brokers=1) as cluster:
        p = shoal.Producer({"bootstrap.servers": cluster.bootstrap_servers})

Leaving the context stops every broker it started, even after an exception. Each broker runs
the shoal-broker executable shipped in this package; its log goes to <dir>/broker-<id>.log.
"""

from __future__ import annotations

import itertools
import os
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

from shoal import _core

__all__ = ["Cluster", "broker_executable"]

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
        self.config = {
            _kafka_name(k): str(v).lower() if isinstance(v, bool) else str(v)
            for k, v in broker_config.items()
        }
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

    def _spawn(self, broker_id: int) -> None:
        self.dir.mkdir(parents=True, exist_ok=True)
        cmd = [
            str(broker_executable()),
            "--cluster",
            self.name,
            "--id",
            str(broker_id),
            "--dir",
            str(self.dir),
        ]
        for k, v in self.config.items():
            cmd += ["--override", f"{k}={v}"]
        log = open(self.dir / f"broker-{broker_id}.log", "ab")  # noqa: SIM115 - kept open
        self._logs[broker_id] = log
        self._procs[broker_id] = subprocess.Popen(
            cmd, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
        )

    def wait_until_ready(self, timeout: float = 30.0, broker_ids: list[int] | None = None) -> None:
        """Waits until the given brokers (all by default) are running."""
        wanted = set(broker_ids or self.broker_ids)
        deadline = time.monotonic() + timeout
        while True:
            for b in wanted:
                proc = self._procs.get(b)
                if proc is not None and proc.poll() is not None:
                    raise RuntimeError(
                        f"broker {b} exited with status {proc.returncode}; see "
                        f"{self.dir / f'broker-{b}.log'}:\n{self.log(b)[-2000:]}"
                    )
            up = {
                b["id"]
                for b in _core.cluster_brokers(self.name)
                if b["alive"] and b["pid"] == getattr(self._procs.get(b["id"]), "pid", None)
            }
            # Up, and seen alive by the controller (so topics can be placed on it).
            state = _core.cluster_state(self.name) or {}
            if wanted <= up and wanted <= set(state.get("live", [])):
                return
            if time.monotonic() > deadline:
                raise TimeoutError(
                    f"brokers {sorted(wanted - up)} of {self.name} did not start within {timeout} s"
                )
            time.sleep(0.01)

    def state(self) -> dict[str, Any]:
        """What the controller last published: controller, controller_epoch, live brokers,
        and each topic's partitions (leader, leader_epoch, replicas, isr)."""
        return _core.cluster_state(self.name) or {"controller": -1, "live": [], "topics": {}}

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
        if self._own_dir:
            shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self) -> Cluster:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __del__(self) -> None:
        if not getattr(self, "_closed", True):
            self.close()
