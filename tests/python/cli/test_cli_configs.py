"""`shoal configs` (kafka-configs.sh) as a subprocess against one 3-broker cluster: topic
configs, the cluster-wide dynamic broker defaults and one broker's dynamic configs, described
and altered with Kafka's output lines, and its errors as one line with exit status 1."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

import shoal
from conftest import wait_for
from shoal.admin import AlterConfigOpType, ConfigEntry, ConfigResource
from shoal.cli.configs import parse_add_config

TIMEOUT = 60  # seconds for any one command or wait; they take well under one
CLI = [sys.executable, "-m", "shoal.cli"]

# "  name=value sensitive=false synonyms={SOURCE:name=value, ...}", as ConfigCommand prints it.
ENTRY = re.compile(r"  ([\w.]+)=(\S*) sensitive=(true|false) synonyms=\{(.*)\}")
TOPIC_LINE = re.compile(
    r"Topic: (\S+)(?:\tTopicId: \S+)?\tPartitionCount: \d+\tReplicationFactor: \d+\tConfigs: (.*)"
)


def shoal_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*CLI, *args], capture_output=True, text=True, timeout=TIMEOUT, stdin=subprocess.DEVNULL
    )


@pytest.fixture(scope="module")
def cluster() -> Iterator[shoal.Cluster]:
    with shoal.Cluster(brokers=3) as c:
        yield c


@pytest.fixture(scope="module")
def bs(cluster: shoal.Cluster) -> str:
    return cluster.bootstrap_servers


def configs(bs: str, *args: str) -> subprocess.CompletedProcess[str]:
    return shoal_cli("configs", "--bootstrap-server", bs, *args)


def create(bs: str, topic: str, *extra: str) -> None:
    out = shoal_cli(
        "topics", "--bootstrap-server", bs, "--create", "--topic", topic, "--partitions", "2",
        "--replication-factor", "3", *extra,
    )  # fmt: skip
    assert (out.returncode, out.stdout) == (0, f"Created topic {topic}.\n"), out.stderr


def until(bs: str, args: list[str], ok: Callable[[str], bool], what: str) -> list[str]:
    """Runs `shoal configs ARGS` until its output satisfies `ok` (a change made through one
    broker is described by any), with a deadline; returns its lines."""
    last: list[subprocess.CompletedProcess[str]] = []

    def check() -> bool:
        last[:] = [configs(bs, *args)]
        return last[0].returncode == 0 and ok(last[0].stdout)

    wait_for(check, TIMEOUT, what)
    return last[0].stdout.splitlines()


def entries(lines: list[str]) -> dict[str, re.Match[str]]:
    """The config lines after a heading, by name, checked against Kafka's format and order."""
    found = {}
    for line in lines:
        m = ENTRY.fullmatch(line)
        assert m is not None, line
        found[m.group(1)] = m
    assert list(found) == sorted(found), "Kafka's tool sorts the configs by name"
    return found


def topic_configs(bs: str, topic: str) -> str:
    """The Configs: field of `shoal topics --describe`."""
    out = shoal_cli("topics", "--bootstrap-server", bs, "--describe", "--topic", topic)
    head = TOPIC_LINE.fullmatch(out.stdout.splitlines()[0])
    assert head is not None, out.stdout
    return head.group(2)


def test_add_config_syntax_is_kafkas() -> None:
    assert parse_add_config("retention.ms=1000") == {"retention.ms": "1000"}
    assert parse_add_config("a=1, b = 2 ,cleanup.policy=[delete,compact],") == {
        "a": "1",
        "b": "2",
        "cleanup.policy": "delete,compact",
    }
    assert parse_add_config("k=[x=1,y=2]") == {"k": "x=1,y=2"}
    assert parse_add_config("ssl.endpoint.identification.algorithm=") == {
        "ssl.endpoint.identification.algorithm": ""
    }


# ---- topics ----


