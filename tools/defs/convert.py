#!/usr/bin/env python3
"""Build profiles/versions/<version>/ from pinned registry packages.

Run by hand (never by the build or CI):

    tools/defs/fetch.sh /tmp/defs-src        # download + verify pinned inputs
    python3 tools/defs/convert.py /tmp/defs-src

Inputs (see inputs.lock): hl7types (backbone for segments, fields, data
types, usage codes, event aliases), hl7apy (message structures, component
table bindings, 2.3 CM links, repetition bounds), HL7 Terminology THO
(table names, kinds and values; CC0) and hl7-dictionary (lengths, component
optionality up to 2.5.1, repetition bounds up to 2.4, types of 2.6
backward-compatible fields). Every correction of the backbone is written to
profiles/versions/REPAIRS.txt; what could not be resolved goes to GAPS.txt.

Only structural facts and short element names are written. No description,
definition or other narrative text of HL7 is copied.
"""

from __future__ import annotations

import hashlib
import os
import re
import sys
from collections import defaultdict
from dataclasses import dataclass, field

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import src_hl7apy  # noqa: E402
import src_hl7dict  # noqa: E402
import src_hl7types  # noqa: E402
import src_tho  # noqa: E402
from repairs import (  # noqa: E402
    BACKWARD_COMPONENTS,
    BACKWARD_FIELDS,
    CONDITIONAL_OBX,
    HAPI27_BACKWARD_TYPES,
    PRIMITIVE_NAMES,
)

CONVERTER_VERSION = "1"
VERSIONS = ("2.3", "2.3.1", "2.4", "2.5", "2.5.1", "2.6", "2.7", "2.7.1", "2.8")
REPO = os.path.abspath(os.path.join(HERE, "..", ".."))
OUT = os.path.join(REPO, "profiles", "versions")

UNBOUNDED = -1


# --------------------------------------------------------------------------
# Output model


@dataclass
class OField:
    position: int
    type: str | None  # None for a withdrawn/reserved placeholder
    usage: str
    min: int
    max: int  # UNBOUNDED for "*"
    length: int | None
    table: str | None
    item: str | None
    name: str


@dataclass
class OSegment:
    id: str
    name: str
    fields: list[OField]


@dataclass
class OComponent:
    position: int
    type: str | None  # None for a withdrawn placeholder
    usage: str  # "-" if unknown
    length: int | None
    table: str | None
    name: str


@dataclass
class ODataType:
    code: str
    name: str
    components: list[OComponent] | None  # None for primitives


@dataclass
class ONode:
    kind: str  # seg, grp, any
    name: str
    min: int
    max: int
    children: list["ONode"] = field(default_factory=list)
    choice: bool = False  # group whose children are alternatives (exactly one)


@dataclass
class OTable:
    id: str
    kind: str
    name: str


@dataclass
class OVersion:
    id: str
    segments: dict[str, OSegment] = field(default_factory=dict)
    datatypes: dict[str, ODataType] = field(default_factory=dict)
    structures: dict[str, list[ONode]] = field(default_factory=dict)
    events: dict[tuple[str, str], str] = field(default_factory=dict)
    tables: dict[str, OTable] = field(default_factory=dict)


# --------------------------------------------------------------------------
# Logs


class Log:
    def __init__(self) -> None:
        self.repairs: list[tuple[str, str, str, str]] = []
        self.gaps: list[tuple[str, str, str]] = []

    def repair(self, version: str, item: str, what: str, why: str) -> None:
        for s in (item, what, why):
            if "\t" in s or "\n" in s:
                raise ValueError(f"tab/newline in log entry {s!r}")
        self.repairs.append((version, item, what, why))

    def gap(self, version: str, item: str, what: str) -> None:
        self.gaps.append((version, item, what))


def norm(name: str) -> str:
    """Compare element names across sources: letters and digits only."""
    return re.sub(r"[^A-Z0-9]", "", name.upper())


def table_id(t: str | None) -> str | None:
    if not t:
        return None
    m = re.fullmatch(r"(?:HL7)?(\d{1,4})", t)
    if not m:
        raise ValueError(f"bad table id {t!r}")
    tid = f"{int(m.group(1)):04d}"
    return None if tid == "9999" else tid


# --------------------------------------------------------------------------
# Segments and fields


def usage_from_min(lo: int) -> str:
    return "R" if lo >= 1 else "O"


