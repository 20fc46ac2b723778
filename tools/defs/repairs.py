"""Hand-kept data for the converter's repairs. Each entry is applied and
logged by convert.py; the reason is given here and in REPAIRS.txt."""

from __future__ import annotations

# Backward-compatible (usage B) fields that the schema-derived sources
# (hl7types, and hl7apy's WD/position-shifted entries) drop, although they are
# live in the standard: DEFINITIONS.md 3.1 defect 4 (compared with HAPI and
# hl7-dictionary). Every other position missing from hl7types is a withdrawn
# field and becomes a placeholder.
BACKWARD_FIELDS: dict[str, dict[str, tuple[int, ...]]] = {
    "2.6": {"DG1": (2, 4, 7, 8, 9, 10, 11, 12, 13, 14)},
    "2.7": {"DG1": (7, 8, 9, 10, 11, 12, 13), "OBR": (14,)},
    "2.7.1": {"DG1": (7, 8, 9, 10, 11, 12, 13), "OBR": (14,)},
    "2.8": {"DG1": (7, 8, 9, 10, 11, 12, 13), "OBR": (14,)},
}

# The same for components: XTN.1 (Telephone Number) is backward compatible
# in 2.6 (withdrawn from 2.7 on); hl7types omits it. Type from hl7-dictionary 2.6.
BACKWARD_COMPONENTS: dict[str, dict[str, tuple[int, ...]]] = {
    "2.6": {"XTN": (1,)},
}

# Types of those fields from 2.7 on. hl7-dictionary's 2.7 types them all ST and
# no registry package has them; read from HAPI's generated v2.7 DG1 segment
# (GitHub hapifhir/hapi-hl7v2, read-only oracle; nothing copied but the type
# codes). OBR-14 keeps its 2.6 type (DTM).
HAPI27_BACKWARD_TYPES: dict[tuple[str, int], str] = {
    ("DG1", 7): "CNE",
    ("DG1", 8): "CNE",
    ("DG1", 9): "ID",
    ("DG1", 10): "CWE",
    ("DG1", 11): "CWE",
    ("DG1", 12): "NM",
    ("DG1", 13): "CP",
    ("OBR", 14): "DTM",
}

# OBX usage codes that only hl7types' 2.7.1/2.8 metadata has: OBX-2 and OBX-4
# as R (every other source and version: conditional / not required) and
# OBX-7..17 as X ("not supported" cannot be right for a base standard field,
# and 2.7 has O). The standard ties these fields to OBX-2 (value type), so
# they are recorded as C. (version -> position -> (found, written))
CONDITIONAL_OBX: dict[str, dict[int, tuple[str, str]]] = {
    "2.7.1": {
        2: ("R", "C"),
        4: ("R", "C"),
        7: ("X", "C"),
        8: ("X", "C"),
        9: ("X", "C"),
        10: ("X", "C"),
        12: ("X", "C"),
        13: ("X", "C"),
        14: ("X", "C"),
        15: ("X", "C"),
        16: ("X", "C"),
        17: ("X", "C"),
    },
    "2.8": {
        2: ("R", "C"),
        4: ("R", "C"),
        8: ("X", "C"),
        9: ("X", "C"),
        12: ("X", "C"),
        13: ("X", "C"),
        14: ("X", "C"),
        15: ("X", "C"),
        17: ("X", "C"),
    },
}

# Short names of the primitive data types (no module in hl7types has them).
PRIMITIVE_NAMES: dict[str, str] = {
    "DT": "Date",
    "DTM": "Date/Time",
    "FT": "Formatted Text Data",
    "GTS": "General Timing Specification",
    "ID": "Coded Value for HL7 Defined Tables",
    "IS": "Coded Value for User-Defined Tables",
    "NM": "Numeric",
    "SI": "Sequence ID",
    "SNM": "String of Telephone Number Digits",
    "ST": "String Data",
    "TM": "Time",
    "TN": "Telephone Number",
    "TX": "Text Data",
    "varies": "Variable Data Type",
}
