"""Redis Streams on loopback, the reference `shoal perf producer|consumer --compare-redis`
runs the same records through (XADD pipelined, XREAD)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time


class RedisServer:
    """A throwaway redis-server on loopback, stopped by pid."""

    def __init__(self) -> None:
        exe = shutil.which("redis-server")
        if exe is None:
            raise RuntimeError("redis-server is not installed (Debian package redis-server)")
        try:
            import redis
        except ImportError as e:
            raise RuntimeError(
                "the redis Python package is not installed (pip install redis)"
            ) from e
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.dir = tempfile.mkdtemp(prefix="shoal-redis-")
        self.proc = subprocess.Popen(
            [
                exe,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                self.dir,
                "--protected-mode",
                "yes",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        import redis

        self.client = redis.Redis(host="127.0.0.1", port=self.port)
        deadline = time.monotonic() + 10
        while True:
            try:
                self.client.ping()
                break
            except Exception:
                if time.monotonic() > deadline or self.proc.poll() is not None:
                    self.close()
                    raise RuntimeError("redis-server did not start") from None
                time.sleep(0.02)

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self) -> RedisServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def redis_xadd(server: RedisServer, records: int, record_size: int, pipeline: int = 1000) -> float:
    """Records/s of pipelined XADD of `records` records."""
    payload = os.urandom(record_size)
    r = server.client
    r.delete("shoal-perf")
    start = time.perf_counter()
    sent = 0
    while sent < records:
        n = min(pipeline, records - sent)
        p = r.pipeline(transaction=False)
        for _ in range(n):
            p.xadd("shoal-perf", {"v": payload})
        p.execute()
        sent += n
    return records / (time.perf_counter() - start)


def redis_xread(server: RedisServer, records: int, count: int = 10_000) -> float:
    """Records/s of XREAD over a stream filled first with `records` records."""
    r = server.client
    if r.xlen("shoal-perf") < records:
        redis_xadd(server, records, 100)
    start = time.perf_counter()
    last = "0-0"
    got = 0
    while got < records:
        resp = r.xread({"shoal-perf": last}, count=count)
        if not resp:
            break
        entries = resp[0][1]
        got += len(entries)
        last = entries[-1][0]
    return got / (time.perf_counter() - start)