def build_segments(v: str, ht, apy, hd, log: Log, all_ht, bounds) -> dict[str, OSegment]:
    apy_fields = apy.segment_fields(v) if apy else {}
    hd_segs = hd.segments(v) if hd else {}
    out: dict[str, OSegment] = {}
    for sid in sorted(ht.segments):
        hs = ht.segments[sid]
        fields: dict[int, OField] = {}
        afields = {f.position: f for f in apy_fields.get(sid, [])}
        dfields = {f.position: f for f in hd_segs.get(sid, [])}
        for f in hs.fields:
            ref = f"{sid}-{f.position}"
            typ: str | None = f.type
            usage = f.usage
            # Repair: 2.3 generic CM composites are not linked in hl7types.
            if typ == "CM":
                a = afields.get(f.position)
                if a and a.type.startswith("CM_") and a.type in ht.datatypes:
                    log.repair(v, ref, f"type CM -> {a.type}", "hl7types leaves 2.3 CM fields unlinked; composite from hl7apy")
                    typ = a.type
                else:
                    log.gap(v, ref, "generic CM type without a composite definition")
            # Repair: the 2.5.1 schema types withdrawn MSA-5 as NUL.
            if typ == "NUL":
                log.repair(v, ref, "type NUL -> placeholder", "NUL is the schema's null type, not a data type")
                typ = None
            # Repair: usage NA (not available in hl7types' metadata).
            if usage == "NA":
                a = afields.get(f.position)
                d = dfields.get(f.position)
                if v == "2.5.1" and sid == "OBX" and f.position in (20, 21, 22):
                    pass  # handled by the OBX repair below
                elif a is not None:
                    usage = usage_from_min(a.min)
                    dd = "" if d is None else f"; hl7-dictionary opt {d.opt}"
                    log.repair(v, ref, f"usage NA -> {usage}", f"hl7types metadata has no usage; from hl7apy min {a.min}{dd}")
                elif d is not None and d.opt in (1, 2):
                    usage = "R" if d.opt == 2 else "O"
                    log.repair(v, ref, f"usage NA -> {usage}", f"hl7types metadata has no usage; from hl7-dictionary opt {d.opt}")
                else:
                    log.gap(v, ref, "usage not available (NA kept)")
            # Repair: 2.7.1/2.8 OBX usage codes that no other version has.
            if sid == "OBX" and f.position in CONDITIONAL_OBX.get(v, {}):
                old, new = CONDITIONAL_OBX[v][f.position]
                if usage != old:
                    raise ValueError(f"{v} {ref}: expected usage {old}, found {usage}")
                usage = new
                log.repair(
                    v,
                    ref,
                    f"usage {old} -> {new}",
                    "hl7types metadata only; 2.7 and the other sources neither require nor exclude it "
                    "(the standard ties it to OBX-2); recorded as C",
                )
            # Repair: hl7types' model flag disagrees with its own usage code.
            if usage == "R" and not f.required:
                if sid in ("MSH", "BHS", "FHS") and f.position in (1, 2):
                    log.repair(v, ref, "required (min 1)", "usage R; hl7types' model marks the separator fields optional (DEFINITIONS.md 3.1 defect 2)")
                else:
                    a = afields.get(f.position)
                    d = dfields.get(f.position)
                    others = []
                    votes = []  # True = the other source requires the field
                    if a is not None and norm(a.name) == norm(f.name):
                        others.append(f"hl7apy min {a.min}")
                        votes.append(a.min >= 1)
                    if d is not None and norm(d.name) == norm(f.name):
                        others.append(f"hl7-dictionary opt {d.opt}")
                        votes.append(d.opt == 2)
                    if votes and not any(votes):
                        usage = "O"
                        log.repair(v, ref, "usage R -> O", f"hl7types' usage R contradicts its own model (optional) and {', '.join(others)}")
                    else:
                        log.gap(v, ref, f"usage R but hl7types' model optional; kept R ({', '.join(others) or 'no other source'})")
            lo = 1 if usage == "R" else 0
            hi = 1
            if f.repeating:
                hi = bounds.get(v, {}).get((sid, f.item), UNBOUNDED) if f.item else UNBOUNDED
            length = f.length
            d = dfields.get(f.position)
            if length is None and d is not None and d.length and norm(d.name) == norm(f.name):
                length = int(d.length)
            fields[f.position] = OField(
                f.position, typ, usage, lo, hi, length, table_id(f.table), f.item, f.name
            )
        # Repair: 2.5.1 OBX-20..25 (error in HL7's own 2.5.1 schema).
        if v == "2.5.1" and sid == "OBX":
            repair_obx_251(fields, log)
        # Fill gaps: backward-compatible fields the schema omits, otherwise
        # withdrawn placeholders so that positions stay contiguous.
        top = max(fields) if fields else 0
        for pos in range(1, top + 1):
            if pos in fields:
                continue
            fields[pos] = fill_gap(v, sid, pos, all_ht, hd, log)
        out[sid] = OSegment(sid, hs.name, [fields[p] for p in sorted(fields)])
    return out


def repair_obx_251(fields: dict[int, OField], log: Log) -> None:
    moved = {}
    for old, new, typ in ((20, 23, "XON"), (21, 24, "XAD"), (22, 25, "XCN")):
        f = fields[old]
        if f.type != typ:
            raise ValueError(f"2.5.1 OBX-{old}: expected {typ}, found {f.type}")
        moved[new] = OField(new, typ, "O", 0, 1, f.length, f.table, f.item, f.name)
        fields[old] = OField(old, None, "W", 0, 0, None, None, None, "Reserved")
        log.repair("2.5.1", f"OBX-{old}", f"{typ} field moved to OBX-{new}; OBX-{old} reserved", "known error in HL7's 2.5.1 schema; the standard reserves OBX-20..22 and defines OBX-23..25 (also HAPI, hl7-dictionary)")
    for new, f in moved.items():
        if new in fields:
            raise ValueError(f"2.5.1 OBX-{new} already present")
        fields[new] = f
        log.repair("2.5.1", f"OBX-{new}", f"{f.type} {f.name}, usage O, not repeating", "see OBX-20..22; hl7apy's repetition of OBX-23..25 is its own error")


def previous_field(v: str, sid: str, pos: int, all_ht):
    """The field at sid-pos in the nearest earlier version that has it."""
    idx = VERSIONS.index(v)
    for pv in reversed(VERSIONS[:idx]):
        seg = all_ht[pv].segments.get(sid)
        if seg:
            for f in seg.fields:
                if f.position == pos:
                    return pv, f
    return None, None