def test_configs_describe_alter_and_delete_topic_configs(tmp_path: Path, bs: str) -> None:
    create(bs, "cfg", "--config", "retention.ms=1000")
    out = configs(bs, "--describe", "--topic", "cfg")
    assert (out.returncode, out.stderr) == (0, "")
    lines = out.stdout.splitlines()
    assert lines[0] == "Dynamic configs for topic cfg are:"
    assert len(lines) == 2
    assert re.fullmatch(
        r"  retention\.ms=1000 sensitive=false synonyms=\{DYNAMIC_TOPIC_CONFIG:retention\.ms=1000"
        r", DEFAULT_CONFIG:log\.retention\.\w+=\d+\}",
        lines[1],
    ), lines[1]

    added = configs(
        bs,
        "--alter",
        "--topic",
        "cfg",
        "--add-config",
        "retention.ms=86400000,cleanup.policy=[delete,compact],max.message.bytes=2000",
    )
    assert (added.returncode, added.stdout, added.stderr) == (
        0,
        "Completed updating config for topic cfg.\n",
        "",
    )
    lines = until(
        bs,
        ["--describe", "--entity-type", "topics", "--entity-name", "cfg"],
        lambda s: "max.message.bytes=2000" in s,
        "cfg's new configs described",
    )
    assert lines[0] == "Dynamic configs for topic cfg are:"
    found = entries(lines[1:])
    assert list(found) == ["cleanup.policy", "max.message.bytes", "retention.ms"]
    assert found["retention.ms"].group(2) == "86400000"
    assert found["max.message.bytes"].group(2) == "2000"
    assert sorted(found["cleanup.policy"].group(2).split(",")) == ["compact", "delete"]
    for name, m in found.items():
        assert m.group(3) == "false"
        assert m.group(4).startswith(f"DYNAMIC_TOPIC_CONFIG:{name}="), m.group(0)

    # The altered retention.ms is what `topics --describe` shows too.
    assert re.search(r"(^|,)retention\.ms=86400000(,|$)", topic_configs(bs, "cfg"))

    every = configs(bs, "--describe", "--all", "--topic", "cfg")
    assert every.returncode == 0, every.stderr
    lines = every.stdout.splitlines()
    assert lines[0] == "All configs for topic cfg are:"
    found = entries(lines[1:])
    assert {"cleanup.policy", "min.insync.replicas", "retention.ms", "segment.bytes"} <= set(found)
    assert found["retention.ms"].group(2) == "86400000"
    assert (
        "  segment.bytes=1073741824 sensitive=false "
        "synonyms={DEFAULT_CONFIG:log.segment.bytes=1073741824}"
    ) in lines

    deleted = configs(
        bs, "--alter", "--topic", "cfg", "--delete-config", "max.message.bytes,cleanup.policy"
    )
    assert (deleted.returncode, deleted.stdout) == (0, "Completed updating config for topic cfg.\n")
    lines = until(
        bs,
        ["--describe", "--topic", "cfg"],
        lambda s: "cleanup.policy" not in s and "max.message.bytes" not in s,
        "cfg's configs deleted",
    )
    assert [m.group(1, 2) for m in entries(lines[1:]).values()] == [("retention.ms", "86400000")]

    # A properties file, as --add-config-file; deletion and addition in one command.
    props = tmp_path / "cfg.properties"
    props.write_text("# more retention\nretention.bytes=1048576\n")
    both = configs(
        bs,
        "--alter",
        "--topic",
        "cfg",
        "--add-config-file",
        str(props),
        "--delete-config",
        "retention.ms",
    )
    assert (both.returncode, both.stdout) == (0, "Completed updating config for topic cfg.\n")
    lines = until(
        bs,
        ["--describe", "--topic", "cfg"],
        lambda s: "retention.ms" not in s,
        "retention.ms replaced by retention.bytes",
    )
    assert [m.group(1, 2) for m in entries(lines[1:]).values()] == [("retention.bytes", "1048576")]

    # Only a config set on the topic can be deleted, as Kafka's tool checks.
    unset = configs(bs, "--alter", "--topic", "cfg", "--delete-config", "segment.bytes")
    assert (unset.returncode, unset.stdout, unset.stderr) == (
        1,
        "",
        "Invalid config(s): segment.bytes\n",
    )


def test_configs_describes_every_topic_without_a_name(bs: str) -> None:
    create(bs, "cfg-a", "--config", "retention.ms=5000")
    create(bs, "cfg-b")
    out = configs(bs, "--describe", "--entity-type", "topics")
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    a = lines.index("Dynamic configs for topic cfg-a are:")
    b = lines.index("Dynamic configs for topic cfg-b are:")
    assert b == a + 2
    assert ENTRY.fullmatch(lines[a + 1]).group(1, 2) == ("retention.ms", "5000")  # type: ignore[union-attr]


