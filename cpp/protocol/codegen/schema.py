"""Shoal's message schemas: the parser and the model the generators work from.

A schema file declares one Kafka API (its request and response) or one side format (the
ConsumerProtocol, the `__consumer_offsets` records, Shoal's metadata journal). The grammar,
defined once here and described for readers in docs/protocol.md ("Schema files"):

    file      := line*            ; '#' starts a comment; a comment after a field is its note
    header    := 'api' KEY NAME   ; a Kafka API: 'request' and 'response' blocks follow
               | 'format' NAME [namespace=NS] [shoal]   ; side formats (the request and
                                  ; response headers too): 'message NAME' blocks follow;
                                  ; 'shoal' for a format Kafka does not define
    setting   := 'versions' RANGE | 'flexible' RANGE | 'deprecated' RANGE
                                  ; at file level (every message) or first in a block
    block     := ('request' | 'response' | 'message' NAME | 'struct' NAME) field*
    field     := INDENT name TYPE RANGE attr*   ; two spaces per level; a struct's or array of
                                                ; structs' own fields follow, one level deeper
    TYPE      := int8 | int16 | int32 | int64 | uint16 | uint32 | float64 | bool | uuid
               | string | bytes | records | {string:string} | []TYPE | StructName
    RANGE     := N | N+ | N-M | none
    attr      := null=RANGE        ; versions in which the field may be null
               | default=VALUE     ; the value when absent (-1, null, true, "", a word)
               | tag=N [tagged=RANGE] ; a tagged field (tagged versions default to the field's)
               | cpp=TYPE          ; the C++ type (a strong id type or an enum over the wire type)
               | flexible=none     ; encoded as in non-flexible versions even when flexible
               | key               ; the element's key in its array (Kafka's mapKey)
               | shoal             ; Shoal's addition: not in Kafka's definition (a tagged field
                                   ; with a tag >= 10000, or in a format Kafka does not have)

`{string:string}` (a map, encoded as an array of key and value strings in key order) is for
Shoal's own formats only; Kafka's messages spell such things as arrays of structs.
"""

from __future__ import annotations

import dataclasses
import pathlib
import re

PRIMITIVES = {
    # name: (fixed size in bytes or None, C++ type)
    "bool": (1, "bool"),
    "int8": (1, "int8_t"),
    "int16": (2, "int16_t"),
    "int32": (4, "int32_t"),
    "int64": (8, "int64_t"),
    "uint16": (2, "uint16_t"),
    "uint32": (4, "uint32_t"),
    "float64": (8, "double"),
    "uuid": (16, "uuid"),
    "string": (None, "std::string"),
    "bytes": (None, "bytes"),
    "records": (None, "bytes"),
}
MAP_TYPE = "{string:string}"
# Shoal's own tagged fields take tags from here up, so that a tag Kafka adds later can never
# collide with one of Shoal's.
SHOAL_TAG_BASE = 10000
INDENT = 2


class SchemaError(Exception):
    """A schema file that does not follow the grammar; the text names the file and line."""


@dataclasses.dataclass(frozen=True)
class Versions:
    """A closed range of versions [lo, hi]; hi None is open ('N+'); lo None is empty."""

    lo: int | None
    hi: int | None = None

    @staticmethod
    def parse(text: str) -> Versions:
        if text == "none":
            return NONE
        m = re.fullmatch(r"(\d+)(\+|-(\d+))?", text)
        if not m:
            raise ValueError(f"bad version range {text!r} (N, N+, N-M or none)")
        lo = int(m.group(1))
        if m.group(2) == "+":
            return Versions(lo, None)
        hi = int(m.group(3)) if m.group(3) else lo
        if hi < lo:
            raise ValueError(f"bad version range {text!r}: {hi} < {lo}")
        return Versions(lo, hi)

    @property
    def empty(self) -> bool:
        return self.lo is None

    def __contains__(self, v: int) -> bool:
        return self.lo is not None and v >= self.lo and (self.hi is None or v <= self.hi)

    def intersect(self, other: Versions) -> Versions:
        if self.empty or other.empty:
            return NONE
        lo = max(self.lo, other.lo)
        his = [h for h in (self.hi, other.hi) if h is not None]
        hi = min(his) if his else None
        if hi is not None and hi < lo:
            return NONE
        return Versions(lo, hi)

    def subset_of(self, other: Versions) -> bool:
        return self.empty or self.intersect(other) == self

    def __str__(self) -> str:
        if self.empty:
            return "none"
        if self.hi is None:
            return f"{self.lo}+"
        if self.hi == self.lo:
            return str(self.lo)
        return f"{self.lo}-{self.hi}"


NONE = Versions(None, None)
ALL = Versions(0, None)


