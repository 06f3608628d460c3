"""A small DC solver for resistive networks (nodal analysis).

Nodes are any hashable keys. Ideal sources pin a node's voltage; Thevenin
sources (a voltage behind a resistance, e.g. a GPIO output or a pull-up) and
resistors add conductances; current injections (a capacitor's backward-Euler companion, see transient.py)
add to the right-hand side only. Nodes with no path to any source float: their
voltage is None, which is how an undriven net reads.

Diodes (Shockley: i = Is·(exp(v/(n·Vt)) - 1)) make the network nonlinear: `solve` then iterates Newton's
method on their linearised companions (a conductance and a current source at the last voltage, the step
limited as SPICE's pnjlim does so exp() never runs away); `companions` gives that linearisation at a solved
point, for the time model's superposition (transient.py).
"""

from __future__ import annotations

import math
from collections.abc import Hashable
from dataclasses import dataclass, field

Key = Hashable
THERMAL_VOLTS = 0.025852  # kT/q at 300 K
GMIN = 1e-12  # siemens across every diode, as SPICE adds, so a reverse-biased one never leaves a singular matrix
NEWTON_LIMIT = 200
NEWTON_TOLERANCE = 1e-9  # volts across each diode between two iterations


@dataclass(frozen=True)
class DiodeModel:
    """A diode between anode a and cathode k: saturation current (A) and emission coefficient."""

    a: Key
    k: Key
    saturation_amps: float
    emission: float

    @property
    def n_vt(self) -> float:
        return self.emission * THERMAL_VOLTS

    def amps(self, volts: float) -> float:
        """Current from anode to cathode at `volts` across it (anode minus cathode)."""
        return self.saturation_amps * math.expm1(min(volts / self.n_vt, 80.0)) + GMIN * volts

    def companion(self, volts: float) -> tuple[float, float]:
        """(conductance, current) of the linearisation at `volts`: i ≈ g·v + i0."""
        g = self.saturation_amps / self.n_vt * math.exp(min(volts / self.n_vt, 80.0)) + GMIN
        return g, self.amps(volts) - g * volts

    def limit(self, new: float, old: float) -> float:
        """SPICE's pnjlim: a forward step past the critical voltage is taken on a log scale."""
        n_vt = self.n_vt
        critical = n_vt * math.log(n_vt / (math.sqrt(2) * self.saturation_amps))
        if new > critical and abs(new - old) > 2 * n_vt:
            if old > 0:
                arg = 1 + (new - old) / n_vt
                return old + n_vt * math.log(arg) if arg > 0 else critical
            return n_vt * math.log(new / n_vt)
        return new


@dataclass
class Circuit:
    fixed: dict[Key, float] = field(default_factory=dict)
    resistors: list[tuple[Key, Key, float]] = field(default_factory=list)
    thevenin: list[tuple[Key, float, float]] = field(default_factory=list)  # node, volts, ohms
    shorts: list[tuple[Key, float, float]] = field(default_factory=list)  # conflicting ideal sources
    injections: list[tuple[Key, Key, float]] = field(default_factory=list)  # amps pushed from b into a
    diodes: list[DiodeModel] = field(default_factory=list)

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

    def diode(self, a: Key, k: Key, saturation_amps: float, emission: float) -> None:
        """A diode, anode a, cathode k (a diode with both ends on one key carries nothing and is left out)."""
        if a != k:
            self.diodes.append(DiodeModel(a, k, saturation_amps, emission))

    def solve(self) -> dict[Key, float | None]:
        """Voltage of every node mentioned; None for floating ones."""
        if not self.diodes:
            return self._solve_linear(self.resistors, self.injections)
        across = [0.0] * len(self.diodes)
        voltages: dict[Key, float | None] = {}
        for _ in range(NEWTON_LIMIT):
            resistors, injections = list(self.resistors), list(self.injections)
            for diode, volts in zip(self.diodes, across, strict=True):
                g, i0 = diode.companion(volts)
                resistors.append((diode.a, diode.k, 1.0 / g))
                injections.append((diode.k, diode.a, i0))
            voltages = self._solve_linear(resistors, injections)
            new = [_across(voltages, d.a, d.k) for d in self.diodes]
            limited = [d.limit(v, old) for d, v, old in zip(self.diodes, new, across, strict=True)]
            done = all(abs(v - old) < NEWTON_TOLERANCE for v, old in zip(new, across, strict=True))
            across = limited
            if done:
                break
        return voltages

    def companions(self, voltages: dict[Key, float | None]) -> list[tuple[Key, Key, float, float]]:
        """Each diode linearised at solved voltages: (anode, cathode, siemens, amps anode -> cathode at 0 V)."""
        return [(d.a, d.k, *d.companion(_across(voltages, d.a, d.k))) for d in self.diodes]

    def _solve_linear(
        self, resistor_list: list[tuple[Key, Key, float]], injection_list: list[tuple[Key, Key, float]]
    ) -> dict[Key, float | None]:
        nodes: set[Key] = set(self.fixed)
        for a, b, _ in resistor_list:
            nodes.update((a, b))
        nodes.update(n for n, _, _ in self.thevenin)
        unknown = sorted((n for n in nodes if n not in self.fixed), key=repr)
        index = {n: i for i, n in enumerate(unknown)}
        size = len(unknown)
        g = [[0.0] * size for _ in range(size)]
        rhs = [0.0] * size
        driven = [False] * size
        neighbours: list[set[int]] = [set() for _ in range(size)]
        for a, b, ohms in resistor_list:
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
        for a, b, amps in injection_list:
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


def _across(voltages: dict[Key, float | None], a: Key, b: Key) -> float:
    return (voltages.get(a) or 0.0) - (voltages.get(b) or 0.0)


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
