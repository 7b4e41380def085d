"""docs/configuration.md is generated from the code's config definitions and up to date."""

from __future__ import annotations

import subprocess
import sys

import pytest

from shoal import _core
from shoal.cli import config_reference

pytestmark = pytest.mark.unit


def test_the_committed_reference_is_what_the_code_defines() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "shoal.cli.config_reference", "--check"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 0, out.stderr
    assert config_reference.DOC.read_text() == config_reference.render()


def test_the_reference_has_the_keys_users_look_for() -> None:
    defs = _core.config_definitions()
    client = {d["name"]: d for d in defs["client"]}
    assert client["acks"]["default"] == "all"
    assert client["enable.idempotence"]["default"] == "false"
    assert client["request.required.acks"]["alias_of"] == "acks"
    assert client["socket.keepalive.enable"]["ignored"]
    assert client["group.id"]["consumer"] and not client["group.id"]["producer"]
    canonical = [d for d in defs["client"] if not d["alias_of"]]
    assert all(d["doc"] for d in canonical), [d["name"] for d in canonical if not d["doc"]]
    assert "min.insync.replicas" in client["acks"]["doc"]
    broker = {d["name"]: d for d in defs["broker"]}
    assert broker["log.retention.ms"]["dynamic"]
    assert broker["log.retention.hours"]["default"] == "168"
    assert broker["log.retention.ms"]["topic_synonym"] == "retention.ms"
    assert not broker["broker.id"]["dynamic"]
    topic = {d["name"]: d for d in defs["topic"]}
    assert topic["cleanup.policy"]["default"] == "delete"
    assert topic["retention.ms"]["default"] == "604800000"
    text = config_reference.render()
    for name in ("`acks`", "`log.retention.ms`", "`cleanup.policy`", "`min.insync.replicas`"):
        assert name in text
    assert "| `acks` | `all` | all, -1, 0, 1 | ✓ |" in text


def test_check_fails_on_a_stale_file(tmp_path) -> None:
    stale = tmp_path / "configuration.md"
    stale.write_text("# old\n")
    assert config_reference.main(["--check", "--output", str(stale)]) == 1
    assert config_reference.main(["--output", str(stale)]) == 0
    assert config_reference.main(["--check", "--output", str(stale)]) == 0