@dataclasses.dataclass
class Type:
    """A field's type: a primitive, a map, a struct by name, or an array of one of those."""

    name: str  # "int32", "string", "{string:string}", or a struct name
    array: bool = False

    @staticmethod
    def parse(text: str) -> Type:
        if text.startswith("[]"):
            inner = Type.parse(text[2:])
            if inner.array:
                raise ValueError("arrays of arrays are not allowed")
            return Type(inner.name, array=True)
        if text == MAP_TYPE or text in PRIMITIVES:
            return Type(text)
        if re.fullmatch(r"[A-Z][A-Za-z0-9]*", text):
            return Type(text)
        raise ValueError(f"unknown type {text!r}")

    @property
    def is_struct(self) -> bool:
        return self.name not in PRIMITIVES and self.name != MAP_TYPE

    @property
    def is_map(self) -> bool:
        return self.name == MAP_TYPE

    def __str__(self) -> str:
        return ("[]" if self.array else "") + self.name


@dataclasses.dataclass
class Field:
    name: str
    type: Type
    versions: Versions
    nullable: Versions = NONE
    default: str | None = None
    tag: int | None = None
    tagged: Versions = NONE
    cpp: str | None = None
    flexible_none: bool = False
    key: bool = False
    shoal: bool = False
    note: str = ""
    struct: Struct | None = None  # the struct type, for struct and array-of-struct fields
    line: int = 0

    @property
    def is_tagged(self) -> bool:
        return self.tag is not None


@dataclasses.dataclass
class Struct:
    name: str
    fields: list[Field]
    # The versions in which the struct can appear at all (its message's, narrowed by the
    # fields that contain it).
    versions: Versions = ALL
    common: bool = False  # declared with 'struct NAME' and shared by several fields
    message: bool = False  # a top-level message's own struct


@dataclasses.dataclass
class Message:
    """A top-level message: a request, a response, or one of a side format's messages."""

    name: str
    kind: str  # "request", "response" or "format"
    versions: Versions
    flexible: Versions
    deprecated: Versions
    struct: Struct
    note: str = ""

    def is_flexible(self, v: int) -> bool:
        return v in self.flexible

    def version_list(self) -> list[int]:
        assert self.versions.hi is not None, "a message's versions are a closed range"
        return list(range(self.versions.lo, self.versions.hi + 1))


@dataclasses.dataclass
class SchemaFile:
    path: pathlib.Path
    kind: str  # "api" or "format"
    name: str  # the API's name ("Produce") or the format's
    api_key: int | None
    namespace: str
    doc: str  # the comment lines at the top of the file
    messages: list[Message]
    structs: list[Struct]  # every struct, common and nested, in definition order
    shoal: bool = False  # a format of Shoal's own, which Kafka does not define

    @property
    def stem(self) -> str:
        return self.path.stem


def snake(name: str) -> str:
    """CamelCase to snake_case as Shoal spells Kafka's names: TopicId -> topic_id."""
    s = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", name)
    s = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", s)
    return s.lower()


_FIELD_NAME = re.compile(r"[a-z][a-z0-9_]*")


def _split_note(line: str) -> tuple[str, str]:
    # A '#' inside a quoted default does not start a note.
    in_quote = False
    for i, c in enumerate(line):
        if c == '"':
            in_quote = not in_quote
        elif c == "#" and not in_quote:
            return line[:i].rstrip(), line[i + 1 :].strip()
    return line.rstrip(), ""


def parse_file(path: pathlib.Path) -> SchemaFile:
    text = path.read_text()
    return parse_text(text, path)