def fill_gap(v: str, sid: str, pos: int, all_ht, hd, log: Log) -> OField:
    ref = f"{sid}-{pos}"
    pv, pf = previous_field(v, sid, pos, all_ht)
    name = pf.name if pf else "Withdrawn"
    item = pf.item if pf else None
    if pos in BACKWARD_FIELDS.get(v, {}).get(sid, ()):
        if pf is None:
            raise ValueError(f"{v} {ref}: no earlier definition to restore")
        if v == "2.6":
            d = next((x for x in hd.segments(v)[sid] if x.position == pos), None)
            if d is None or norm(d.name) != norm(pf.name):
                raise ValueError(f"{v} {ref}: hl7-dictionary does not have it")
            typ, src = d.type, "type from hl7-dictionary 2.6"
        else:
            typ, src = HAPI27_BACKWARD_TYPES[(sid, pos)], "type from HAPI v2.7 structures (read-only oracle)"
        table = table_id(pf.table)
        log.repair(v, ref, f"restored backward-compatible field {typ} '{pf.name}' (usage B)", f"dropped by the schema-derived sources; live in HAPI/hl7-dictionary (DEFINITIONS.md 3.1 defect 4); name/item/table from {pv}; {src}")
        return OField(pos, typ, "B", 0, 1, None, table, item, pf.name)
    log.repair(v, ref, "withdrawn placeholder", f"position absent from hl7types; kept so that positions are contiguous (name from {pv})" if pv else "position absent from hl7types; kept so that positions are contiguous")
    return OField(pos, None, "W", 0, 0, None, None, item, name)


# --------------------------------------------------------------------------
# Repetition bounds


def direct_bounds(v: str, apy, hd, ht) -> dict[tuple[str, str], int]:
    """(segment, item) -> n for repeating fields bounded to n, where a source
    for this very version has them."""
    out: dict[tuple[str, str], int] = {}
    if v in ("2.3", "2.3.1", "2.4") and hd:
        segs = hd.segments(v)
        for sid, hs in ht.segments.items():
            byp = {f.position: f for f in segs.get(sid, [])}
            for f in hs.fields:
                d = byp.get(f.position)
                if f.repeating and f.item and d and d.rep > 1 and norm(d.name) == norm(f.name):
                    out[(sid, f.item)] = d.rep
    if v in ("2.6", "2.7", "2.8") and apy:
        segs = apy.segment_fields(v)
        for sid, hs in ht.segments.items():
            # Match by name and type: hl7apy's positions shift above 2.5.1.
            byname = defaultdict(list)
            for a in segs.get(sid, []):
                byname[norm(a.name)].append(a)
            for f in hs.fields:
                if not (f.repeating and f.item):
                    continue
                cands = [a for a in byname.get(norm(f.name), []) if a.type == f.type]
                if len(cands) == 1 and cands[0].max > 1:
                    out[(sid, f.item)] = cands[0].max
    return out


def all_bounds(direct: dict[str, dict], log: Log) -> dict[str, dict]:
    out = {v: dict(direct.get(v, {})) for v in VERSIONS}
    for v, (a, b) in {"2.5": ("2.4", "2.6"), "2.5.1": ("2.4", "2.6"), "2.7.1": ("2.7", "2.8")}.items():
        for key, n in sorted(direct.get(a, {}).items()):
            if direct.get(b, {}).get(key) == n:
                out[v][key] = n
                log.repair(v, f"{key[0]} item {key[1]}", f"max repetitions {n}", f"no source for {v} gives bounds; {a} and {b} agree on {n}")
    return out


# --------------------------------------------------------------------------
# Data types


def carry_component_tables(v: str, out: dict[str, ODataType], prev: dict[str, ODataType], log: Log) -> None:
    """No source has component tables for 2.7.1 (hl7apy lacks the version)
    or 2.8 (hl7apy has none): carry 2.7's binding for a component with the
    same position, name and type."""
    for code, dt in out.items():
        p = prev.get(code)
        if p is None or p.components is None:
            continue
        byp = {c.position: c for c in p.components}
        for c in dt.components or []:
            o = byp.get(c.position)
            if c.table is None and c.type and o and o.table and o.type == c.type and norm(o.name) == norm(c.name):
                c.table = o.table
                log.repair(v, f"{code}.{c.position}", f"component table {o.table}", "no source has component tables for this version; carried from 2.7 (same position, name, type)")


def fill_component_gaps(v: str, code: str, comps: list[OComponent], all_ht, hd, log: Log) -> None:
    """Positions missing from hl7types' composite: a backward-compatible
    component (BACKWARD_COMPONENTS) or a withdrawn placeholder."""
    have = {c.position for c in comps}
    top = max(have) if have else 0
    for pos in range(1, top + 1):
        if pos in have:
            continue
        ref = f"{code}.{pos}"
        prev = None
        for pv in reversed(VERSIONS[: VERSIONS.index(v)]):
            pdt = all_ht[pv].datatypes.get(code)
            prev = next((c for c in pdt.components if c.position == pos), None) if pdt else None
            if prev:
                break
        name = prev.name if prev else "Withdrawn"
        if pos in BACKWARD_COMPONENTS.get(v, {}).get(code, ()):
            d = next((x for x in hd.datatypes(v)[code] if x.position == pos), None)
            if d is None or prev is None or norm(d.name) != norm(prev.name):
                raise ValueError(f"{v} {ref}: no hl7-dictionary entry to restore")
            comps.append(OComponent(pos, d.type, "B", int(d.length) if d.length else None, None, prev.name))
            log.repair(v, ref, f"restored backward-compatible component {d.type} '{prev.name}' (usage B)", f"omitted by hl7types; type from hl7-dictionary {v}, name from {pv}")
        else:
            comps.append(OComponent(pos, None, "W", None, None, name))
            log.repair(v, ref, "withdrawn placeholder", f"position absent from hl7types; kept so that positions are contiguous (name from {pv})" if prev else "position absent from hl7types")
    comps.sort(key=lambda c: c.position)


