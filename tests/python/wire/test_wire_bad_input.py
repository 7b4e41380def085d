"""Bad input on the TCP listener of a real broker: random and truncated frames of every API
and version the broker advertises, impossible sizes, unknown API keys and versions. The broker
answers or closes that connection; it never crashes, other clients keep working, and nothing
is appended from a bad frame.

SHOAL_WIRE_FUZZ_FRAMES sets how many random frames are sent (default 20,000, a few seconds);
`SHOAL_WIRE_FUZZ_FRAMES=1000000 pytest tests/python/wire/test_wire_bad_input.py` is the long run.
The decoder alone takes a million frames of every message in tests/cpp/protocol."""

from __future__ import annotations

import os
import random
import socket
import struct
import time
from collections.abc import Iterator

import confluent_kafka
import confluent_kafka.admin
import pytest

import shoal


@pytest.fixture(scope="module")
def wcluster() -> Iterator[shoal.Cluster]:
    with shoal.Cluster(brokers=1) as c:
        yield c


def address(cluster: shoal.Cluster) -> tuple[str, int]:
    return next(iter(cluster.kafka_addresses().values()))


def header(key: int, version: int, corr: int, flexible: bool) -> bytes:
    client = b"fuzz"
    h = struct.pack(">hhih", key, version, corr, len(client)) + client
    return h + (b"\x00" if flexible else b"")


def read_response(s: socket.socket) -> bytes | None:
    """One response frame, or None if the broker closed the connection."""

    def exactly(n: int) -> bytes | None:
        out = b""
        while len(out) < n:
            chunk = s.recv(n - len(out))
            if not chunk:
                return None
            out += chunk
        return out

    h = exactly(4)
    if h is None:
        return None
    (n,) = struct.unpack(">i", h)
    return exactly(n)


def api_versions(addr: tuple[str, int]) -> dict[int, tuple[int, int]]:
    with socket.create_connection(addr, timeout=10) as s:
        body = header(18, 0, 1, False)
        s.sendall(struct.pack(">i", len(body)) + body)
        r = read_response(s)
    assert r is not None
    corr, err, n = struct.unpack(">ihi", r[:10])
    assert (corr, err) == (1, 0)
    out = {}
    for i in range(n):
        key, lo, hi = struct.unpack(">hhh", r[10 + 6 * i : 16 + 6 * i])
        out[key] = (lo, hi)
    return out


def guard_offsets(bs: str, topic: str) -> int:
    c = confluent_kafka.Consumer({"bootstrap.servers": bs, "group.id": "fuzz-guard-reader"})
    _lo, hi = c.get_watermark_offsets(confluent_kafka.TopicPartition(topic, 0), timeout=10)
    c.close()
    return hi


def produce_guard(bs: str, topic: str, n: int) -> None:
    p = confluent_kafka.Producer({"bootstrap.servers": bs, "acks": "all"})
    for i in range(n):
        p.produce(topic, key=b"k", value=f"guard-{i}".encode())
    assert p.flush(30) == 0


