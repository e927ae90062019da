"""Performance against libRoadRunner: the ratio of each benchmark, with its target.

Runs no benchmark: it reads ``benchmarks/results.json`` (written from a run of
``benchmarks/sweep.py``; schema below) and draws, for every row with a peer time, the
ratio libRoadRunner time / follicle time (above 1: follicle is faster) on a log scale,
with the row's target where it has one, and, when the record has a work-precision table,
beside it each tool's time per member against its largest onset error (against Radau at
rtol 1e-12) at each tolerance. Rows without a peer time are listed under the chart with
follicle's time. Missing keys and rows are tolerated: a row without a ratio
gets ``peer_s / follicle_s`` if it has both times, and is listed otherwise.

Schema::

    {"date": str, "machine": str, "command": str, "note": str,
     "rows": [{"benchmark": str, "follicle_s": float | null, "peer_s": float | null,
               "ratio": float | null, "target": float | null}],
     "work_precision": [{"rtol": float, "follicle_s": float, "peer_s": float,
                         "follicle_max_error_day": float, "peer_max_error_day": float}]}
"""

from __future__ import annotations

import json
import sys
import textwrap
from pathlib import Path

import matplotlib.pyplot as plt

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import HERE, save, standalone

FINDINGS = ()
RESULTS = HERE.parent / "benchmarks" / "results.json"
COLOURS = {"met": "#2e7d32", "missed": "#c62828", "none": "#9e9e9e"}


def _ratio(row: dict) -> float | None:
    """The row's ratio, or ``peer_s / follicle_s`` when only the two times are given."""
    if row.get("ratio") is not None:
        return float(row["ratio"])
    if row.get("follicle_s") and row.get("peer_s") is not None:
        return row["peer_s"] / row["follicle_s"]
    return None


def _status(ratio: float, target: float | None) -> str:
    if target is None:
        return "none"
    return "met" if ratio >= target else "missed"


def _label(row: dict) -> str:
    """The benchmark's name, starred with its peer when the peer is not libRoadRunner."""
    name = row.get("benchmark", "?")
    peer = row.get("peer", "libRoadRunner")
    return name if peer == "libRoadRunner" else f"* {name} (ratio: {peer} time / this)"


def _work_precision(ax, work: list[dict]) -> None:
    """Time per member against the largest onset error, one point per rtol, both tools."""
    for key, name, colour in (
        ("follicle", "follicle", "#1565c0"),
        ("peer", "libRoadRunner", "#ef6c00"),
    ):
        pts = [
            (row[f"{key}_max_error_day"], row[f"{key}_s"] * 1e3, row["rtol"])
            for row in work
            if row.get(f"{key}_s") and row.get(f"{key}_max_error_day")
        ]
        if not pts:
            continue
        err, ms, _ = zip(*pts, strict=True)
        ax.plot(err, ms, "o-", color=colour, label=name, ms=4)
        for e, t, r in pts:
            ax.annotate(f"{r:.0e}", (e, t), fontsize=6, xytext=(3, 3), textcoords="offset points")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("largest onset error (day), against Radau rtol 1e-12", fontsize=7)
    ax.set_ylabel("time per sweep member (ms)", fontsize=7)
    ax.set_title("work-precision, labels: rtol", fontsize=8)
    ax.tick_params(labelsize=7)
    ax.legend(fontsize=7, frameon=False)


def main(out_dir: Path = HERE, fast: bool = False) -> list[Path]:
    """Draw the ratios of ``benchmarks/results.json`` (``fast`` changes nothing)."""
    record = json.loads(RESULTS.read_text(encoding="utf-8"))
    rows = record.get("rows", [])
    compared = [(row, _ratio(row)) for row in rows if _ratio(row) is not None]
    alone = [row for row in rows if _ratio(row) is None]
    work = record.get("work_precision") or []
    height = 1.6 + 0.45 * max(len(compared), 1)
    if work:
        fig, (ax, wp) = plt.subplots(
            1, 2, figsize=(12.0, height), gridspec_kw={"width_ratios": (2.3, 1)}
        )
        _work_precision(wp, work)
    else:
        fig, ax = plt.subplots(figsize=(8.4, height))
    for y, (row, ratio) in enumerate(compared):
        target = row.get("target")
        ax.barh(y, ratio, color=COLOURS[_status(ratio, target)], height=0.6)
        ax.text(ratio * 1.05, y, f"{ratio:.2g}", va="center", fontsize=7)
        if target is not None:
            ax.plot([target, target], [y - 0.4, y + 0.4], color="k", lw=2)
    ax.set_xscale("log")
    ax.axvline(1.0, color="k", ls=":", lw=1)
    ax.set_yticks(
        range(len(compared)),
        [textwrap.fill(_label(row), 48) for row, _ in compared],
        fontsize=7,
    )
    ax.invert_yaxis()
    ax.set_xlabel(
        "libRoadRunner time / follicle time (log; right of the dotted line: follicle "
        "faster)\n* a ratio against another peer, named in the row"
    )
    handles = [plt.Rectangle((0, 0), 1, 1, color=COLOURS[k]) for k in COLOURS]
    handles.append(plt.Line2D([], [], color="k", lw=2))
    ax.legend(
        handles,
        ["target met", "target missed", "no target", "target"],
        fontsize=7,
        frameon=False,
        loc="upper center",
        bbox_to_anchor=(0.5, -0.3),
        ncol=4,
    )
    fig.suptitle(
        textwrap.fill(
            f"follicle against libRoadRunner, measured {record.get('date', '(no date)')} on "
            f"{record.get('machine', '(machine not recorded)')}; "
            f"{record.get('command', '(command not recorded)')}",
            120,
        ),
        fontsize=8,
    )
    if alone:
        listed = "; ".join(
            f"{row.get('benchmark', '?')}: {row['follicle_s']:g} s"
            if row.get("follicle_s") is not None
            else row.get("benchmark", "?")
            for row in alone
        )
        fig.text(
            0.01, 0.01, textwrap.fill(f"No peer time: {listed}.", 150), fontsize=6.5, va="bottom"
        )
    fig.tight_layout(rect=(0, 0.05 if alone else 0, 1, 1))
    return save(fig, "performance", out_dir, tight=False)


if __name__ == "__main__":
    standalone(main)
