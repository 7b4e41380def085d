"""python3 cpp/protocol/codegen --out DIR | --docs FILE | --check-docs FILE

--out DIR          writes DIR/protocol/gen/*.h and *.cc (the build does this)
--docs FILE        rewrites the generated part of FILE (docs/protocol.md)
--check-docs FILE  exits 1, naming the file, when FILE's generated part is stale
"""

from __future__ import annotations

import argparse
import pathlib
import sys

if __package__ in (None, ""):
    # Run as a directory (python3 cpp/protocol/codegen): make the package importable.
    sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent))
    __package__ = "codegen"

from codegen import cpp, docs, schema

SCHEMAS = pathlib.Path(__file__).resolve().parent.parent / "schemas"


def write_if_changed(path: pathlib.Path, text: str) -> None:
    # Unchanged outputs keep their mtime, so the build does not recompile what did not change.
    if path.exists() and path.read_text() == text:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="codegen", description=__doc__.splitlines()[0])
    ap.add_argument("--schemas", type=pathlib.Path, default=SCHEMAS)
    ap.add_argument("--out", type=pathlib.Path)
    ap.add_argument("--docs", type=pathlib.Path)
    ap.add_argument("--check-docs", type=pathlib.Path)
    ap.add_argument("--list", action="store_true", help="print the generated file names")
    args = ap.parse_args(argv)
    try:
        files = schema.load_dir(args.schemas)
    except schema.SchemaError as e:
        print(f"codegen: {e}", file=sys.stderr)
        return 2
    if args.list:
        for sf in files:
            print(f"protocol/gen/{sf.stem}.h")
            print(f"protocol/gen/{sf.stem}.cc")
        return 0
    if args.out:
        gen = args.out / "protocol" / "gen"
        try:
            outputs = {}
            for sf in files:
                h, c = cpp.generate_file(sf)
                outputs[gen / f"{sf.stem}.h"] = h
                outputs[gen / f"{sf.stem}.cc"] = c
            h, c = cpp.generate_api_table(files)
            outputs[gen / "apis.h"] = h
            outputs[gen / "apis.cc"] = c
            outputs[gen / "messages.h"] = cpp.generate_all_header(files)
            outputs[gen / "samples.h"] = cpp.generate_samples(files)
        except cpp.GenError as e:
            print(f"codegen: {e}", file=sys.stderr)
            return 2
        for path, text in outputs.items():
            write_if_changed(path, text)
    if args.docs:
        text = args.docs.read_text()
        write_if_changed(args.docs, docs.splice(text, docs.render(files)))
    if args.check_docs:
        text = args.check_docs.read_text()
        if docs.splice(text, docs.render(files)) != text:
            print(
                f"codegen: {args.check_docs} is stale: run "
                f"python3 cpp/protocol/codegen --docs {args.check_docs}",
                file=sys.stderr,
            )
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