def apy_name(name: str) -> str:
    """hl7apy's UPPER_SNAKE element name as words: SOURCE_NAME_1 -> Source Name 1."""
    return " ".join(w.capitalize() for w in name.split("_"))


def link_cm_components(v: str, out: dict[str, ODataType], apy_comps, log: Log) -> None:
    """2.3: components typed with the generic "CM" are not linked in
    hl7types. Link them to hl7apy's CM_* composite, adding that composite
    from hl7apy where hl7types lacks it."""
    for code in sorted(out):
        for c in out[code].components or []:
            if c.type != "CM":
                continue
            ref = f"{code}.{c.position}"
            a = next((x for x in apy_comps.get(code, []) if x.position == c.position), None)
            if a is None or not a.type.startswith(("CM_", "RI")) or a.type not in apy_comps:
                log.gap(v, ref, "generic CM type without a composite definition")
                continue
            if a.type not in out:
                comps = [OComponent(x.position, x.type, "-", None, x.table, apy_name(x.name)) for x in apy_comps[a.type]]
                if any(x.type == "CM" or (x.type not in out and x.type not in PRIMITIVE_NAMES) for x in comps):
                    log.gap(v, ref, f"composite {a.type} from hl7apy has unresolved component types")
                    continue
                out[a.type] = ODataType(a.type, c.name, comps)
                log.repair(v, a.type, "composite added from hl7apy", f"hl7types lacks this 2.3 CM composite; used by {ref}")
            log.repair(v, ref, f"type CM -> {a.type}", "hl7types leaves 2.3 CM components unlinked; composite from hl7apy")
            c.type = a.type


def build_datatypes(v: str, ht, apy, hd, segments, log: Log, prev27=None, all_ht=None) -> dict[str, ODataType]:
    apy_comps = apy.components(v) if apy else {}
    hd_dts = hd.datatypes(v) if hd else {}
    out: dict[str, ODataType] = {}
    for code in sorted(ht.datatypes):
        dt = ht.datatypes[code]
        acomps = {c.position: c for c in apy_comps.get(code, [])}
        aby = defaultdict(list)
        for c in apy_comps.get(code, []):
            aby[norm(c.name)].append(c)
        dcomps = {c.position: c for c in hd_dts.get(code, [])}
        comps = []
        for c in dt.components:
            # Component table: hl7apy (position + name, else unique name), then hl7-dictionary.
            table = None
            a = acomps.get(c.position)
            if not (a and norm(a.name) == norm(c.name)):
                cands = aby.get(norm(c.name), [])
                a = cands[0] if len(cands) == 1 else None
            if a and a.table:
                table = a.table
            d = dcomps.get(c.position)
            dmatch = d is not None and norm(d.name) == norm(c.name)
            if table is None and dmatch and d.table:
                table = d.table
            usage = "-"
            if VERSIONS.index(v) >= VERSIONS.index("2.6"):
                usage = "R" if c.required else "O"
            elif dmatch:
                usage = {1: "O", 2: "R", 3: "C", 4: "B"}.get(d.opt, "-")
            length = int(d.length) if dmatch and d.length else None
            comps.append(OComponent(c.position, c.type, usage, length, table_id(table), c.name))
        fill_component_gaps(v, code, comps, all_ht, hd, log)
        out[code] = ODataType(code, dt.name, comps)
    link_cm_components(v, out, apy_comps, log)
    if prev27 is not None:
        carry_component_tables(v, out, prev27, log)
    # Primitives: every referenced type without a composite definition.
    used = {f.type for s in segments.values() for f in s.fields if f.type}
    used |= {c.type for d in out.values() for c in d.components or [] if c.type}
    for t in sorted(used - set(out)):
        if t not in PRIMITIVE_NAMES:
            log.gap(v, t, "referenced data type without a definition")
            continue
        out[t] = ODataType(t, PRIMITIVE_NAMES[t], None)
    return out


# --------------------------------------------------------------------------
# Structures


def ht_tree(ht, children) -> list[ONode]:
    out = []
    for c in children:
        lo = 1 if c.required else 0
        hi = UNBOUNDED if c.repeating else 1
        if c.kind == "grp":
            g = ht.groups[c.ref]
            out.append(ONode("grp", c.name, lo, hi, ht_tree(ht, g.children)))
        elif c.kind == "any":
            out.append(ONode("any", c.ref, lo, hi))
        else:
            out.append(ONode("seg", c.ref, lo, hi))
    return out


def apy_tree(children) -> list[ONode]:
    out = []
    for c in children:
        hi = UNBOUNDED if c.max == -1 else c.max
        if c.kind == "grp":
            out.append(ONode("grp", c.name, c.min, hi, apy_tree(c.children), c.choice))
        else:
            out.append(ONode(c.kind, c.name, c.min, hi))
    return out


def dedup(nodes: list[ONode]) -> list[ONode]:
    """Drop repeated sibling segments (what hl7types does), recursively."""
    seen = set()
    out = []
    for n in nodes:
        key = (n.kind, n.name)
        if n.kind == "seg" and key in seen:
            continue
        seen.add(key)
        out.append(ONode(n.kind, n.name, n.min, n.max, dedup(n.children), n.choice))
    return out


def shape_nocard_names(nodes: list[ONode]):
    return tuple((n.kind, n.name if n.kind != "grp" else "", shape_nocard_names(n.children)) for n in nodes)


