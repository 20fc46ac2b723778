"""Reader for the hl7types wheel (PyPI, backbone for segments, fields and data types).

The wheel is read as a zip archive and its generated modules are parsed with
`ast`; nothing from the package is imported or executed, so pydantic is not
needed. Only structural facts are taken: positions, type codes, usage codes,
repetition flags, item numbers, table numbers, lengths and short element
names. Section references and descriptions are dropped here.
"""

from __future__ import annotations

import ast
import re
import zipfile
from dataclasses import dataclass, field

ROOT = "hl7types/hl7"

# Docstring line of a field or component, e.g.
#   PID.8 - Administrative Sex (IS) O S15.4.8.5 | 0001 - Administrative Sex
#   CX.5 (opt) - Identifier Type Code (ID)
_FIELD_DOC = re.compile(r"^([A-Z0-9_]+)\.(\d+) - (.*) \(([A-Za-z0-9_*]+)\) (R|O|C|X|NA|B|W|RE)( rep)?\b")
_COMP_DOC = re.compile(r"^([A-Za-z0-9_]+)\.(\d+) \((opt|req)\) - (.*) \(([A-Za-z0-9_*]+)\)\s*$")

# Spellings of the "varies" type (OBX-5 and friends) across versions.
_VARIES = {"*": "varies", "var": "varies", "varies": "varies"}


@dataclass
class Field:
    position: int
    name: str
    type: str
    usage: str
    required: bool
    repeating: bool
    item: str | None
    table: str | None
    table_name: str | None
    length: int | None


@dataclass
class Segment:
    id: str
    name: str
    fields: list[Field]


@dataclass
class Component:
    position: int
    name: str
    type: str
    required: bool


@dataclass
class DataType:
    code: str
    name: str
    components: list[Component]


@dataclass
class Child:
    """A child of a message or group: a segment, a group or the wildcard."""

    kind: str  # "seg", "grp" or "any"
    ref: str  # segment id, group class name, or "" for the wildcard
    name: str  # attribute name (the group name for groups)
    required: bool
    repeating: bool


@dataclass
class Node:
    cls: str
    children: list[Child]


@dataclass
class VersionData:
    version: str
    segments: dict[str, Segment] = field(default_factory=dict)
    datatypes: dict[str, DataType] = field(default_factory=dict)
    groups: dict[str, Node] = field(default_factory=dict)
    messages: dict[str, Node] = field(default_factory=dict)
    # message class name -> base message class name (event alias)
    aliases: dict[str, str] = field(default_factory=dict)


def _pkg(version: str) -> str:
    return "v" + version.replace(".", "_")


def _first_line(doc: str | None) -> str:
    if not doc:
        return ""
    return doc.strip().splitlines()[0].strip()


def _strip_section(title: str) -> str:
    """'Patient Identification (S3.4.2).' -> 'Patient Identification'."""
    title = re.sub(r"\s*\(S[0-9A-Z.]+\)\.?$", "", title.strip())
    return title.rstrip(".").strip()


def _call_kwargs(node: ast.AST) -> dict[str, ast.AST]:
    if isinstance(node, ast.Call):
        return {k.arg: k.value for k in node.keywords if k.arg}
    return {}


def _const(node: ast.AST | None):
    if isinstance(node, ast.Constant):
        return node.value
    return None


def _ann(node: ast.AST) -> tuple[bool, bool, str]:
    """(optional, list, inner name) of an annotation."""
    optional = False
    repeating = False
    while isinstance(node, ast.Subscript):
        head = node.value.id if isinstance(node.value, ast.Name) else ""
        if head == "Optional":
            optional = True
        elif head == "List":
            repeating = True
        else:
            raise ValueError(f"unexpected annotation {ast.dump(node)}")
        node = node.slice
    if isinstance(node, ast.Name):
        return optional, repeating, node.id
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return optional, repeating, node.value
    raise ValueError(f"unexpected annotation {ast.dump(node)}")


