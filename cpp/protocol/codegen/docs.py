"""The field tables of docs/protocol.md, generated from the schemas.

The generated part of the file sits between two marker lines; everything else in the file is
written by hand. `python3 cpp/protocol/codegen --docs docs/protocol.md` rewrites it, and the
test suite fails when the committed file differs from what the schemas give.
"""

from __future__ import annotations

from .schema import Field, Message, SchemaFile, Struct

BEGIN = "<!-- generated from cpp/protocol/schemas: do not edit below this line -->"
END = "<!-- end of the generated part -->"


def _rows(s: Struct, prefix: str, out: list[str]) -> None:
    for f in s.fields:
        out.append(_row(f, prefix))
        if f.struct is not None:
            _rows(f.struct, f"{prefix}{f.name}.", out)


def _row(f: Field, prefix: str) -> str:
    typ = str(f.type)
    if f.cpp:
        typ += f" ({f.cpp})"
    null = "" if f.nullable.empty else str(f.nullable)
    default = f.default or ""
    tag = ""
    if f.is_tagged:
        tag = str(f.tag) if f.tagged == f.versions else f"{f.tag} in {f.tagged}"
    note = f.note
    if f.shoal:
        note = ("Shoal's. " + note).strip()
    if f.flexible_none:
        note = ("Never compact. " + note).strip()
    if f.key:
        note = ("Key of its array. " + note).strip()
    cells = [f"`{prefix}{f.name}`", f"`{typ}`", str(f.versions), null, default, tag, note]
    return "| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |"


def message_table(m: Message) -> list[str]:
    out = [
        f"**{m.name}** (versions {m.versions}, flexible {m.flexible}"
        + (f", refused {m.deprecated}" if not m.deprecated.empty else "")
        + ")",
        "",
    ]
    if m.note:
        out += [m.note, ""]
    if not m.struct.fields:
        out += ["No fields.", ""]
        return out
    out += [
        "| field | type | versions | nullable | default | tag | note |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    _rows(m.struct, "", out)
    out.append("")
    return out


def render(files: list[SchemaFile]) -> str:
    out = [BEGIN, ""]
    apis = sorted((sf for sf in files if sf.kind == "api"), key=lambda sf: sf.api_key)
    formats = [sf for sf in files if sf.kind == "format"]
    out += [
        "### API index",
        "",
        "| key | API | versions | flexible | schema |",
        "| --- | --- | --- | --- | --- |",
    ]
    for sf in apis:
        m = sf.messages[0]
        anchor = f"#{sf.api_key}-{sf.name.lower()}"
        out.append(
            f"| {sf.api_key} | [{sf.name}]({anchor}) | {m.versions} | {m.flexible} | `{_rel(sf)}` |"
        )
    out.append("")
    for sf in apis:
        out += [f"### {sf.api_key} {sf.name}", ""]
        if sf.doc:
            out += [" ".join(sf.doc.split()), ""]
        for m in sf.messages:
            out += message_table(m)
    for sf in formats:
        out += [f"### {sf.name} (format)", ""]
        if sf.doc:
            out += [" ".join(sf.doc.split()), ""]
        out += [f"Schema: `{_rel(sf)}`" + ("; Shoal's own format." if sf.shoal else "."), ""]
        for m in sf.messages:
            out += message_table(m)
    out.append(END)
    return "\n".join(out) + "\n"


def _rel(sf: SchemaFile) -> str:
    parts = sf.path.parts
    i = len(parts) - 1 - parts[::-1].index("cpp")
    return "/".join(parts[i:])


def splice(doc: str, generated: str) -> str:
    """`doc` with its generated part replaced by `generated` (appended when it has none)."""
    if BEGIN in doc:
        head, _, rest = doc.partition(BEGIN)
        if END not in rest:
            raise ValueError(f"docs: {BEGIN!r} without {END!r}")
        _, _, tail = rest.partition(END)
        return head + generated.rstrip("\n") + tail
    return doc.rstrip("\n") + "\n\n" + generated