def repeated_siblings(nodes: list[ONode], path: str = "") -> list[str]:
    out = []
    seen = set()
    for i, n in enumerate(nodes):
        if n.kind == "seg" and n.name in seen:
            prev = nodes[i - 1].name
            out.append(f"{path}{n.name} after {prev}")
        seen.add(n.name)
        if n.kind == "grp":
            out += repeated_siblings(n.children, f"{path}{n.name}/")
    return out


def diff_trees(a: list[ONode], b: list[ONode], path: str = "", in_choice: bool = False) -> list[str]:
    """Differences between an hl7apy tree (a) and an hl7types tree (b).
    hl7types has no choice groups; their members are 0..1 there."""
    out = []
    if [(n.kind, n.name) for n in a] != [(n.kind, n.name) for n in b]:
        return [f"{path or '/'}: children {' '.join(n.name for n in a)} vs {' '.join(n.name for n in b)}"]
    for x, y in zip(a, b):
        p = f"{path}{x.name}"
        if not in_choice and (x.min, x.max) != (y.min, y.max):
            out.append(f"{p}: cardinality {card(x.min, x.max)} vs {card(y.min, y.max)}")
        if x.kind == "grp":
            out += diff_trees(x.children, y.children, p + "/", x.choice)
    return out


def sibling_dups(nodes: list[ONode]) -> list[tuple[tuple[str, str], str, int, int]]:
    """Repeated sibling segments of a child list: (predecessor, name, min, max)."""
    out = []
    seen = set()
    for i, n in enumerate(nodes):
        if n.kind == "seg" and n.name in seen:
            out.append(((nodes[i - 1].kind, nodes[i - 1].name), n.name, n.min, n.max))
        if n.kind == "seg":
            seen.add(n.name)
    return out


def reinsert(v: str, sid: str, base: list[ONode], ref_a: list[ONode], ref_b: list[ONode], path: str, log: Log) -> list[ONode]:
    """Re-insert into `base` (hl7types, siblings collapsed) every repeated
    sibling segment that both references (hl7apy 2.7 and 2.8) have after the
    same predecessor, with the same cardinality."""
    out = [ONode(n.kind, n.name, n.min, n.max, n.children, n.choice) for n in base]
    db = sibling_dups(ref_b)
    for d in sibling_dups(ref_a):
        (pk, pn), name, lo, hi = d
        where = [j for j, x in enumerate(out) if (x.kind, x.name) == (pk, pn)]
        if d not in db:
            log.gap(v, sid, f"{path}{name} after {pn}: repeated sibling in hl7apy 2.7 only, not restored")
        elif not where:
            log.gap(v, sid, f"{path}{name} after {pn}: predecessor not in 2.7.1, repeated sibling not restored")
        elif name not in {x.name for x in out[: where[-1] + 1] if x.kind == "seg"}:
            log.gap(v, sid, f"{path}{name} after {pn}: no first occurrence before it in 2.7.1, not restored")
        else:
            out.insert(where[-1] + 1, ONode("seg", name, lo, hi))
            log.repair(v, sid, f"repeated sibling restored: {path}{name} {card(lo, hi)} after {pn}", "hl7types collapses repeated sibling segments; place and cardinality from hl7apy 2.7 and 2.8 (agree)")
    for n in out:
        if n.kind != "grp":
            continue
        ga = [x for x in ref_a if x.kind == "grp" and x.name == n.name]
        gb = [x for x in ref_b if x.kind == "grp" and x.name == n.name]
        if len(ga) == 1 and len(gb) == 1:
            n.children = reinsert(v, sid, n.children, ga[0].children, gb[0].children, f"{path}{n.name}/", log)
        elif repeated_siblings(ga[0].children if ga else []) or repeated_siblings(gb[0].children if gb else []):
            log.gap(v, sid, f"{path}{n.name}: group not matched in hl7apy 2.7/2.8, repeated siblings unverified")
    return out


def fill_empty_groups(v: str, sid: str, a: list[ONode], t: list[ONode], path: str, log: Log) -> None:
    """hl7apy drops the wildcard child of some groups (QBP_Q13 QBP in 2.4):
    take the children of an empty hl7apy group from hl7types."""
    tg = {n.name: n for n in t if n.kind == "grp"}
    for n in a:
        if n.kind != "grp":
            continue
        other = tg.get(n.name)
        if not n.children:
            if other is None or not other.children:
                raise ValueError(f"{v} {sid}: empty group {path}{n.name} in both sources")
            n.children = [ONode(c.kind, c.name, c.min, c.max, c.children) for c in other.children]
            log.repair(v, sid, f"group {path}{n.name}: children from hl7types", "empty in hl7apy")
        elif other is not None:
            fill_empty_groups(v, sid, n.children, other.children, f"{path}{n.name}/", log)


def only_wildcards(n: ONode) -> bool:
    return n.kind == "any" or (n.kind == "grp" and bool(n.children) and all(only_wildcards(c) for c in n.children))


def graft_wildcards(v: str, sid: str, a: list[ONode], t: list[ONode], path: str, log: Log) -> None:
    """hl7apy drops some "any segment" placeholders (Hxx / anyzsegment) that
    the schema, hl7types and HAPI have. Put them back after the same
    predecessor; recurse into groups present in both."""
    names = {(n.kind, n.name) for n in a}
    for i, n in enumerate(t):
        if only_wildcards(n) and (n.kind, n.name) not in names:
            if i == 0:
                at = 0
            else:
                prev = (t[i - 1].kind, t[i - 1].name)
                idx = [j for j, x in enumerate(a) if (x.kind, x.name) == prev]
                if not idx:
                    log.gap(v, sid, f"{path}{n.name}: wildcard missing in hl7apy, no place to put it")
                    continue
                at = idx[-1] + 1
            a.insert(at, n)
            names.add((n.kind, n.name))
            log.repair(v, sid, f"{path}{n.name} {card(n.min, n.max)} inserted", "wildcard placeholder missing in hl7apy; from hl7types (schema)")
    tg = {n.name: n for n in t if n.kind == "grp"}
    for n in a:
        if n.kind == "grp" and n.name in tg and not only_wildcards(n):
            graft_wildcards(v, sid, n.children, tg[n.name].children, f"{path}{n.name}/", log)


