"""The firmware's own signature tables, by firmware tree and family: what a real board accepts.

`firmware_table.py` is generated from the C source (see `c_module`); this module says which tree stands
for which firmware, so the host, the catalog tests and the virtual board all ask the same oracle:

    tree = tree_for(FirmwareVersion.parse("5.7.0.13"))
    tree.table.functions["disconnect"].accepts(1)   # False: the firmware takes exactly 2
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from firmware_api.c_module import FunctionSig, ModuleTable
from firmware_api.firmware_table import TABLES, TREES
from firmware_api.versions import Family, FirmwareVersion


@dataclass(frozen=True)
class Tree:
    """One firmware source tree whose module table was read: its version, where it came from, the table."""

    name: str
    version: FirmwareVersion
    source: str
    repository: str
    commit: str
    sha256: str
    note: str
    table: ModuleTable

    @property
    def family(self) -> Family:
        return self.version.family

    def function(self, name: str) -> FunctionSig | None:
        return self.table.functions.get(name)


@cache
def trees() -> tuple[Tree, ...]:
    """Every tree, oldest firmware first."""
    found = [
        Tree(name, FirmwareVersion.parse(version), source, repository, commit, digest, note, TABLES[name])
        for name, (version, source, repository, commit, digest, note) in TREES.items()
    ]
    return tuple(sorted(found, key=lambda tree: tree.version))


def trees_of(family: Family) -> tuple[Tree, ...]:
    return tuple(tree for tree in trees() if tree.family & family)


def tree(name: str) -> Tree:
    for candidate in trees():
        if candidate.name == name:
            return candidate
    raise KeyError(name)


def tree_for(version: FirmwareVersion) -> Tree:
    """The newest tree not newer than `version` in its family (the oldest of the family if all are newer)."""
    family = trees_of(version.family)
    older = [candidate for candidate in family if candidate.version <= version]
    return older[-1] if older else family[0]
