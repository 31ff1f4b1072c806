"""The summary table of ``bench/rollout_overhead.py``: each figure beside its target."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Row:
    figure: str
    measured: str
    target: str
    met: bool | None  # None: not measured, or no pass/fail target

    @property
    def verdict(self) -> str:
        return {True: "met", False: "MISSED", None: "-"}[self.met]


@dataclass
class Report:
    rows: list[Row] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def add(self, figure: str, measured: str, target: str, met: bool | None) -> None:
        self.rows.append(Row(figure, measured, target, met))

    def print_table(self) -> None:
        columns = ("figure", "measured", "target")
        widths = {
            name: max(len(name), *(len(getattr(row, name)) for row in self.rows))
            for name in columns
        }
        print()
        print("== Summary")
        print("  ".join(f"{name:<{widths[name]}}" for name in columns) + "  verdict")
        for row in self.rows:
            cells = "  ".join(f"{getattr(row, name):<{widths[name]}}" for name in columns)
            print(f"{cells}  {row.verdict}")
        for problem in self.problems:
            print(f"problem: {problem}")


def say(text: str = "") -> None:
    print(text, flush=True)


def fmt(seconds: float | None) -> str:
    return "-" if seconds is None else f"{seconds:.2f} s"