def parse_text(text: str, path: pathlib.Path) -> SchemaFile:
    lines = text.splitlines()

    def err(lineno: int, msg: str) -> SchemaError:
        return SchemaError(f"{path}:{lineno}: {msg}")

    doc_lines: list[str] = []
    kind = name = None
    api_key = None
    namespace = "shoal::protocol"
    shoal_format = False
    file_settings: dict[str, Versions] = {}
    blocks: list[dict] = []  # {"kind", "name", "settings", "rows", "line", "note"}
    current: dict | None = None
    seen_header = False
    pending_note: list[str] = []

    for lineno, raw in enumerate(lines, 1):
        if not raw.strip():
            pending_note = []
            continue
        if raw.lstrip().startswith("#"):
            comment = raw.lstrip()[1:].strip()
            if not seen_header:
                doc_lines.append(comment)
            else:
                pending_note.append(comment)
            continue
        body, note = _split_note(raw)
        indent = len(body) - len(body.lstrip(" "))
        if "\t" in body:
            raise err(lineno, "tabs are not allowed; indent with two spaces a level")
        words = body.split()
        if indent == 0:
            head = words[0]
            if head in ("api", "format"):
                if seen_header:
                    raise err(lineno, "a second 'api' or 'format' line")
                seen_header = True
                kind = head
                if head == "api":
                    if len(words) != 3 or not words[1].isdigit():
                        raise err(lineno, "expected: api KEY NAME")
                    api_key, name = int(words[1]), words[2]
                else:
                    if len(words) < 2:
                        raise err(lineno, "expected: format NAME [namespace=NS]")
                    name = words[1]
                    for w in words[2:]:
                        if w == "shoal":
                            shoal_format = True
                        elif w.startswith("namespace="):
                            namespace = w.split("=", 1)[1]
                        else:
                            raise err(lineno, f"unknown format option {w!r}")
                continue
            if not seen_header:
                raise err(lineno, "the file must start with an 'api' or 'format' line")
            if head in ("versions", "flexible", "deprecated"):
                if len(words) != 2:
                    raise err(lineno, f"expected: {head} RANGE")
                try:
                    rng = Versions.parse(words[1])
                except ValueError as e:
                    raise err(lineno, str(e)) from None
                target = current["settings"] if current else file_settings
                if current and current["rows"]:
                    raise err(lineno, f"'{head}' must come before the block's fields")
                target[head] = rng
                continue
            if head in ("request", "response"):
                if kind != "api" or len(words) != 1:
                    raise err(lineno, f"'{head}' belongs in an api file, alone on its line")
                current = {"kind": head, "name": name + head.capitalize(), "settings": {}}
            elif head in ("message", "struct"):
                if len(words) != 2:
                    raise err(lineno, f"expected: {head} NAME")
                if head == "message" and kind != "format":
                    raise err(lineno, "'message' blocks belong in a format file")
                current = {"kind": head, "name": words[1], "settings": {}}
            else:
                raise err(lineno, f"unknown line {head!r}")
            current.update(rows=[], line=lineno, note=" ".join(pending_note) or note)
            pending_note = []
            blocks.append(current)
            continue
        if current is None:
            raise err(lineno, "a field outside any block")
        if indent % INDENT:
            raise err(lineno, "indent with two spaces a level")
        current["rows"].append((lineno, indent // INDENT, words, " ".join([*pending_note, note])))
        pending_note = []

    if not seen_header:
        raise SchemaError(f"{path}: empty schema")

    structs: list[Struct] = []
    commons: dict[str, Struct] = {}
    messages: list[Message] = []
    message_structs: dict[str, Struct] = {}

    def build_fields(rows: list, level: int, pos: int, owner: str) -> tuple[list[Field], int]:
        fields: list[Field] = []
        while pos < len(rows):
            lineno, lvl, words, note = rows[pos]
            if lvl < level:
                break
            if lvl > level:
                raise err(lineno, "indented too far")
            f = parse_field(lineno, words, note, err)
            pos += 1
            if f.type.is_struct:
                if pos < len(rows) and rows[pos][1] > level:
                    children, pos = build_fields(rows, level + 1, pos, f.type.name)
                    s = Struct(f.type.name, children)
                    structs.append(s)
                    f.struct = s
                elif f.type.name in commons:
                    f.struct = commons[f.type.name]
                elif f.type.name in message_structs and kind == "format":
                    # A format's message may hold an earlier message of the same file.
                    f.struct = message_structs[f.type.name]
                else:
                    raise err(lineno, f"struct {f.type.name} has no fields and no 'struct' block")
            elif pos < len(rows) and rows[pos][1] > level:
                raise err(rows[pos][0], f"{f.name} is a {f.type}, which has no fields")
            fields.append(f)
        return fields, pos

    for b in blocks:
        fields, used = build_fields(b["rows"], 1, 0, b["name"])
        if used != len(b["rows"]):
            raise err(b["rows"][used][0], "indented too little")
        if b["kind"] == "struct":
            s = Struct(b["name"], fields, common=True)
            commons[b["name"]] = s
            structs.append(s)
            continue
        settings = {**file_settings, **b["settings"]}
        if "versions" not in settings:
            raise err(b["line"], f"{b['name']}: no 'versions' line")
        vers = settings["versions"]
        if vers.hi is None:
            raise err(b["line"], f"{b['name']}: versions must be a closed range (N-M)")
        flexible = settings.get("flexible", NONE)
        mkind = b["kind"] if b["kind"] != "message" else "format"
        s = Struct(b["name"], fields, versions=vers, message=True)
        message_structs[b["name"]] = s
        structs.append(s)
        messages.append(
            Message(
                b["name"],
                mkind,
                vers,
                flexible,
                settings.get("deprecated", NONE),
                s,
                b["note"],
            )
        )

    sf = SchemaFile(
        path,
        kind,
        name,
        api_key,
        namespace,
        "\n".join(doc_lines).strip(),
        messages,
        structs,
        shoal_format,
    )
    validate(sf, err)
    return sf


def parse_field(lineno: int, words: list[str], note: str, err) -> Field:
    if len(words) < 3:
        raise err(lineno, "expected: name TYPE RANGE [attributes]")
    fname, tname, vtext, *attrs = words
    if not _FIELD_NAME.fullmatch(fname):
        raise err(lineno, f"field names are snake_case: {fname!r}")
    try:
        ftype = Type.parse(tname)
        versions = Versions.parse(vtext)
    except ValueError as e:
        raise err(lineno, str(e)) from None
    f = Field(fname, ftype, versions, note=note, line=lineno)
    for a in attrs:
        k, _, v = a.partition("=")
        try:
            if k == "null":
                f.nullable = Versions.parse(v)
            elif k == "default":
                f.default = v
            elif k == "tag":
                f.tag = int(v)
            elif k == "tagged":
                f.tagged = Versions.parse(v)
            elif k == "cpp":
                f.cpp = v
            elif a == "flexible=none":
                f.flexible_none = True
            elif a == "key":
                f.key = True
            elif a == "shoal":
                f.shoal = True
            else:
                raise ValueError(f"unknown attribute {a!r}")
        except ValueError as e:
            raise err(lineno, str(e)) from None
    if f.tag is not None and f.tagged.empty:
        f.tagged = f.versions
    return f


def validate(sf: SchemaFile, err) -> None:
    for m in sf.messages:
        _validate_struct(m, m.struct, m.versions, err)


def _validate_struct(m: Message, s: Struct, within: Versions, err) -> None:
    if s.message and s is not m.struct:
        return  # another message of the file, validated on its own
    s.versions = within if s.versions == ALL or s.common else s.versions.intersect(within)
    names: set[str] = set()
    tags: set[int] = set()
    for f in s.fields:
        if f.name in names:
            raise err(f.line, f"{s.name}: a second field called {f.name}")
        names.add(f.name)
        if f.versions.empty:
            raise err(f.line, f"{f.name}: a field with no versions")
        # As in Kafka's definitions, nullable versions may name versions the field lacks.
        f.nullable = f.nullable.intersect(f.versions)
        if (
            not f.nullable.empty
            and f.type.name in PRIMITIVES
            and not f.type.array
            and f.type.name not in ("string", "bytes", "records")
        ):
            raise err(f.line, f"{f.name}: a {f.type} cannot be null")
        if f.nullable.empty is False and f.type.is_struct and not f.type.array:
            raise err(f.line, f"{f.name}: nullable structs are not supported")
        if f.is_tagged:
            if f.tag in tags:
                raise err(f.line, f"{s.name}: tag {f.tag} is used twice")
            tags.add(f.tag)
            eff = f.tagged.intersect(within)
            if not eff.subset_of(m.flexible):
                raise err(f.line, f"{f.name}: tagged in versions {f.tagged}, not all flexible")
            if not f.tagged.subset_of(f.versions):
                raise err(f.line, f"{f.name}: tagged={f.tagged} goes beyond versions")
            if f.shoal and f.tag < SHOAL_TAG_BASE:
                raise err(f.line, f"{f.name}: Shoal's own tags start at {SHOAL_TAG_BASE}")
            if not f.shoal and f.tag >= SHOAL_TAG_BASE:
                raise err(f.line, f"{f.name}: tags from {SHOAL_TAG_BASE} are Shoal's (add 'shoal')")
        elif f.shoal and sf_kind_is_api(m):
            raise err(f.line, f"{f.name}: Shoal's additions to Kafka's messages must be tagged")
        if f.type.is_map and m.kind != "format":
            raise err(f.line, f"{f.name}: maps are for Shoal's own formats")
        if f.struct is not None:
            _validate_struct(m, f.struct, f.versions.intersect(within), err)


def sf_kind_is_api(m: Message) -> bool:
    return m.kind in ("request", "response")


def load_dir(*dirs: pathlib.Path) -> list[SchemaFile]:
    """Every *.schema file below the directories, sorted by path."""
    files: list[SchemaFile] = []
    for d in dirs:
        files.extend(parse_file(p) for p in sorted(d.rglob("*.schema")))
    seen: dict[str, pathlib.Path] = {}
    for sf in files:
        for s in sf.structs:
            if s.common or any(m.struct is s for m in sf.messages):
                key = f"{sf.namespace}::{s.name}"
                if key in seen:
                    raise SchemaError(f"{sf.path}: {s.name} is also declared in {seen[key]}")
                seen[key] = sf.path
    keys: dict[int, pathlib.Path] = {}
    for sf in files:
        if sf.api_key is not None:
            if sf.api_key in keys:
                raise SchemaError(f"{sf.path}: api key {sf.api_key} is also {keys[sf.api_key]}")
            keys[sf.api_key] = sf.path
    return files