def card(lo: int, hi: int) -> str:
    return f"{lo}..{'*' if hi == UNBOUNDED else hi}"


def build_structures(v: str, ht, apy, apy27, apy28, log: Log) -> dict[str, list[ONode]]:
    out: dict[str, list[ONode]] = {}
    apy_s = apy.structures(v) if apy else {}
    for sid in sorted(ht.messages):
        t = ht_tree(ht, ht.messages[sid].children)
        if apy and sid in apy_s:
            a = apy_tree(apy_s[sid])
            fill_empty_groups(v, sid, a, t, "", log)
            graft_wildcards(v, sid, a, t, "", log)
            # Compare, ignoring the sibling collapse.
            d = diff_trees(dedup(a), t)
            for line in d:
                log.gap(v, sid, f"hl7apy tree used; differs from hl7types: {line}")
            for rs in repeated_siblings(a):
                log.repair(v, sid, f"repeated sibling kept: {rs}", "hl7types collapses repeated sibling segments; structure from hl7apy")
            out[sid] = a
        elif v == "2.7.1":
            if sid in apy27 and sid in apy28:
                out[sid] = reinsert(v, sid, t, apy_tree(apy27[sid]), apy_tree(apy28[sid]), "", log)
            else:
                log.gap(v, sid, "not in hl7apy 2.7 and 2.8; hl7types tree used (repeated siblings unverified)")
                out[sid] = t
        else:
            log.gap(v, sid, "not in hl7apy; hl7types tree used (repeated siblings unverified)")
            out[sid] = t
    return out


def fix_271_group_names(structures, apy27, apy28, log: Log) -> None:
    """hl7types names some 2.7.1 groups after schema reuse (defect 7). Where
    hl7apy 2.7 and 2.8 agree on a group name at the same place of a tree with
    the same segment skeleton, use theirs."""

    def walk(nodes, a, b, sid, path):
        for n, x, y in zip(nodes, a, b):
            if n.kind == "grp" and x.kind == "grp" and y.kind == "grp":
                if x.name == y.name and n.name != x.name:
                    log.repair("2.7.1", sid, f"group {path}{n.name} renamed {x.name}", "hl7types names it after schema reuse; hl7apy 2.7 and 2.8 agree")
                    n.name = x.name
                if x.choice and y.choice and not n.choice:
                    n.choice = True
                    for c in n.children:
                        c.min, c.max = 1, 1
                    log.repair("2.7.1", sid, f"group {path}{n.name} is a choice", "hl7types has no choice groups; hl7apy 2.7 and 2.8 agree")
                walk(n.children, x.children, y.children, sid, f"{path}{n.name}/")

    for sid, nodes in structures.items():
        if sid in apy27 and sid in apy28:
            a = apy_tree(apy27[sid])
            b = apy_tree(apy28[sid])
            if shape_nocard_names(a) == shape_nocard_names(nodes) == shape_nocard_names(b):
                walk(nodes, a, b, sid, "")


def rename_specimen_observation(v: str, structures, log: Log) -> None:
    """DEFINITIONS.md 3.1 defect 7: the observation group inside SPECIMEN is
    named after the schema's reused group type (PATIENT_OBSERVATION) in 2.7
    (hl7apy) and 2.7.1 (hl7types); the standard, hl7types 2.7 and both
    sources in 2.8 call it SPECIMEN_OBSERVATION."""

    def walk(nodes, sid, path):
        for n in nodes:
            if n.kind != "grp":
                continue
            if n.name == "SPECIMEN":
                for c in n.children:
                    if c.kind == "grp" and c.name == "PATIENT_OBSERVATION":
                        c.name = "SPECIMEN_OBSERVATION"
                        log.repair(v, sid, f"group {path}SPECIMEN/PATIENT_OBSERVATION renamed SPECIMEN_OBSERVATION", "schema group-type reuse leaked into the name (DEFINITIONS.md 3.1 defect 7)")
            walk(n.children, sid, f"{path}{n.name}/")

    for sid, nodes in structures.items():
        walk(nodes, sid, "")


# --------------------------------------------------------------------------
# Events

EVENT_RE = re.compile(r"^([A-Z][A-Z0-9]{2})_([A-Z][A-Z0-9]{2})$")


def build_events(v: str, ht, structures, log: Log, events27=None) -> dict[tuple[str, str], str]:
    out: dict[tuple[str, str], str] = {}
    for sid in structures:
        m = EVENT_RE.match(sid)
        if m:
            out[(m.group(1), m.group(2))] = sid
    for alias, base in ht.aliases.items():
        m = EVENT_RE.match(alias)
        if not m:
            log.gap(v, alias, "event alias with an unexpected name")
            continue
        if base not in structures:
            log.gap(v, alias, f"event alias of unknown structure {base}")
            continue
        out[(m.group(1), m.group(2))] = base
    if events27 is not None:
        for key, sid in sorted(events27.items()):
            if key not in out and sid in structures:
                out[key] = sid
                log.repair(v, f"{key[0]}^{key[1]}", f"event -> {sid}", "hl7types 2.7.1 has far fewer event aliases than 2.7; filled from 2.7 where the structure exists in both")
    return out


# --------------------------------------------------------------------------
# Tables


