"""What the `shoal` commands share: the --bootstrap-server option, key=value arguments and
properties files as Kafka's tools read them, progress lines, and the text of an error."""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any, NoReturn

DEFAULT_BOOTSTRAP = "shm://default"


def default_bootstrap() -> str:
    """Where a command goes without --bootstrap-server: SHOAL_BOOTSTRAP, else shm://default
    (docs/docker.md: a container sets it once for every command)."""
    return os.environ.get("SHOAL_BOOTSTRAP") or DEFAULT_BOOTSTRAP


def add_bootstrap(p: argparse.ArgumentParser) -> None:
    """--bootstrap-server, for every command that talks to a cluster: the flag, then
    SHOAL_BOOTSTRAP, then shm://default (read when the parser is built, so by main())."""
    p.add_argument(
        "--bootstrap-server",
        default=default_bootstrap(),
        metavar="shm://NAME|HOST:PORT",
        help="the cluster: shm://NAME over shared memory, or HOST:PORT,... over TCP "
        f"(default: SHOAL_BOOTSTRAP, else {DEFAULT_BOOTSTRAP})",
    )


def bootstrap(args: argparse.Namespace) -> str:
    """The cluster a command was pointed at (see add_bootstrap)."""
    return getattr(args, "bootstrap_server", None) or default_bootstrap()


def progress(msg: str) -> None:
    """A progress line of a long operation, on stderr so that stdout stays the result."""
    print(f"shoal: {msg}", file=sys.stderr, flush=True)


def fail(msg: str) -> NoReturn:
    """A usage error: one line on stderr, exit status 1."""
    raise SystemExit(f"shoal: {msg}")


def key_values(items: list[str] | None, what: str, split_commas: bool = False) -> dict[str, str]:
    """``--x k=v --x k2=v2``: each argument split at its first '=', as Kafka's
    CommandLineUtils.parseKeyValueArgs does. With `split_commas`, an argument may also hold
    several pairs, ``k=v,k2=v2`` (broker overrides and client properties, whose values have no
    commas); without it a value may hold commas."""
    out: dict[str, str] = {}
    for item in items or []:
        for pair in item.split(",") if split_commas else [item]:
            if split_commas and not pair:
                continue
            if "=" not in pair:
                fail(f"{what} '{pair}' is not key=value")
            k, v = pair.split("=", 1)
            out[k.strip()] = v.strip() if split_commas else v
    return out


def props(pairs: list[str] | None) -> dict[str, str]:
    """Broker and client properties given as ``k=v`` or ``k=v,k2=v2`` arguments."""
    return key_values(pairs, "property", split_commas=True)


def load_properties(path: str | os.PathLike[str]) -> dict[str, str]:
    """A Java properties file, the common subset: ``key=value`` or ``key: value`` lines,
    ``#`` and ``!`` comments, surrounding blanks stripped."""
    out: dict[str, str] = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if not line or line[0] in "#!":
                continue
            cut = min((i for i in (line.find("="), line.find(":")) if i >= 0), default=-1)
            if cut < 0:
                out[line] = ""
            else:
                out[line[:cut].strip()] = line[cut + 1 :].strip()
    return out


def error_text(e: BaseException) -> str:
    """The message of an exception, a KafkaException's as its KafkaError reads."""
    arg = e.args[0] if e.args else None
    if arg is not None and hasattr(arg, "str") and callable(arg.str):
        return str(arg.str())
    return str(e)


def admin_conf(args: argparse.Namespace, extra: dict[str, Any] | None = None) -> dict[str, Any]:
    conf: dict[str, Any] = {}
    if getattr(args, "command_config", None):
        conf.update(load_properties(args.command_config))
    conf.update(extra or {})
    conf["bootstrap.servers"] = args.bootstrap_server
    return conf


class HelpFormatter(argparse.RawDescriptionHelpFormatter):
    """Keeps text that is laid out already (a docstring, an examples epilog: it has line
    breaks) as written, and wraps a one-line description to the terminal's width."""

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        if "\n" in text.strip():
            return super()._fill_text(text, width, indent)
        return argparse.HelpFormatter._fill_text(self, text, width, indent)