def _main_class(tree: ast.Module) -> ast.ClassDef:
    classes = [n for n in tree.body if isinstance(n, ast.ClassDef)]
    if len(classes) != 1:
        raise ValueError(f"expected one class, found {len(classes)}")
    return classes[0]


def _doc_lines(cls: ast.ClassDef) -> list[str]:
    doc = ast.get_docstring(cls) or ""
    return [line.strip() for line in doc.splitlines()]


def _parse_description(desc: str) -> tuple[str, str | None, str | None, str | None, int | None]:
    """'R | Item #00106 | Table 0001 - Name | LEN:4' -> (usage, item, table, table name, len)."""
    parts = [p.strip() for p in desc.split(" | ")]
    usage = parts[0]
    item = table = table_name = None
    length = None
    for p in parts[1:]:
        if p.startswith("Item #"):
            item = p[len("Item #") :]
        elif p.startswith("Table "):
            m = re.match(r"Table (\w+)(?: - (.*))?$", p)
            if not m:
                raise ValueError(f"bad table part {p!r}")
            table, table_name = m.group(1), m.group(2)
        elif p.startswith("LEN:"):
            length = int(p[4:])
        else:
            raise ValueError(f"unknown description part {p!r}")
    return usage, item, table, table_name, length


def _read_segment(seg_id: str, src: str) -> Segment:
    tree = ast.parse(src)
    cls = _main_class(tree)
    docs = _doc_lines(cls)
    by_pos: dict[int, re.Match] = {}
    for line in docs:
        m = _FIELD_DOC.match(line)
        if m and m.group(1) == seg_id:
            by_pos[int(m.group(2))] = m
    fields: list[Field] = []
    for stmt in cls.body:
        if not isinstance(stmt, ast.AnnAssign):
            continue
        kw = _call_kwargs(stmt.value)
        alias = _const(kw.get("serialization_alias"))
        if not alias:
            continue
        pos = int(alias.split(".")[1])
        optional, repeating, inner = _ann(stmt.annotation)
        title = _const(kw.get("title")) or ""
        usage, item, table, table_name, length = _parse_description(_const(kw.get("description")) or "")
        doc = by_pos.get(pos)
        if doc is None:
            raise ValueError(f"{seg_id}.{pos}: no docstring line")
        typ = _VARIES.get(doc.group(4), doc.group(4))
        if inner not in ("str",) and inner != typ and inner != "varies":
            raise ValueError(f"{seg_id}.{pos}: annotation {inner} vs doc type {typ}")
        required = "default" not in kw
        fields.append(
            Field(pos, title, typ, usage, required, repeating, item, table, table_name, length)
        )
    name = _strip_section(_first_line(ast.get_docstring(cls)))
    return Segment(seg_id, name, fields)


def _read_datatype(code: str, src: str) -> DataType:
    tree = ast.parse(src)
    cls = _main_class(tree)
    docs = _doc_lines(cls)
    comps: list[Component] = []
    for line in docs:
        m = _COMP_DOC.match(line)
        if m:
            typ = _VARIES.get(m.group(5), m.group(5))
            comps.append(Component(int(m.group(2)), m.group(4), typ, m.group(3) == "req"))
    # The docstring is the only place where primitive component types are
    # written; cross-check the count against the attribute list.
    attrs = [s for s in cls.body if isinstance(s, ast.AnnAssign) and _call_kwargs(s.value).get("serialization_alias")]
    if len(attrs) != len(comps):
        raise ValueError(f"{code}: {len(attrs)} attributes but {len(comps)} docstring components")
    for s, c in zip(attrs, comps):
        alias = _const(_call_kwargs(s.value)["serialization_alias"])
        if int(alias.rsplit(".", 1)[1]) != c.position:
            raise ValueError(f"{code}: position mismatch {alias} vs {c.position}")
        title = _const(_call_kwargs(s.value).get("title"))
        if title is not None and title != c.name:
            c.name = title
    name = _strip_section(_first_line(ast.get_docstring(cls)))
    return DataType(code, name, comps)


