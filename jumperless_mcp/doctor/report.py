"""The doctor's findings: one `Check` per question, shown as a table with the fixes, or as JSON."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

STATUSES = ("ok", "warn", "fail", "skipped")


@dataclass(frozen=True)
class Check:
    """One answer: `detail` says what was found (for `skipped`, why it was not checked); `fix` what to do."""

    name: str
    status: str
    detail: str
    fix: str | None = None

    def __post_init__(self) -> None:
        if self.status not in STATUSES:
            raise ValueError(f"status must be one of {STATUSES}, got {self.status!r}")


@dataclass
class Report:
    target: str
    checks: list[Check] = field(default_factory=list)

    def add(self, *checks: Check) -> None:
        self.checks.extend(checks)

    @property
    def exit_status(self) -> int:
        """0 when all is well (every check ok or skipped), 1 otherwise."""
        return 0 if all(check.status in ("ok", "skipped") for check in self.checks) else 1

    def by_name(self, name: str) -> Check:
        return next(check for check in self.checks if check.name == name)

    def as_dict(self) -> dict[str, object]:
        counts = {status: sum(check.status == status for check in self.checks) for status in STATUSES}
        return {
            "target": self.target,
            "ok": self.exit_status == 0,
            "exit_status": self.exit_status,
            "counts": counts,
            "checks": [asdict(check) for check in self.checks],
        }

    def table(self) -> str:
        """The checks as aligned columns, then the fixes numbered as the table refers to them."""
        fixes = [check for check in self.checks if check.fix and check.status in ("warn", "fail")]
        rows = [("status", "check", "detail")]
        for check in self.checks:
            mark = f" [fix {fixes.index(check) + 1}]" if check in fixes else ""
            rows.append((check.status, check.name, check.detail + mark))
        widths = [max(len(row[i]) for row in rows) for i in range(2)]
        lines = [f"jumperless-mcp doctor: {self.target}", ""]
        lines += [f"{row[0].ljust(widths[0])}  {row[1].ljust(widths[1])}  {row[2]}".rstrip() for row in rows]
        if fixes:
            lines += ["", "Fixes:"]
            lines += [f"  {number}. {check.name}: {check.fix}" for number, check in enumerate(fixes, 1)]
        lines += ["", "All is well." if self.exit_status == 0 else "Problems found (exit status 1)."]
        return "\n".join(lines)
