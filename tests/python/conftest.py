"""Shared fixtures for Shoal's Python tests. Every broker a test starts is stopped by the
fixture that started it, by pid, even when the test fails."""

from __future__ import annotations

import signal
import time
from collections.abc import Callable, Iterator

import pytest

import shoal
import shoal.cluster

# A background job of a non-interactive shell starts with SIGINT ignored, and an ignored signal
# stays ignored across exec: the Python scripts the tests start would then never see Ctrl+C.
# A handler (unlike SIG_IGN) is reset to the default by exec, so each child installs Python's
# KeyboardInterrupt handler as it would in a terminal.
if signal.getsignal(signal.SIGINT) == signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)


# --- tiers (pyproject.toml's markers) ---

_unit_test_running: str | None = None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """A test is an integration test unless it says it is a unit test."""
    for item in items:
        if item.get_closest_marker("unit") is None:
            item.add_marker(pytest.mark.integration)


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    global _unit_test_running
    _unit_test_running = item.nodeid if item.get_closest_marker("unit") else None


def pytest_runtest_teardown(item: pytest.Item) -> None:
    global _unit_test_running
    _unit_test_running = None


def _refuse_brokers_in_unit_tests(start: Callable[..., object]) -> Callable[..., object]:
    def guarded(*args: object, **kwargs: object) -> object:
        if _unit_test_running is not None:
            raise AssertionError(
                f"{_unit_test_running} is marked unit but starts a broker: make it integration"
            )
        return start(*args, **kwargs)

    return guarded


# Every broker a test starts goes through one of these (session fixtures included: they are set
# up inside the first test that asks for them).
shoal.cluster.Cluster._spawn = _refuse_brokers_in_unit_tests(shoal.cluster.Cluster._spawn)  # type: ignore[method-assign]
shoal.cluster.start_cluster = _refuse_brokers_in_unit_tests(shoal.cluster.start_cluster)


def wait_for(cond: Callable[[], object], timeout: float = 10.0, what: str = "condition") -> object:
    """Polls `cond` until it is truthy; fails the test after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = cond()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.01)


@pytest.fixture
def cluster1() -> Iterator[shoal.Cluster]:
    """A one-broker cluster in a temporary directory."""
    with shoal.Cluster(brokers=1) as c:
        yield c


@pytest.fixture
def conf(cluster1: shoal.Cluster) -> dict[str, str]:
    return {"bootstrap.servers": cluster1.bootstrap_servers}


def create_topic(
    conf: dict[str, str], name: str, partitions: int = 1, rf: int = 1, **config: str
) -> None:
    admin = shoal.AdminClient(conf)
    fs = admin.create_topics([shoal.NewTopic(name, partitions, rf, config=config or None)])
    fs[name].result(30)
    admin.close()


def consume_all(
    conf: dict[str, str], topic: str, expected: int, partitions: int = 1, timeout: float = 60.0
) -> list[shoal.Message]:
    """Reads `expected` records of every partition from the beginning."""
    c = shoal.Consumer(conf)
    c.assign([shoal.TopicPartition(topic, p, shoal.OFFSET_BEGINNING) for p in range(partitions)])
    out: list[shoal.Message] = []
    deadline = time.monotonic() + timeout
    while len(out) < expected and time.monotonic() < deadline:
        for m in c.consume(num_messages=10_000, timeout=0.2):
            if m.error() is None:
                out.append(m)
    c.close()
    return out