def test_random_frames_of_every_api_never_hurt_the_broker_or_other_clients(
    wcluster: shoal.Cluster,
) -> None:
    addr = address(wcluster)
    bs = wcluster.kafka_bootstrap_servers
    topic = "fuzz-guard"
    admin = confluent_kafka.admin.AdminClient({"bootstrap.servers": bs})
    admin.create_topics([confluent_kafka.admin.NewTopic(topic, 1, 1)])[topic].result(30)
    produce_guard(bs, topic, 10)
    assert guard_offsets(bs, topic) == 10

    apis = api_versions(addr)
    rng = random.Random(20261207)
    frames = int(os.environ.get("SHOAL_WIRE_FUZZ_FRAMES", "20000"))
    conns: list[socket.socket] = []
    sent = answered = closed = held = 0
    deadline = time.monotonic() + 600
    try:
        while sent < frames:
            assert time.monotonic() < deadline, f"only {sent} frames in 600 s"
            if len(conns) < 8:
                s = socket.create_connection(addr, timeout=10)
                s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                conns.append(s)
            s = rng.choice(conns)
            kind = rng.random()
            if kind < 0.02:
                # Unknown API key or version, or a frame cut short inside its header.
                key = rng.choice([-1, 99, 1000, 32767, *apis])
                ver = rng.choice([-1, 99, 32767])
                body = header(key, ver, sent, False)[: rng.randint(0, 12)]
            else:
                key = rng.choice(list(apis))
                lo, hi = apis[key]
                ver = rng.randint(lo, hi)
                flexible = rng.random() < 0.5
                tail = bytes(rng.getrandbits(8) for _ in range(rng.randint(0, 64)))
                if rng.random() < 0.2:
                    # Counts and lengths at their extremes: 2^31-1, negative, huge varints.
                    tail = (
                        rng.choice(
                            [b"\x7f\xff\xff\xff", b"\xff\xff\xff\xfe", b"\xff\xff\xff\xff\x0f"]
                        )
                        + tail
                    )
                body = header(key, ver, sent, flexible) + tail
            try:
                s.sendall(struct.pack(">i", len(body)) + body)
                s.settimeout(10)
                r = read_response(s)
            except (ConnectionResetError, BrokenPipeError):
                r = None
            except TimeoutError:
                # Random bytes can make a valid request that is not answered at once (a
                # Produce with acks=0, a Fetch that waits): that connection is given up.
                held += 1
                r = None
            sent += 1
            if r is None:
                closed += 1
                conns.remove(s)
                s.close()
            else:
                answered += 1
                assert struct.unpack(">i", r[:4])[0] == sent - 1, "a response to another request"
    finally:
        for s in conns:
            s.close()
    # The broker lived through it, and read some as requests and refused others.
    assert answered > 0 and closed > 0, (answered, closed)
    assert held <= frames // 1000, f"{held} requests were never answered"
    print(f"{sent} frames: {answered} answered, {closed} closed the connection, {held} held")
    assert wcluster._procs[1].poll() is None, "the broker died"
    # Other clients were never hurt, and nothing was appended by a bad frame.
    assert guard_offsets(bs, topic) == 10
    produce_guard(bs, topic, 5)
    assert guard_offsets(bs, topic) == 15


def test_impossible_sizes_close_the_connection_and_nothing_else(wcluster: shoal.Cluster) -> None:
    addr = address(wcluster)
    for prefix in (
        struct.pack(">i", 2**31 - 1),  # far past socket.request.max.bytes
        struct.pack(">i", -1),
        struct.pack(">i", 100 * 1024 * 1024 + 1),
    ):
        with socket.create_connection(addr, timeout=10) as s:
            s.sendall(prefix + b"\x00" * 64)
            s.settimeout(10)
            assert s.recv(1) == b"", "the broker kept a connection that declared an impossible size"
    # A well-formed ApiVersions on a fresh connection is still answered.
    assert 18 in api_versions(addr)


def test_an_unsupported_api_versions_version_is_answered_at_v0(wcluster: shoal.Cluster) -> None:
    """As Kafka: the error and Shoal's own range, in v0's format, which every client reads."""
    addr = address(wcluster)
    with socket.create_connection(addr, timeout=10) as s:
        body = header(18, 99, 7, True)
        s.sendall(struct.pack(">i", len(body)) + body)
        r = read_response(s)
    assert r is not None
    corr, err, n = struct.unpack(">ihi", r[:10])
    assert corr == 7 and err == 35  # UNSUPPORTED_VERSION
    ranges = {
        struct.unpack(">h", r[10 + 6 * i : 12 + 6 * i])[0]: struct.unpack(
            ">hh", r[12 + 6 * i : 16 + 6 * i]
        )
        for i in range(n)
    }
    assert ranges[18] == (0, 4)