def test_configs_errors_are_one_line_with_status_1(bs: str) -> None:
    def refused(out: subprocess.CompletedProcess[str], *words: str) -> None:
        assert (out.returncode, out.stdout) == (1, ""), out.stdout
        assert len(out.stderr.splitlines()) == 1, out.stderr
        for word in words:
            assert word in out.stderr

    missing = configs(bs, "--describe", "--topic", "nosuch")
    assert (missing.returncode, missing.stdout, missing.stderr) == (
        1,
        "",
        "The topic 'nosuch' doesn't exist and doesn't have dynamic config.\n",
    )
    refused(configs(bs, "--describe", "--all", "--topic", "nosuch"), "nosuch")
    alter_missing = configs(bs, "--alter", "--topic", "nosuch", "--add-config", "retention.ms=1")
    refused(alter_missing, "nosuch")
    assert alter_missing.stderr.startswith(
        f"Error while executing config command with args '--bootstrap-server {bs} --alter "
    )
    no_broker = configs(bs, "--describe", "--broker", "9")
    assert no_broker.stderr == "The broker '9' doesn't exist and doesn't have dynamic config.\n"
    refused(configs(bs, "--alter", "--broker", "9", "--add-config", "min.insync.replicas=2"), "9")

    # Keys a broker cannot change while it runs are refused by name, and nothing is applied.
    refused(
        configs(bs, "--alter", "--broker", "1", "--add-config", "num.partitions=4"),
        "num.partitions",
    )
    refused(
        configs(
            bs,
            "--alter",
            "--broker-defaults",
            "--add-config",
            "log.dirs=/tmp/x,log.retention.ms=1000",
        ),
        "log.dirs",
    )
    defaults = configs(bs, "--describe", "--broker-defaults")
    assert defaults.stdout == "Default configs for brokers in the cluster are:\n"

    create(bs, "cfg-err")
    refused(
        configs(bs, "--alter", "--topic", "cfg-err", "--add-config", "retention.ms=abc"),
        "retention.ms",
    )
    refused(configs(bs, "--alter", "--topic", "cfg-err", "--add-config", "no.such=1"), "no.such")

    # Kafka's argument checks, in its words.
    def says(out: subprocess.CompletedProcess[str], message: str) -> None:
        assert (out.returncode, out.stdout, out.stderr) == (1, "", message + "\n")

    says(
        configs(bs, "--alter", "--topic", "cfg-err", "--add-config", "retention.ms"),
        'Invalid entity config: all configs to be added must be in the format "key=val" or  '
        '"key=[val1,val2]" to group values which contain commas.',
    )
    says(
        configs(bs, "--alter", "--topic", "cfg-err", "--add-config", "bad key=1"),
        "Invalid character found for config key: bad key",
    )
    says(
        configs(bs, "--alter", "--topic", "cfg-err"),
        "At least one of --add-config, --add-config-file, or --delete-config must be specified "
        "with --alter",
    )
    says(
        configs(bs, "--topic", "cfg-err"),
        "shoal: Command must include exactly one action: --describe, --alter",
    )
    says(
        configs(bs, "--describe", "--topic", "cfg-err", "--add-config", "a=1"),
        'shoal: Option "[describe]" can\'t be used with option "[add-config]"',
    )
    says(
        configs(bs, "--describe", "--entity-type", "users"),
        "Invalid entity type users, the entity type must be one of topics, brokers with a "
        "--bootstrap-server argument",
    )
    says(
        configs(bs, "--alter", "--broker", "one", "--add-config", "min.insync.replicas=2"),
        "The entity name for brokers must be a valid integer broker id, but it is: one",
    )
    says(
        configs(bs, "--alter", "--entity-type", "topics", "--add-config", "retention.ms=1"),
        "An entity name must be specified with --alter of topics",
    )
    says(
        configs(bs, "--describe", "--topic", "cfg-err", "--entity-type", "topics"),
        "Duplicate entity type(s) specified: topics",
    )


# ---- brokers (last: they change what every topic inherits, and put it back) ----


def _reset_brokers(bs: str) -> None:
    admin = shoal.AdminClient({"bootstrap.servers": bs})
    try:
        for name, key in (("", "log.retention.ms"), ("2", "min.insync.replicas")):
            r = ConfigResource("broker", name)
            r.add_incremental_config(
                ConfigEntry(key, None, incremental_operation=AlterConfigOpType.DELETE)
            )
            admin.incremental_alter_configs([r])[r].result(TIMEOUT)
    finally:
        admin.close()


