"""`shoal notebooks [DIR]`: the notebooks and examples that ship inside the package are the
repository's, copied without clobbering a user's edits, and JupyterLab serves them."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]
CLI = [sys.executable, "-m", "shoal.cli"]


def notebooks(*args: str, **kw: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*CLI, "notebooks", *args], capture_output=True, text=True, timeout=120, **kw
    )


def shipped(d: Path) -> dict[str, bytes]:
    return {str(p.relative_to(d)): p.read_bytes() for p in sorted(d.rglob("*")) if p.is_file()}


@pytest.mark.unit
def test_the_package_ships_the_repositorys_notebooks_and_examples(tmp_path: Path) -> None:
    out = notebooks(str(tmp_path / "nb"), "--no-lab")
    assert out.returncode == 0, out.stderr
    want = {p.name: p.read_bytes() for p in (REPO / "notebooks").glob("*.ipynb")}
    want["README.md"] = (REPO / "notebooks" / "README.md").read_bytes()
    for p in (REPO / "examples").iterdir():
        if p.suffix == ".py" or p.name == "README.md":
            want[f"examples/{p.name}"] = p.read_bytes()
    assert shipped(tmp_path / "nb") == want
    assert len([n for n in want if n.endswith(".ipynb")]) >= 7


@pytest.mark.unit
def test_a_notebook_the_user_edited_is_kept_unless_forced(tmp_path: Path) -> None:
    d = tmp_path / "nb"
    assert notebooks(str(d), "--no-lab").returncode == 0
    mine = d / "01-quickstart.ipynb"
    mine.write_text("my edits")
    out = notebooks(str(d), "--no-lab")
    assert out.returncode == 0
    assert mine.read_text() == "my edits"
    assert "kept" in out.stderr and "01-quickstart.ipynb" in out.stderr
    assert notebooks(str(d), "--no-lab", "--force").returncode == 0
    assert mine.read_bytes() == (REPO / "notebooks" / "01-quickstart.ipynb").read_bytes()


@pytest.mark.unit
def test_without_jupyterlab_the_error_says_which_extra_to_install(tmp_path: Path) -> None:
    # A Python where `import jupyterlab` fails, as on a machine without the extra.
    code = (
        "import sys; sys.modules['jupyterlab'] = None; from shoal.cli import main; "
        f"sys.exit(main(['notebooks', {str(tmp_path / 'nb')!r}]))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 1
    assert "pip install 'shoal[notebooks]'" in out.stderr
    assert (tmp_path / "nb" / "01-quickstart.ipynb").exists()  # copied all the same


@pytest.mark.slow
def test_jupyterlab_serves_the_copied_notebooks(tmp_path: Path) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "JUPYTER_CONFIG_DIR": str(tmp_path / "cfg"), "HOME": str(tmp_path)}
    token = "shoal-test-token"
    proc = subprocess.Popen(
        [*CLI, "notebooks", str(tmp_path / "nb"), "--no-browser", "--port", str(port)],
        env={**env, "JUPYTER_TOKEN": token},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 90
        listing = None
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                req = urllib.request.Request(
                    f"http://127.0.0.1:{port}/api/contents/",
                    headers={"Authorization": f"token {token}"},
                )
                with urllib.request.urlopen(req, timeout=5) as r:
                    listing = r.read().decode()
                break
            except OSError:
                time.sleep(0.2)
        assert listing is not None, f"JupyterLab did not serve within 90 s (exit {proc.poll()})"
        names = set(re.findall(r'"name": ?"([^"]+)"', listing))
        assert "01-quickstart.ipynb" in names and "examples" in names, listing
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)
        assert proc.stdout is not None
        log = proc.stdout.read()
        proc.stdout.close()
    assert "Shutting down" in log or proc.returncode == 0, log
