"""Reader for hl7apy (PyPI): message structures, component table bindings,
field repetition bounds and 2.3 CM composite links.

hl7apy keeps its definitions as plain Python dictionaries. Its package
__init__ lists its own directory, so it cannot be imported from the zip; the
converter unpacks the pinned wheel into the scratch directory and imports the
per-version modules from there. No code of the package is copied.
"""

from __future__ import annotations

import importlib
import re
import sys
from dataclasses import dataclass


@dataclass
class Child:
    kind: str  # "seg", "grp" or "any"
    name: str  # segment id, group name (structure prefix stripped) or wildcard name
    min: int
    max: int  # -1 = unbounded
    children: list["Child"] | None = None  # for groups
    choice: bool = False  # a group whose children are alternatives


@dataclass
class ApyField:
    position: int
    type: str
    name: str  # UPPER_SNAKE long name
    table: str | None  # "0001"
    min: int
    max: int


@dataclass
class ApyComponent:
    position: int
    type: str
    name: str
    table: str | None


class Hl7apy:
    def __init__(self, unpacked_dir: str):
        if unpacked_dir not in sys.path:
            sys.path.insert(0, unpacked_dir)

    @staticmethod
    def has(version: str) -> bool:
        return version != "2.7.1"

    def _mod(self, version: str):
        return importlib.import_module("hl7apy.v" + version.replace(".", "_"))

    def structures(self, version: str) -> dict[str, list[Child]]:
        m = self._mod(version)
        out: dict[str, list[Child]] = {}
        for sid, (_kind, children) in m.MESSAGES.items():
            out[sid] = [self._child(sid, c) for c in children]
        return out

    def _child(self, sid: str, c) -> Child:
        name, ref, (lo, hi), kind = c[0], c[1], c[2], c[3]
        if kind == "SEG":
            if name.upper().startswith("ANY"):
                return Child("any", name.lower(), lo, hi)
            return Child("seg", name, lo, hi)
        if kind == "GRP":
            gname = _strip_group_prefix(sid, name)
            kind_of_group = ref[0]
            if kind_of_group not in ("sequence", "choice"):
                raise ValueError(f"{sid}: group {name} of kind {kind_of_group}")
            return Child("grp", gname, lo, hi, [self._child(sid, cc) for cc in ref[1]], kind_of_group == "choice")
        raise ValueError(f"{sid}: unknown child kind {kind}")

    def segment_fields(self, version: str) -> dict[str, list[ApyField]]:
        m = self._mod(version)
        out: dict[str, list[ApyField]] = {}
        for seg, entry in m.SEGMENTS.items():
            if seg.upper().startswith("ANY"):
                continue  # the wildcard pseudo-segment
            children = entry[1] if len(entry) > 1 else ()  # 2.7 QRD etc. are empty
            fields = []
            for c in children:
                key, ref, (lo, hi) = c[0], c[1], c[2]
                pos = int(key.rsplit("_", 1)[1])
                fields.append(ApyField(pos, ref[2], ref[3], _table(ref[4]), lo, hi))
            out[seg] = fields
        return out

    def components(self, version: str) -> dict[str, list[ApyComponent]]:
        m = self._mod(version)
        out: dict[str, list[ApyComponent]] = {}
        for code, children in m.DATATYPES_STRUCTS.items():
            comps = []
            for c in children:
                key, ref = c[0], c[1]
                pos = int(key.rsplit("_", 1)[1])
                comps.append(ApyComponent(pos, ref[2], ref[3], _table(ref[4])))
            out[code] = comps
        return out


def _table(t: str | None) -> str | None:
    if not t:
        return None
    m = re.fullmatch(r"HL7(\d{4})", t)
    if not m:
        raise ValueError(f"unexpected table id {t!r}")
    if m.group(1) == "9999":
        return None  # hl7apy's "no table" marker
    return m.group(1)


def _strip_group_prefix(sid: str, name: str) -> str:
    if name.startswith(sid + "_"):
        return name[len(sid) + 1 :]
    m = re.match(r"^[A-Z0-9]{3}_[A-Za-z0-9]{3}_(.+)$", name)
    if m:
        return m.group(1)
    return name
