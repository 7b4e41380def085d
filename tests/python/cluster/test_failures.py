"""Clients and brokers dying or freezing: nobody hangs, nothing acknowledged is lost."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest

import shoal
from conftest import consume_all, create_topic, wait_for


def _spawn_producer_loop(conf, topic, tmp_path):
    script = tmp_path / "loop.py"
    script.write_text(
        textwrap.dedent(f"""
        import sys, shoal
        p = shoal.Producer({{"bootstrap.servers": "{conf["bootstrap.servers"]}", "linger.ms": 0}})
        p.produce("{topic}", b"first"); p.flush(10)
        print("ready", flush=True)
        i = 0
        while True:
            try:
                p.produce("{topic}", b"x" * 1000)
                i += 1
            except BufferError:
                p.poll(0.001)
    """)
    )
    proc = subprocess.Popen(
        [sys.executable, str(script)], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
    )
    assert proc.stdout.readline().strip() == "ready"
    return proc


def test_client_killed_mid_produce_does_not_disturb_others(conf, tmp_path):
    create_topic(conf, "victim")
    create_topic(conf, "bystander")
    other = shoal.Producer(conf)
    reader = shoal.Consumer(conf)
    reader.assign([shoal.TopicPartition("bystander", 0, shoal.OFFSET_BEGINNING)])
    for round_ in range(3):
        proc = _spawn_producer_loop(conf, "victim", tmp_path)
        time.sleep(0.05 * (round_ + 1))
        proc.kill()
        proc.wait()
        proc.stdout.close()
        # The other clients carry on at once.
        other.produce("bystander", f"after kill {round_}".encode())
        assert other.flush(10) == 0
        m = reader.poll(10)
        assert m is not None and m.value() == f"after kill {round_}".encode()

    # The killed clients' shared memory is reclaimed.
    def sessions_left():
        return [
            n
            for n in os.listdir("/dev/shm")
            if n.startswith(f"shoal.{conf['bootstrap.servers'][6:]}.session-")
        ]

    wait_for(lambda: len(sessions_left()) <= 2, timeout=15, what="dead sessions to be removed")
    reader.close()


def test_broker_killed_blocked_client_errors_within_timeout_and_acked_records_survive(
    cluster1, tmp_path
):
    conf = {"bootstrap.servers": cluster1.bootstrap_servers}
    create_topic(conf, "durable", partitions=2)
    acked = []
    p = shoal.Producer({**conf, "linger.ms": 0})
    for i in range(2000):
        p.produce(
            "durable",
            str(i).encode(),
            on_delivery=lambda err, msg: err is None and acked.append(msg.value()),
        )
    assert p.flush(30) == 0
    assert len(acked) == 2000
    c = shoal.Consumer({**conf, "request.timeout.ms": 1000, "socket.timeout.ms": 1000})
    start = time.monotonic()
    cluster1.kill(1)
    # A request to the dead broker fails fast instead of hanging.
    with pytest.raises(shoal.KafkaException) as ei:
        c.get_watermark_offsets(shoal.TopicPartition("durable", 0), timeout=5)
    assert time.monotonic() - start < 5
    assert ei.value.args[0].code() in (
        shoal.KafkaError._TRANSPORT,
        shoal.KafkaError._TIMED_OUT,
        shoal.KafkaError._ALL_BROKERS_DOWN,
    )
    c.close()
    cluster1.restart(1)
    got = consume_all(conf, "durable", 2000, partitions=2)
    assert sorted(m.value() for m in got) == sorted(acked)


def test_producer_rides_through_a_broker_restart(cluster1):
    conf = {"bootstrap.servers": cluster1.bootstrap_servers}
    create_topic(conf, "restart")
    p = shoal.Producer({**conf, "linger.ms": 0, "retry.backoff.ms": 20})
    errors = []
    for i in range(100):
        p.produce("restart", str(i).encode(), on_delivery=lambda e, m: e and errors.append(e))
    p.flush(10)
    cluster1.kill(1)
    for i in range(100, 200):
        p.produce("restart", str(i).encode(), on_delivery=lambda e, m: e and errors.append(e))
    cluster1.restart(1)
    assert p.flush(30) == 0
    assert errors == []
    got = consume_all(conf, "restart", 200)
    assert len(got) == 200


def test_sigterm_is_a_clean_shutdown(cluster1):
    conf = {"bootstrap.servers": cluster1.bootstrap_servers}
    create_topic(conf, "clean")
    p = shoal.Producer(conf)
    p.produce("clean", b"x")
    p.flush(10)
    assert cluster1.stop(1) == 0
    assert (cluster1.dir / "broker-1" / "clean-0" / "clean-shutdown").exists()
    assert "stopped cleanly" in cluster1.log(1)
    cluster1.restart(1)
    # The log is opened when the restarted broker applies the metadata image.
    wait_for(lambda: "after a clean shutdown" in cluster1.log(1), what="the log to load")
    assert "after an unclean shutdown" not in cluster1.log(1)


def test_ctrl_c_interrupts_a_blocking_poll_quickly(conf, tmp_path):
    script = tmp_path / "block.py"
    script.write_text(
        textwrap.dedent(f"""
        import time, shoal
        c = shoal.Consumer({{"bootstrap.servers": "{conf["bootstrap.servers"]}"}})
        # A signal that comes before poll() starts is reported the same way: the test cannot
        # know the instant poll() begins to wait.
        try:
            print("polling", flush=True)
            c.poll(60)
            print("returned", time.monotonic(), flush=True)
        except KeyboardInterrupt:
            print("interrupted", time.monotonic(), flush=True)
    """)
    )
    proc = subprocess.Popen(
        [sys.executable, str(script)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    assert proc.stdout.readline().strip() == "polling"
    time.sleep(0.2)  # let it get into poll(); an earlier signal is caught the same way
    sent = time.monotonic()
    proc.send_signal(signal.SIGINT)
    line = proc.stdout.readline().split()
    rc = proc.wait(10)
    err = proc.stderr.read()
    proc.stdout.close()
    proc.stderr.close()
    assert line and line[0] == "interrupted", (line, rc, err[-2000:])
    assert float(line[1]) - sent < 0.15


def test_full_local_queue_raises_buffer_error(conf):
    create_topic(conf, "full")
    p = shoal.Producer(
        {
            **conf,
            "queue.buffering.max.messages": 50,
            "linger.ms": 10_000,
            "batch.num.messages": 1000,
        }
    )
    for _ in range(50):
        p.produce("full", b"x")
    with pytest.raises(BufferError):
        p.produce("full", b"x")
    assert p.flush(10) == 0
    p.produce("full", b"fits again")
    assert p.flush(10) == 0
