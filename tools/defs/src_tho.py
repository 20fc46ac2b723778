"""Reader for HL7 Terminology (THO), npm `hl7.terminology.r4` (CC0).

Gives the v2 table list (number, name, table type) and, for each table whose
code system is in the package, the codes with display names, status and the
version in which a code was deprecated. Definitions and comments are not read.
"""

from __future__ import annotations

import json
import tarfile
from dataclasses import dataclass, field

CS_PREFIX = "http://terminology.hl7.org/CodeSystem/"

# THO table types -> one-word kinds used in the profile files.
KINDS = {
    "HL7": "HL7",
    "User": "User",
    "Externally defined": "External",
    "HL7-EXT": "HL7-EXT",
    "no longer used": "Unused",
    "Imported": "Imported",
}


@dataclass
class Code:
    code: str
    display: str
    status: str  # active, deprecated, retired, ...
    deprecated_in: str | None


@dataclass
class TableInfo:
    id: str
    name: str
    kind: str
    code_system: str | None  # e.g. "v2-0001"; None if external or absent
    codes: list[Code] = field(default_factory=list)


class Tho:
    def __init__(self, tgz: str):
        self.tables: dict[str, TableInfo] = {}
        with tarfile.open(tgz) as tf:
            files = {m.name: m for m in tf.getmembers() if m.isfile()}

            def load(name: str):
                f = tf.extractfile(files[name])
                assert f is not None
                return json.loads(f.read().decode("utf-8"))

            master = load("package/CodeSystem-v2-tables.json")
            for c in master["concept"]:
                props = {p["code"]: next(v for k, v in p.items() if k.startswith("value")) for p in c.get("property", [])}
                kind = KINDS.get(props.get("v2-table-type", ""), "-")
                uri = props.get("v2-cs-uri")
                cs = uri[len(CS_PREFIX) :] if uri and uri.startswith(CS_PREFIX) else None
                info = TableInfo(c["code"], c["display"].strip(), kind, cs)
                if cs and f"package/CodeSystem-{cs}.json" in files:
                    info.codes = _codes(load(f"package/CodeSystem-{cs}.json"))
                else:
                    info.code_system = None
                self.tables[c["code"]] = info


def _codes(cs: dict) -> list[Code]:
    out: list[Code] = []

    def walk(concepts):
        for c in concepts:
            props = {}
            for p in c.get("property", []):
                props.setdefault(p["code"], next(v for k, v in p.items() if k.startswith("value")))
            out.append(
                Code(
                    c["code"],
                    (c.get("display") or "").strip(),
                    str(props.get("status", "active")),
                    props.get("v2-table-deprecated"),
                )
            )
            walk(c.get("concept", []))

    walk(cs.get("concept", []))
    return out
