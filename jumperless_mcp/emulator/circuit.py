"""A small DC solver for resistive networks (nodal analysis).

Nodes are any hashable keys. Ideal sources pin a node's voltage; Thevenin
sources (a voltage behind a resistance, e.g. a GPIO output or a pull-up) and
resistors add conductances; current injections (a capacitor's backward-Euler companion, see transient.py)
add to the right-hand side only. Nodes with no path to any source float: their
voltage is None, which is how an undriven net reads.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass, field

Key = Hashable


@dataclass
class Circuit:
    fixed: dict[Key, float] = field(default_factory=dict)
    resistors: list[tuple[Key, Key, float]] = field(default_factory=list)
    thevenin: list[tuple[Key, float, float]] = field(default_factory=list)  # node, volts, ohms
    shorts: list[tuple[Key, float, float]] = field(default_factory=list)  # conflicting ideal sources
    injections: list[tuple[Key, Key, float]] = field(default_factory=list)  # amps pushed from b into a

    def fix(self, node: Key, volts: float) -> None:
        """Pin a node to an ideal source; a second, different source is a short (first one wins)."""
        if node in self.fixed and abs(self.fixed[node] - volts) > 1e-9:
            self.shorts.append((node, self.fixed[node], volts))
            return
        self.fixed[node] = volts

    def resistor(self, a: Key, b: Key, ohms: float) -> None:
        if ohms <= 0:
            raise ValueError("resistance must be positive")
        self.resistors.append((a, b, ohms))

    def source(self, node: Key, volts: float, ohms: float) -> None:
        self.thevenin.append((node, volts, ohms))

    def inject(self, a: Key, b: Key, amps: float) -> None:
        """A current source driving `amps` out of b and into a (it drives no node by itself)."""
        self.injections.append((a, b, amps))

    def solve(self) -> dict[Key, float | None]:
        """Voltage of every node mentioned; None for floating ones."""
        nodes: set[Key] = set(self.fixed)
        for a, b, _ in self.resistors:
            nodes.update((a, b))
        nodes.update(n for n, _, _ in self.thevenin)
        unknown = sorted((n for n in nodes if n not in self.fixed), key=repr)
        index = {n: i for i, n in enumerate(unknown)}
        size = len(unknown)
        g = [[0.0] * size for _ in range(size)]
        rhs = [0.0] * size
        driven = [False] * size
        neighbours: list[set[int]] = [set() for _ in range(size)]
        for a, b, ohms in self.resistors:
            conductance = 1.0 / ohms
            ia, ib = index.get(a), index.get(b)
            if ia is not None:
                g[ia][ia] += conductance
            if ib is not None:
                g[ib][ib] += conductance
            if ia is not None and ib is not None:
                g[ia][ib] -= conductance
                g[ib][ia] -= conductance
                neighbours[ia].add(ib)
                neighbours[ib].add(ia)
            elif ia is not None:
                rhs[ia] += conductance * self.fixed[b]
                driven[ia] = True
            elif ib is not None:
                rhs[ib] += conductance * self.fixed[a]
                driven[ib] = True
        for node, volts, ohms in self.thevenin:
            i = index.get(node)
            if i is not None:
                g[i][i] += 1.0 / ohms
                rhs[i] += volts / ohms
                driven[i] = True
        for a, b, amps in self.injections:
            ia, ib = index.get(a), index.get(b)
            if ia is not None:
                rhs[ia] += amps
            if ib is not None:
                rhs[ib] -= amps
        floating = _undriven(neighbours, driven)
        solved = _gauss(g, rhs, skip=floating)
        result: dict[Key, float | None] = dict(self.fixed)
        for n, i in index.items():
            result[n] = None if i in floating else solved[i]
        return result

    def current(self, voltages: dict[Key, float | None], a: Key, b: Key, ohms: float) -> float:
        """Current from a to b through a resistor, 0 if either end floats."""
        va, vb = voltages.get(a), voltages.get(b)
        if va is None or vb is None:
            return 0.0
        return (va - vb) / ohms


def _undriven(neighbours: list[set[int]], driven: list[bool]) -> set[int]:
    """Indices in components that reach no source."""
    seen: set[int] = set()
    floating: set[int] = set()
    for start in range(len(driven)):
        if start in seen:
            continue
        component, stack = [], [start]
        seen.add(start)
        while stack:
            i = stack.pop()
            component.append(i)
            for j in neighbours[i]:
                if j not in seen:
                    seen.add(j)
                    stack.append(j)
        if not any(driven[i] for i in component):
            floating.update(component)
    return floating


def _gauss(g: list[list[float]], rhs: list[float], skip: set[int]) -> list[float]:
    """Solve g·x = rhs over the indices not in skip (Gaussian elimination, partial pivoting)."""
    active = [i for i in range(len(rhs)) if i not in skip]
    matrix = [[g[r][c] for c in active] + [rhs[r]] for r in active]
    n = len(active)
    for col in range(n):
        pivot = max(range(col, n), key=lambda r: abs(matrix[r][col]))
        if abs(matrix[pivot][col]) < 1e-15:
            continue
        matrix[col], matrix[pivot] = matrix[pivot], matrix[col]
        for r in range(n):
            if r != col and matrix[r][col] != 0.0:
                factor = matrix[r][col] / matrix[col][col]
                row, prow = matrix[r], matrix[col]
                for c in range(col, n + 1):
                    row[c] -= factor * prow[c]
    x = [0.0] * len(rhs)
    for k, i in enumerate(active):
        x[i] = matrix[k][n] / matrix[k][k] if abs(matrix[k][k]) > 1e-15 else 0.0
    return x