def build_tables(v: str, ht, segments, datatypes, tho, log: Log) -> dict[str, OTable]:
    names: dict[str, str] = {}
    for s in ht.segments.values():
        for f in s.fields:
            t = table_id(f.table)
            if t and f.table_name and t not in names:
                names[t] = f.table_name.strip()
    used = {f.table for s in segments.values() for f in s.fields if f.table}
    used |= {c.table for d in datatypes.values() for c in d.components or [] if c.table}
    out = {}
    for t in sorted(used):
        info = tho.tables.get(t)
        name = names.get(t) or (info.name if info else "-")
        kind = info.kind if info else "-"
        if info is None:
            log.gap(v, t, "table not in THO: no kind, no values")
        elif not info.codes:
            log.gap(v, t, f"table has no values in THO ({kind})")
        out[t] = OTable(t, kind, name)
    return out


# --------------------------------------------------------------------------
# Writers


def check_text(s: str, what: str) -> str:
    if not s or "\t" in s or "\n" in s or "\r" in s or s != s.strip():
        raise ValueError(f"bad {what}: {s!r}")
    return s


def esc_code(s: str) -> str:
    return s.replace("%", "%25").replace(" ", "%20").replace("\t", "%09")


def num(n: int | None) -> str:
    return "-" if n is None else str(n)


def header(v: str, kind: str) -> str:
    return (
        f"# HL7 v{v} {kind}. Generated by tools/defs/convert.py from pinned packages\n"
        f"# (../PROVENANCE.txt); corrections in ../REPAIRS.txt. Format: ../FORMAT.md\n"
    )


def write_version(ov: OVersion) -> None:
    d = os.path.join(OUT, ov.id)
    os.makedirs(d, exist_ok=True)
    lines = [header(ov.id, "segments")]
    for _sid, s in sorted(ov.segments.items()):
        lines.append(f"SEG {s.id} {check_text(s.name, 'segment name')}\n")
        for f in s.fields:
            lines.append(
                f"F {f.position} {f.type or '-'} {f.usage} {card(f.min, f.max)} {num(f.length)} {f.table or '-'} {f.item or '-'} {check_text(f.name, 'field name')}\n"
            )
    write(os.path.join(d, "segments.txt"), lines)

    lines = [header(ov.id, "data types")]
    for _code, dt in sorted(ov.datatypes.items()):
        kind = "P" if dt.components is None else "C"
        lines.append(f"DT {dt.code} {kind} {check_text(dt.name, 'data type name')}\n")
        for c in dt.components or []:
            lines.append(f"C {c.position} {c.type or '-'} {c.usage} {num(c.length)} {c.table or '-'} {check_text(c.name, 'component name')}\n")
    write(os.path.join(d, "datatypes.txt"), lines)

    lines = [header(ov.id, "message structures")]

    def emit(nodes, depth):
        pad = "  " * depth
        for n in nodes:
            if n.kind == "seg":
                lines.append(f"{pad}SEG {n.name} {card(n.min, n.max)}\n")
            elif n.kind == "any":
                which = {"anyhl7segment": "ALL", "anyzsegment": "Z"}[n.name]
                lines.append(f"{pad}ANY {which} {card(n.min, n.max)}\n")
            else:
                kw = "CHOICE" if n.choice else "GRP"
                lines.append(f"{pad}{kw} {n.name} {card(n.min, n.max)}\n")
                emit(n.children, depth + 1)
                lines.append(f"{pad}END\n")

    for sid, nodes in sorted(ov.structures.items()):
        lines.append(f"MSG {sid}\n")
        emit(nodes, 1)
    write(os.path.join(d, "structures.txt"), lines)

    lines = [header(ov.id, "events (message type, trigger event -> structure)")]
    for (mt, tr), sid in sorted(ov.events.items()):
        lines.append(f"EV {mt} {tr} {sid}\n")
    write(os.path.join(d, "events.txt"), lines)

    lines = [header(ov.id, "tables referenced by this version (values: ../tables-tho.txt)")]
    for _tid, t in sorted(ov.tables.items()):
        lines.append(f"TBL {t.id} {t.kind} {check_text(t.name, 'table name')}\n")
    write(os.path.join(d, "tables.txt"), lines)


def write_tho(tho, used: set[str]) -> None:
    lines = [
        "# HL7 Terminology (THO) values of the v2 tables referenced by any bundled version.\n",
        "# Source: npm hl7.terminology.r4 (CC0-1.0, see ../PROVENANCE.txt). Not versioned:\n",
        "# current content with status and the version a code was deprecated in. Format: FORMAT.md\n",
    ]
    for t in sorted(used):
        info = tho.tables.get(t)
        if not info or not info.codes:
            continue
        lines.append(f"TBL {t} {info.kind} {info.code_system} {check_text(info.name, 'THO table name')}\n")
        for c in info.codes:
            disp = " ".join(c.display.split()) or "-"
            status = c.status if re.fullmatch(r"[A-Za-z-]+", c.status) else "-"
            lines.append(f"V {esc_code(c.code)} {status} {c.deprecated_in or '-'} {disp}\n")
    write(os.path.join(OUT, "tables-tho.txt"), lines)


def write(path: str, lines: list[str]) -> None:
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.writelines(lines)


# --------------------------------------------------------------------------


