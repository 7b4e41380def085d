"""What the command-line tools share: the --bootstrap-server option, key=value arguments and
properties files as Kafka's tools read them, and the text of an error."""

from __future__ import annotations

import argparse
import os
from typing import Any, NoReturn

DEFAULT_BOOTSTRAP = "shm://default"


def add_bootstrap(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--bootstrap-server",
        default=DEFAULT_BOOTSTRAP,
        metavar="shm://NAME|HOST:PORT",
        help=f"the cluster: shm://NAME over shared memory, or HOST:PORT,... over TCP "
        f"(default {DEFAULT_BOOTSTRAP})",
    )


def fail(msg: str) -> NoReturn:
    """A usage error: one line on stderr, exit status 1."""
    raise SystemExit(f"shoal: {msg}")


def key_values(items: list[str] | None, what: str) -> dict[str, str]:
    """``--x k=v --x k2=v2``: each argument split at its first '=', as Kafka's
    CommandLineUtils.parseKeyValueArgs does (no comma splitting: values may hold commas)."""
    out: dict[str, str] = {}
    for item in items or []:
        if "=" not in item:
            fail(f"{what} '{item}' is not key=value")
        k, v = item.split("=", 1)
        out[k.strip()] = v
    return out


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
