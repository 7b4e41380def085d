import re
import subprocess
import sys

import pytest

import shoal

pytestmark = pytest.mark.unit


def test_version_is_set():
    assert re.fullmatch(r"\d+\.\d+\.\d+.*", shoal.__version__)


def test_version_matches_package_metadata():
    from importlib.metadata import version

    assert shoal.__version__ == version("shoal")


def test_log_append_bench_prints_its_figures():
    out = subprocess.run(
        [sys.executable, "-m", "shoal.bench", "log-append", "--records", "20000", "--rounds", "1"],
        check=True,
        capture_output=True,
        text=True,
        timeout=120,
    ).stdout
    assert re.search(r"log append: +[\d,]+ records/s, [\d,.]+ MB/s", out), out
    assert re.search(r"plain write\(\): +[\d,.]+ MB/s", out), out
    assert re.search(r"^log-append/plain-write = \d+\.\d\d$", out, re.M), out


def test_bench_refuses_bad_arguments():
    r = subprocess.run(
        [sys.executable, "-m", "shoal.bench", "log-append", "--records", "0"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert r.returncode != 0
    assert "--records must be positive" in r.stderr