def sha256(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def read_lock() -> list[dict[str, str]]:
    out = []
    with open(os.path.join(HERE, "inputs.lock"), encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            reg, name, ver, fname, digest, licence = line.split()
            out.append({"registry": reg, "name": name, "version": ver, "file": fname, "sha256": digest, "licence": licence})
    return out


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    src = os.path.abspath(argv[1])
    lock = read_lock()
    files = {}
    for e in lock:
        p = os.path.join(src, "dl", e["file"])
        got = sha256(p)
        if got != e["sha256"]:
            raise SystemExit(f"{p}: sha256 {got} does not match inputs.lock")
        files[e["name"]] = p

    log = Log()
    ht_all = {v: src_hl7types.read(files["hl7types"], v) for v in VERSIONS}
    apy_reader = src_hl7apy.Hl7apy(os.path.join(src, "unpacked", "hl7apy"))
    hd_reader = src_hl7dict.Hl7Dictionary(files["hl7-dictionary"])
    tho = src_tho.Tho(files["hl7.terminology.r4"])

    def apy_for(v):
        return apy_reader if apy_reader.has(v) else None

    def hd_for(v):
        return hd_reader if hd_reader.has(v) else None

    direct = {v: direct_bounds(v, apy_for(v), hd_for(v), ht_all[v]) for v in VERSIONS}
    bounds = all_bounds(direct, log)
    apy27 = apy_reader.structures("2.7")
    apy28 = apy_reader.structures("2.8")

    out_versions = []
    for v in VERSIONS:
        ht = ht_all[v]
        ov = OVersion(v)
        ov.segments = build_segments(v, ht, apy_for(v), hd_for(v), log, ht_all, bounds)
        prev27 = next(o.datatypes for o in out_versions if o.id == "2.7") if v in ("2.7.1", "2.8") else None
        ov.datatypes = build_datatypes(v, ht, apy_for(v), hd_for(v), ov.segments, log, prev27, ht_all)
        ov.structures = build_structures(v, ht, apy_for(v), apy27, apy28, log)
        if v == "2.7.1":
            fix_271_group_names(ov.structures, apy27, apy28, log)
        rename_specimen_observation(v, ov.structures, log)
        ov.events = build_events(v, ht, ov.structures, log, out_versions[-1].events if v == "2.7.1" else None)
        check_refs(ov, log)
        out_versions.append(ov)

    fill_table_holes(out_versions, log)
    for ov in out_versions:
        ov.tables = build_tables(ov.id, ht_all[ov.id], ov.segments, ov.datatypes, tho, log)
    os.makedirs(OUT, exist_ok=True)
    used_tables: set[str] = set()
    for ov in out_versions:
        write_version(ov)
        used_tables |= set(ov.tables)
    write_tho(tho, used_tables)
    write_logs(log, lock)
    for ov in out_versions:
        print(f"{ov.id}: {len(ov.segments)} segments, {len(ov.datatypes)} data types, {len(ov.structures)} structures, {len(ov.events)} events, {len(ov.tables)} tables")
    print(f"{len(log.repairs)} repairs, {len(log.gaps)} gaps")
    return 0


def fill_table_holes(out_versions: list[OVersion], log: Log) -> None:
    """A field without a table binding whose data element (item number) has
    the same binding in both neighbouring versions lost it in hl7types'
    metadata (2.7 OBX-8, table 0078): take the neighbours' binding."""

    def index(ov):
        return {(sid, f.item): f for sid, s in ov.segments.items() for f in s.fields if f.item and f.type}

    idx = [index(ov) for ov in out_versions]
    for i in range(1, len(out_versions) - 1):
        ov = out_versions[i]
        for key, f in sorted(idx[i].items()):
            if f.table:
                continue
            a = idx[i - 1].get(key)
            b = idx[i + 1].get(key)
            if a and b and a.table and a.table == b.table and a.position == f.position == b.position:
                f.table = a.table
                log.repair(ov.id, f"{key[0]}-{f.position}", f"table {a.table}", f"binding missing in hl7types; {out_versions[i - 1].id} and {out_versions[i + 1].id} bind the same item to it")


def check_refs(ov: OVersion, log: Log) -> None:
    def walk(nodes, sid):
        for n in nodes:
            if n.kind == "seg" and n.name not in ov.segments:
                log.gap(ov.id, sid, f"segment {n.name} used but not defined")
            if n.kind == "grp":
                if not n.children:
                    raise ValueError(f"{ov.id} {sid}: empty group {n.name}")
                walk(n.children, sid)

    for sid, nodes in ov.structures.items():
        walk(nodes, sid)


def write_logs(log: Log, lock) -> None:
    lines = [
        "# Corrections applied by tools/defs/convert.py to the backbone (hl7types) data.\n",
        "# One line per correction, tab-separated: version, item, what, why/source.\n",
    ]
    for r in sorted(set(log.repairs), key=lambda r: (VERSIONS.index(r[0]), r[1], r[2])):
        lines.append("\t".join(r) + "\n")
    write(os.path.join(OUT, "REPAIRS.txt"), lines)
    lines = [
        "# Known gaps: what the converter could not resolve from the pinned sources.\n",
        "# One line per gap, tab-separated: version, item, what.\n",
    ]
    for g in sorted(set(log.gaps), key=lambda r: (VERSIONS.index(r[0]), r[1], r[2])):
        lines.append("\t".join(g) + "\n")
    write(os.path.join(OUT, "GAPS.txt"), lines)
    lines = [
        "# Inputs of profiles/versions/, converted by tools/defs/convert.py "
        f"(converter version {CONVERTER_VERSION}).\n",
        "# registry\tpackage\tversion\tartifact\tsha256\tlicence (of the package code; see NOTICE-HL7.md)\n",
    ]
    for e in lock:
        lines.append("\t".join([e["registry"], e["name"], e["version"], e["file"], e["sha256"], e["licence"]]) + "\n")
    write(os.path.join(OUT, "PROVENANCE.txt"), lines)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
