"""`shoal --help` and every subcommand's --help: complete, and each with examples."""

from __future__ import annotations

import argparse
import subprocess
import sys
from collections.abc import Iterator

import pytest

from shoal.cli import build_parser

pytestmark = pytest.mark.unit

COMMANDS = [
    "cluster",
    "broker",
    "topics",
    "console-producer",
    "console-consumer",
    "consumer-groups",
    "configs",
    "perf",
    "schema-registry",
    "demo",
    "notebooks",
]
NESTED = [
    ("cluster", "up"),
    ("cluster", "status"),
    ("cluster", "down"),
    ("broker", "start"),
    ("perf", "producer"),
    ("perf", "consumer"),
    ("perf", "failover"),
]
EVERY = [(c,) for c in COMMANDS] + NESTED


def shoal_help(*command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "shoal.cli", *command, "--help"],
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )


def _subparsers(p: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in p._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def _parsers(
    p: argparse.ArgumentParser, path: tuple[str, ...] = ()
) -> Iterator[tuple[tuple[str, ...], argparse.ArgumentParser]]:
    yield path, p
    for name, child in _subparsers(p).items():
        yield from _parsers(child, (*path, name))


def test_the_lists_above_are_every_command() -> None:
    paths = [path for path, _ in _parsers(build_parser()) if path]
    assert sorted(paths) == sorted(EVERY)


def test_top_level_help_lists_every_command_with_examples() -> None:
    out = shoal_help()
    assert (out.returncode, out.stderr) == (0, "")
    listed = []
    lines = out.stdout.splitlines()
    start = lines.index("  COMMAND") + 1
    for line in lines[start:]:
        if not line.startswith("    "):
            break
        if not line.startswith("     "):  # a command's name, not its wrapped help
            listed.append(line.split()[0])
    assert sorted(listed) == sorted(COMMANDS)
    assert "\nexamples:\n" in out.stdout
    for command in COMMANDS:
        assert f"\n  shoal {command} " in out.stdout, f"no example of shoal {command}"


@pytest.mark.parametrize("command", EVERY, ids=" ".join)
def test_every_help_exits_0_with_examples(command: tuple[str, ...]) -> None:
    out = shoal_help(*command)
    assert (out.returncode, out.stderr) == (0, "")
    assert out.stdout.startswith(f"usage: shoal {' '.join(command)} ")
    assert "example" in out.stdout
    # The examples are laid out as written, one command a line.
    examples = out.stdout.split("\nexamples:\n", 1)[1].splitlines()
    assert examples and all(line.startswith("  ") for line in examples if line), examples
    assert any(line.startswith(f"  shoal {command[0]} ") for line in examples)


def test_every_option_has_help() -> None:
    for path, p in _parsers(build_parser()):
        assert p.description or not path, f"shoal {' '.join(path)} has no description"
        for action in p._actions:
            if isinstance(action, argparse._SubParsersAction):
                assert all(a.help for a in action._choices_actions), path
            else:
                assert action.help, f"shoal {' '.join(path)} {action.option_strings} has no help"