def _read_node(src: str, in_groups: bool) -> tuple[str, list[str], list[Child]]:
    """Read a message or group module: (class name, base names, children)."""
    tree = ast.parse(src)
    # import map: local name -> ("seg"|"grp"|"msg", referenced class)
    imports: dict[str, tuple[str, str]] = {}
    for n in tree.body:
        if isinstance(n, ast.ImportFrom) and n.module:
            mod = n.module
            for a in n.names:
                local = a.asname or a.name
                if mod.startswith("segments."):
                    imports[local] = ("seg", a.name)
                elif mod.startswith("groups."):
                    imports[local] = ("grp", a.name)
                elif n.level == 1:
                    # A sibling module: another group inside groups/, the
                    # base message inside messages/.
                    imports[local] = ("grp" if in_groups else "msg", a.name)
    aliases: dict[str, str] = {}
    for n in tree.body:
        if isinstance(n, ast.Assign) and len(n.targets) == 1 and isinstance(n.targets[0], ast.Name):
            if isinstance(n.value, ast.Name):
                aliases[n.targets[0].id] = n.value.id
    cls = _main_class(tree)
    bases = [b.id for b in cls.bases if isinstance(b, ast.Name)]
    children: list[Child] = []
    for stmt in cls.body:
        if not isinstance(stmt, ast.AnnAssign):
            continue
        optional, repeating, inner = _ann(stmt.annotation)
        target = aliases.get(inner, inner)
        kind, ref = imports.get(target, ("?", target))
        attr = stmt.target.id
        kw = _call_kwargs(stmt.value)
        # Field(...) without a default is required; a plain "= None" is not.
        required = isinstance(stmt.value, ast.Call) and "default" not in kw
        if attr.lower() in ("anyhl7segment", "anyzsegment"):
            # Wildcards: "anyhl7segment" (any segment), "anyzsegment" (any Z segment).
            kind, ref = "any", attr.lower()
        elif inner == "Any":
            # A segment the schema references but does not define (SUR_P09 "ed").
            kind, ref = "seg", attr.upper()
        if kind not in ("seg", "grp", "any"):
            raise ValueError(f"{cls.name}.{attr}: cannot resolve {inner}")
        children.append(Child(kind, ref, attr, required, repeating))
    return cls.name, bases, children


def read(wheel: str, version: str) -> VersionData:
    out = VersionData(version)
    base = f"{ROOT}/{_pkg(version)}/"
    with zipfile.ZipFile(wheel) as zf:
        names = [n for n in zf.namelist() if n.startswith(base) and n.endswith(".py")]
        for n in sorted(names):
            rel = n[len(base) :]
            if "/" not in rel:
                continue
            kind, fname = rel.split("/", 1)
            stem = fname[:-3]
            if stem.startswith("__"):
                continue
            src = zf.read(n).decode("utf-8")
            try:
                if kind == "segments":
                    out.segments[stem] = _read_segment(stem, src)
                elif kind == "datatypes":
                    if stem == "varies":
                        continue
                    out.datatypes[stem] = _read_datatype(stem, src)
                elif kind == "groups":
                    name, _bases, children = _read_node(src, True)
                    out.groups[name] = Node(name, children)
                elif kind == "messages":
                    name, bases, children = _read_node(src, False)
                    if bases and bases[0] != "HL7Model":
                        out.aliases[name] = bases[0]
                    else:
                        out.messages[name] = Node(name, children)
            except Exception as e:  # noqa: BLE001 - re-raised with the file name
                raise ValueError(f"{n}: {e}") from e
    # Resolve alias chains (an alias of an alias).
    for k in list(out.aliases):
        seen = {k}
        b = out.aliases[k]
        while b in out.aliases:
            if b in seen:
                raise ValueError(f"alias cycle at {k}")
            seen.add(b)
            b = out.aliases[b]
        out.aliases[k] = b
    return out
