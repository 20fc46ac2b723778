"""Reader for hl7-dictionary (npm), used only as a filler: field and component
lengths, component optionality up to 2.5.1, repetition bounds up to 2.4 and
the types of backward-compatible 2.6 fields that the schema-derived sources
drop. Its "2.7.1" is a byte copy of 2.7 and is never read.

The package's modules are plain `var x = {...}; module.exports = x;` files
whose object literal is valid JSON, so they are read from the tarball
without running node.
"""

from __future__ import annotations

import json
import tarfile
from dataclasses import dataclass

VERSIONS = ("2.3", "2.3.1", "2.4", "2.5", "2.5.1", "2.6", "2.7")


@dataclass
class DictItem:
    position: int
    type: str
    name: str
    opt: int  # 1 = O, 2 = R, 3 = C, 4 = B/W (2.7 only)
    rep: int  # 0 = unbounded, n = at most n
    length: int | None
    table: str | None


class Hl7Dictionary:
    def __init__(self, tgz: str):
        self._tgz = tgz
        self._cache: dict[str, dict] = {}

    def _load(self, member: str) -> dict:
        if member not in self._cache:
            with tarfile.open(self._tgz) as tf:
                f = tf.extractfile("package/lib/" + member)
                if f is None:
                    raise ValueError(f"{member} missing from hl7-dictionary")
                s = f.read().decode("utf-8")
            self._cache[member] = json.loads(s[s.index("{") : s.rindex("}") + 1])
        return self._cache[member]

    @staticmethod
    def has(version: str) -> bool:
        return version in VERSIONS

    def segments(self, version: str) -> dict[str, list[DictItem]]:
        data = self._load(f"{version}/segments.js")
        return {k: _items(v.get("fields", [])) for k, v in data.items()}

    def datatypes(self, version: str) -> dict[str, list[DictItem]]:
        data = self._load(f"{version}/fields.js")
        return {k: _items(v.get("subfields", [])) for k, v in data.items()}


def _items(raw: list[dict]) -> list[DictItem]:
    out = []
    for i, f in enumerate(raw):
        table = f.get("table")
        out.append(
            DictItem(
                i + 1,
                f.get("datatype", ""),
                (f.get("desc") or "").strip(),
                int(f.get("opt", 0) or 0),
                int(f.get("rep", 1) or 0),
                f.get("len"),
                f"{int(table):04d}" if table not in (None, "", 0) else None,
            )
        )
    return out