def test_configs_broker_defaults_and_one_broker(bs: str) -> None:
    create(bs, "inherits")
    empty = configs(bs, "--describe", "--entity-type", "brokers", "--entity-default")
    assert (empty.returncode, empty.stdout) == (
        0,
        "Default configs for brokers in the cluster are:\n",
    )
    try:
        done = configs(
            bs,
            "--alter",
            "--entity-type",
            "brokers",
            "--entity-default",
            "--add-config",
            "log.retention.ms=7200000",
        )
        assert (done.returncode, done.stdout, done.stderr) == (
            0,
            "Completed updating default config for brokers in the cluster.\n",
            "",
        )
        lines = until(
            bs,
            ["--describe", "--broker-defaults"],
            lambda s: "log.retention.ms=7200000" in s,
            "the cluster-wide default described",
        )
        assert lines[0] == "Default configs for brokers in the cluster are:"
        found = entries(lines[1:])
        assert [m.group(1, 2, 3) for m in found.values()] == [
            ("log.retention.ms", "7200000", "false")
        ]

        # Every broker has it, and so has every topic without a retention.ms of its own.
        until(
            bs,
            ["--describe", "--all", "--broker", "3"],
            lambda s: "\n  log.retention.ms=7200000 sensitive=false " in s,
            "broker 3 to apply the default",
        )
        until(
            bs,
            ["--describe", "--all", "--topic", "inherits"],
            lambda s: "\n  retention.ms=7200000 sensitive=false " in s,
            "the topic to inherit it",
        )
        assert re.search(r"(^|,)retention\.ms=7200000(,|$)", topic_configs(bs, "inherits"))

        one = configs(bs, "--alter", "--broker", "2", "--add-config", "min.insync.replicas=2")
        assert (one.returncode, one.stdout) == (0, "Completed updating config for broker 2.\n")
        lines = until(
            bs,
            ["--describe", "--entity-type", "brokers"],
            lambda s: "min.insync.replicas=2" in s,
            "broker 2's own config described",
        )
        sections: dict[str, list[tuple[str, str]]] = {}
        for line in lines:
            if line.startswith("  "):
                entry = entries([line]).popitem()[1]
                sections[list(sections)[-1]].append(entry.group(1, 2))
            else:
                sections[line] = []
        assert sections == {
            "Dynamic configs for broker 1 are:": [],
            "Dynamic configs for broker 2 are:": [("min.insync.replicas", "2")],
            "Dynamic configs for broker 3 are:": [],
            "Default configs for brokers in the cluster are:": [("log.retention.ms", "7200000")],
        }
        assert list(sections)[-1].startswith("Default"), "the defaults come after the brokers"

        # --all: every broker config, static ones included; broker 1 keeps its own value.
        every = configs(bs, "--describe", "--all", "--entity-type", "brokers", "--entity-name", "1")
        assert every.returncode == 0, every.stderr
        lines = every.stdout.splitlines()
        assert lines[0] == "All configs for broker 1 are:"
        found = entries(lines[1:])
        assert {"log.dirs", "num.partitions", "log.retention.ms"} <= set(found)
        assert found["min.insync.replicas"].group(2) == "1"
        assert found["log.retention.ms"].group(2) == "7200000"

        gone = configs(bs, "--alter", "--broker", "2", "--delete-config", "min.insync.replicas")
        assert (gone.returncode, gone.stdout) == (0, "Completed updating config for broker 2.\n")
        until(
            bs,
            ["--describe", "--broker", "2"],
            lambda s: s == "Dynamic configs for broker 2 are:\n",
            "broker 2's config deleted",
        )
        gone = configs(bs, "--alter", "--broker-defaults", "--delete-config", "log.retention.ms")
        assert (gone.returncode, gone.stdout) == (
            0,
            "Completed updating default config for brokers in the cluster.\n",
        )
        until(
            bs,
            ["--describe", "--broker-defaults"],
            lambda s: s == "Default configs for brokers in the cluster are:\n",
            "the default deleted",
        )
        assert "retention.ms" not in topic_configs(bs, "inherits")
    finally:
        _reset_brokers(bs)
