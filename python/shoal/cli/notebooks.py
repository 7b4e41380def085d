"""`shoal notebooks [DIR]`: the notebooks that ship inside the package, copied into DIR (with
the examples, in DIR/examples) and opened in JupyterLab there.

A notebook already in DIR is left as it is (it may hold the user's edits) unless --force.
JupyterLab comes with the extra: pip install 'shoal[notebooks]'.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from pathlib import Path
from typing import Any

from shoal.cli._common import HelpFormatter, fail, progress

EPILOG = """examples:
  shoal notebooks                     # ./shoal-notebooks, then JupyterLab in the browser
  shoal notebooks ~/kafka-course --port 8890
  shoal notebooks --no-lab            # copy only
"""


def packaged(what: str) -> Path:
    """Where the installed package keeps its `notebooks` or `examples` (beside the extension,
    as the broker executable is)."""
    from shoal import _core

    return Path(_core.__file__).resolve().parent / what


def copy_into(target: Path, force: bool) -> tuple[list[str], list[str]]:
    """Copies the notebooks into `target` and the examples into `target`/examples. Returns
    (copied, kept): relative names, kept being those already there and left alone."""
    copied: list[str] = []
    kept: list[str] = []
    for what, into in (("notebooks", target), ("examples", target / "examples")):
        source = packaged(what)
        if not source.is_dir():
            fail(f"this installation of Shoal has no {what} ({source} is missing)")
        into.mkdir(parents=True, exist_ok=True)
        for f in sorted(source.iterdir()):
            if not f.is_file():
                continue
            dest = into / f.name
            name = str(dest.relative_to(target))
            if dest.exists() and not force:
                kept.append(name)
                continue
            shutil.copyfile(f, dest)
            copied.append(name)
    return copied, kept


def command(args: argparse.Namespace) -> int:
    target = Path(args.dir).expanduser().resolve()
    copied, kept = copy_into(target, args.force)
    progress(f"{len(copied)} file(s) copied into {target}")
    if kept:
        progress(
            f"kept {len(kept)} file(s) already there (--force replaces them): {', '.join(kept)}"
        )
    if args.no_lab:
        return 0
    try:
        import jupyterlab  # noqa: F401
    except ImportError:
        fail("JupyterLab is not installed: pip install 'shoal[notebooks]' (or run with --no-lab)")
    argv = [sys.executable, "-m", "jupyterlab", f"--ServerApp.root_dir={target}"]
    argv += [f"--ServerApp.port={args.port}", f"--ServerApp.ip={args.ip}"]
    if args.no_browser:
        argv.append("--no-browser")
    if os.geteuid() == 0:
        # JupyterLab refuses root without this flag. Root is how containers and CI run it;
        # it serves loopback unless --ip says otherwise, and the token still guards it.
        argv.append("--allow-root")
    progress(f"starting JupyterLab in {target} (Ctrl+C stops it)")
    sys.stdout.flush()
    # JupyterLab takes this process over: a signal for `shoal notebooks` reaches it.
    os.execv(sys.executable, argv)
    return 0  # not reached


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "notebooks",
        help="copy the notebooks into a directory and open them in JupyterLab",
        description=__doc__,
        epilog=EPILOG,
        formatter_class=HelpFormatter,
    )
    p.add_argument(
        "dir", nargs="?", default="shoal-notebooks", help="where to (default ./shoal-notebooks)"
    )
    p.add_argument("--force", action="store_true", help="replace notebooks already in DIR")
    p.add_argument("--no-lab", action="store_true", help="copy only; do not start JupyterLab")
    p.add_argument("--port", type=int, default=8888, help="JupyterLab's port (default 8888)")
    p.add_argument("--ip", default="127.0.0.1", help="the address to serve on (default loopback)")
    p.add_argument("--no-browser", action="store_true", help="do not open a browser")
    p.set_defaults(func=command)
