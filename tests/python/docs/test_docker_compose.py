"""docker-compose.yml: valid for docker-compose, with the services the docs name, sharing one
IPC namespace and the cluster's volume, built from the Dockerfile. No engine runs here:
`docker-compose config` parses, validates and resolves the file as `up` would, and the tests
read what it prints."""

from __future__ import annotations

import fnmatch
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[3]
BROKERS = ["broker-1", "broker-2", "broker-3"]
SERVICES = {*BROKERS, "jupyter"}
SERVICE_NAME = re.compile(r"\b(broker-\d+|jupyter)\b")


@pytest.fixture(scope="module")
def config() -> dict:
    exe = shutil.which("docker-compose")
    assert exe, (
        "docker-compose is not on PATH: it is one of scripts/system-packages.txt, which "
        "`make test` installs (bash scripts/install-system-packages.sh)"
    )
    out = subprocess.run(
        [exe, "-f", str(ROOT / "docker-compose.yml"), "config"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
        stdin=subprocess.DEVNULL,
    )
    assert out.returncode == 0, out.stderr
    return yaml.safe_load(out.stdout)


def mounts(service: dict) -> list[tuple[str, str]]:
    """(source, target) of each volume, from the short or the long syntax."""
    out = []
    for v in service.get("volumes", []):
        if isinstance(v, str):
            source, target = v.split(":")[:2]
        else:
            source, target = v["source"], v["target"]
        out.append((source, target))
    return out


def test_every_service_the_docs_mention_is_defined(config: dict) -> None:
    assert set(config["services"]) == SERVICES
    for doc in ("README.md", "docs/docker.md"):
        named = set(SERVICE_NAME.findall((ROOT / doc).read_text()))
        assert named <= SERVICES, f"{doc} names services that do not exist: {named - SERVICES}"
    # docs/docker.md describes every one.
    assert set(SERVICE_NAME.findall((ROOT / "docs/docker.md").read_text())) == SERVICES


def test_the_services_share_broker_1s_ipc_namespace(config: dict) -> None:
    services = config["services"]
    assert services["broker-1"]["ipc"] == "shareable"
    for name in SERVICES - {"broker-1"}:
        assert services[name]["ipc"] == "service:broker-1", name
        assert "shm_size" not in services[name], f"{name}: /dev/shm is broker-1's"
    # Docker's default /dev/shm (64 MB) holds one client connection: the size is set.
    size = services["broker-1"]["shm_size"]
    assert re.fullmatch(r"\d+[gG][bB]?", str(size)), size
    # Restarted alone, broker-1 would come back with an empty /dev/shm the others do not share.
    assert services["broker-1"]["restart"] == "no"


def test_the_cluster_volume_is_mounted_in_every_service(config: dict) -> None:
    assert "cluster-data" in config["volumes"]
    for name, s in config["services"].items():
        assert ("cluster-data", "/data") in mounts(s), name


def test_each_broker_runs_its_id_in_the_foreground_in_the_shared_directory(config: dict) -> None:
    for i, name in enumerate(BROKERS, start=1):
        s = config["services"][name]
        cmd = s["command"]
        assert cmd[:3] == ["shoal", "broker", "start"]
        assert cmd[cmd.index("--id") + 1] == str(i)
        assert cmd[cmd.index("--dir") + 1] == "/data"
        assert cmd[cmd.index("--cluster") + 1] == "shoal"
        # tini forwards docker stop's SIGTERM: a clean shutdown, leaderships handed over.
        assert s.get("init") is True, name


def test_each_broker_publishes_its_kafka_listener_on_loopback(config: dict) -> None:
    """Kafka clients on the host: bootstrap.servers=localhost:9092 finds all three brokers,
    each advertised at the address published for it."""
    for i, name in enumerate(BROKERS, start=1):
        s = config["services"][name]
        port = 9091 + i
        (published,) = s["ports"]
        if isinstance(published, str):
            assert published.split("/")[0] == f"127.0.0.1:{port}:{port}", published
        else:
            assert (published["host_ip"], str(published["published"]), published["target"]) == (
                "127.0.0.1",
                str(port),
                port,
            )
        cmd = s["command"]
        assert f"listeners=PLAINTEXT://0.0.0.0:{port}" in cmd
        assert f"advertised.listeners=PLAINTEXT://localhost:{port}" in cmd


def test_jupyter_mounts_the_notebooks_on_loopback_only(config: dict) -> None:
    jupyter = config["services"]["jupyter"]
    assert (str(ROOT / "notebooks"), "/work/notebooks") in mounts(jupyter)
    assert jupyter["command"][:2] == ["jupyter", "lab"]
    assert "--notebook-dir=/work" in jupyter["command"]
    assert jupyter.get("init") is True  # reaps the brokers the notebooks start
    # No token: the port is published on the host's loopback only.
    (port,) = jupyter["ports"]
    if isinstance(port, str):
        assert port.startswith("127.0.0.1:8888:8888"), port
    else:
        assert (port["host_ip"], str(port["published"]), port["target"]) == (
            "127.0.0.1",
            "8888",
            8888,
        )


def test_every_service_builds_from_the_dockerfile(config: dict) -> None:
    for name, s in config["services"].items():
        context = Path(s["build"]["context"])
        assert context.resolve() == ROOT, name
        assert (context / s["build"].get("dockerfile", "Dockerfile")).is_file(), name


def test_the_dockerfile_installs_shoal_and_jupyterlab() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert re.search(r"pip wheel .* \.\s*$", dockerfile, re.M), "builds the repository's wheel"
    assert re.search(r"pip install .*shoal-\*\.whl.* jupyterlab", dockerfile)
    # Every Debian library the build needs (scripts/system-packages.txt) is installed.
    needed = (ROOT / "scripts/system-packages.txt").read_text().split()
    for pkg in needed:
        if pkg.startswith("lib") and pkg not in ("libgtest-dev", "libgmock-dev"):
            assert re.search(rf"\s{re.escape(pkg)}\s", dockerfile), f"{pkg} is not installed"


def test_what_the_dockerfile_copies_is_in_the_build_context() -> None:
    ignored = [
        line.strip()
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    copies = re.findall(r"^COPY (?!--from)(.+) \S+$", (ROOT / "Dockerfile").read_text(), re.M)
    sources = [src for line in copies for src in line.split()]
    assert {"pyproject.toml", "CMakeLists.txt", "cpp", "python", "examples"} <= set(sources)
    for src in sources:
        assert (ROOT / src).exists(), src
        assert not any(fnmatch.fnmatch(src, p) for p in ignored), f"{src} is in .dockerignore"
