"""Every notebook in notebooks/ runs top to bottom without an error, within its time limit,
and stops the cluster it started."""

from __future__ import annotations

import os
import signal
import sys
import time
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOKS = sorted((Path(__file__).resolve().parents[3] / "notebooks").glob("*.ipynb"))
# Each runs in under 2 minutes on a loaded 2-core machine; the cells' own waits have deadlines.
TIMEOUT_S = 120

pytestmark = [pytest.mark.timeout(TIMEOUT_S + 60), pytest.mark.slow]


def _brokers(under: Path) -> set[int]:
    """Pids of the shoal-broker processes whose cluster directory is under `under`: the
    notebook's own (its kernel's TMPDIR), never a broker some other run on this host started."""
    out = set()
    want = str(under.resolve()).encode() + b"/"
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                args = (d / "cmdline").read_bytes().split(b"\0")
            except OSError:
                continue
            if not args[0].endswith(b"shoal-broker"):
                continue
            dirs = [args[i + 1] for i, a in enumerate(args[:-1]) if a == b"--dir"]
            if any(x.startswith(want) for x in dirs):
                out.add(int(d.name))
    return out


def test_there_is_a_notebook_per_part_of_the_model() -> None:
    names = [nb.stem for nb in NOTEBOOKS]
    assert names == [
        "01-quickstart",
        "02-partitions-and-keys",
        "03-consumer-groups",
        "04-replication-and-failover",
        "05-acks-and-delivery-semantics",
        "06-avro-and-schema-evolution",
        "07-retention-and-compaction",
    ]
    for nb in NOTEBOOKS:
        cells = nbformat.read(nb, as_version=4).cells
        assert all(not c.get("outputs") for c in cells if c.cell_type == "code"), (
            f"{nb.name} is committed with outputs"
        )


def test_a_leaked_broker_would_be_found(tmp_path: Path) -> None:
    import shoal

    with shoal.Cluster(brokers=1, dir=tmp_path / "c") as c:
        assert _brokers(tmp_path) == {c.pid(1)}
        assert _brokers(tmp_path / "elsewhere") == set()
    assert _brokers(tmp_path) == set()


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[nb.stem for nb in NOTEBOOKS])
def test_notebook_runs(path: Path, tmp_path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb,
        timeout=TIMEOUT_S,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
    )
    # The kernel is this interpreter (jupyter_client runs a "python" kernelspec with
    # sys.executable), with the brokers' scratch directories in this test's directory.
    env = {**os.environ, "TMPDIR": str(tmp_path), "MPLBACKEND": "Agg"}
    started = time.monotonic()
    try:
        client.execute(env=env)
    finally:
        leaked = _brokers(tmp_path)
        for pid in leaked:
            os.kill(pid, signal.SIGKILL)
    took = time.monotonic() - started
    print(f"{path.name}: {took:.1f} s", file=sys.stderr)
    assert not leaked, f"{path.name} left {len(leaked)} broker(s) running"
    assert took < TIMEOUT_S
