"""docker-compose.yml: valid for docker-compose, with the services the docs name, sharing one
IPC namespace and the cluster's volume. (No engine runs here: `docker-compose config` parses
and validates the file as `up` would.)"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
BROKERS = ["broker-1", "broker-2", "broker-3"]


@pytest.fixture(scope="module")
def config() -> dict:
    exe = shutil.which("docker-compose")
    assert exe, "docker-compose is missing: `make test` installs Debian's docker-compose package"
    out = subprocess.run(
        [exe, "-f", str(ROOT / "docker-compose.yml"), "config"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
    )
    assert out.returncode == 0, out.stderr
    return yaml.safe_load(out.stdout)


def test_every_service_the_docs_mention_is_defined(config: dict) -> None:
    services = set(config["services"])
    assert services == {*BROKERS, "jupyter"}
    for doc in ("README.md", "docs/docker.md"):
        text = (ROOT / doc).read_text()
        named = set(re.findall(r"`(broker-\d|jupyter)`", text))
        assert named <= services, f"{doc} names {named - services}"
    assert set(re.findall(r"`(broker-\d|jupyter)`", (ROOT / "docs/docker.md").read_text())) == (
        services
    )


def test_the_services_share_one_ipc_namespace_and_the_volume(config: dict) -> None:
    services = config["services"]
    assert services["broker-1"]["ipc"] == "shareable"
    for name in ["broker-2", "broker-3", "jupyter"]:
        assert services[name]["ipc"] == "service:broker-1", name
    for name, s in services.items():
        mounts = [v if isinstance(v, str) else f"{v['source']}:{v['target']}" for v in s["volumes"]]
        assert any(m.startswith("cluster-data:/data") for m in mounts), name
    assert "cluster-data" in config["volumes"]


def test_each_broker_runs_its_own_id_in_the_shared_directory(config: dict) -> None:
    for i, name in enumerate(BROKERS, start=1):
        cmd = config["services"][name]["command"]
        assert cmd[:3] == ["shoal", "broker", "start"]
        assert cmd[cmd.index("--id") + 1] == str(i)
        assert cmd[cmd.index("--dir") + 1] == "/data"
        assert cmd[cmd.index("--cluster") + 1] == "shoal"


def test_jupyter_mounts_the_notebooks_and_builds_from_the_dockerfile(config: dict) -> None:
    jupyter = config["services"]["jupyter"]
    mounts = [
        v if isinstance(v, str) else f"{v['source']}:{v['target']}" for v in jupyter["volumes"]
    ]
    assert any(
        m.split(":")[0] == str(ROOT / "notebooks") and ":/work/notebooks" in m for m in mounts
    )
    assert "8888:8888" in str(jupyter["ports"][0]) or jupyter["ports"][0].get("published") in (
        8888,
        "8888",
    )
    for s in config["services"].values():
        assert Path(s["build"]["context"]).resolve() == ROOT
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "pip install" in dockerfile and "jupyterlab" in dockerfile
    # Every Debian package the build needs is installed in the image.
    needed = (ROOT / "scripts/system-packages.txt").read_text().split()
    for pkg in needed:
        if pkg.startswith("lib") and pkg not in ("libgtest-dev", "libgmock-dev"):
            assert pkg in dockerfile, f"the Dockerfile does not install {pkg}"
