"""A question with many unreliable categorical reports: its first update, whole process.

    python benchmarks/large_categorical.py                 # 150 and 300 reports, one run each
    python benchmarks/large_categorical.py --reports 150

The question (three scenarios of a border's posture) has one categorical indicator of four
categories, reported every day by 8 observers of Admiralty grades A-E, and one yes/no
indicator of 10 reports; the ledger is all new, so the update's surprise check and prequential
scores walk every item. Timed whole process beside the bundled question's update (its static
copy), and printed as seconds and a ratio.

Measured 2026-12-03 (2-core VM, one run each): before the work budget of the week's checks and
the cubature from 100,000 terms (``forecasting/model/methods.py``), the 300-report update had
not ended after 15 minutes and the 150-report one's sensitivity alone after 10; after: 150
reports 1 min 54 s, 300 reports 2 min 26 s (most of it the sensitivity analyses).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import yaml

ROOT = Path(__file__).resolve().parents[1]
STATIC = ROOT / "tests" / "inputs" / "data" / "bundled_static"
CATEGORIES = ["calm", "tense", "clashes", "war"]


def write_project(root: Path, n_reports: int, seed: int = 7) -> Path:
    """The question and its ledger in ``root``; the question's path."""
    rng = np.random.default_rng(seed)
    q = {
        "id": "border",
        "title": "Border posture",
        "reliability_model": "mixture",
        "scenarios": {
            "deal": {"label": "A deal holds", "prior": 0.4},
            "drift": {"label": "Drift", "prior": 0.35},
            "war": {"label": "Open war", "prior": 0.25},
        },
        "indicators": {
            "posture": {
                "kind": "categorical",
                "description": "daily posture reported",
                "categories": CATEGORIES,
                "probabilities": {
                    "deal": {"calm": 0.5, "tense": 0.3, "clashes": 0.15, "war": 0.05},
                    "drift": {"calm": 0.25, "tense": 0.4, "clashes": 0.25, "war": 0.1},
                    "war": {"calm": 0.05, "tense": 0.2, "clashes": 0.4, "war": 0.35},
                },
                "concentration": 8,
            },
            "talks": {
                "kind": "binary",
                "description": "talks held this week",
                "probability": {
                    "deal": {"mean": 0.7, "sd": 0.15},
                    "drift": {"mean": 0.4, "sd": 0.15},
                    "war": {"mean": 0.1, "sd": 0.08},
                },
            },
        },
    }
    (root / "models").mkdir(parents=True)
    path = root / "models" / "border.yaml"
    path.write_text(yaml.safe_dump(q, sort_keys=False))
    ev = root / "evidence" / "border"
    ev.mkdir(parents=True)
    rows = []
    for i in range(n_reports):
        o = i % 8
        rows.append(
            {
                "id": f"p{i}",
                "indicator": "posture",
                "value": str(rng.choice(CATEGORIES, p=[0.3, 0.4, 0.2, 0.1])),
                "date": str(dt.date(2025, 1, 1) + dt.timedelta(days=i % 300)),
                "source": f"outlet {o}",
                "origin": f"observer {o}",
                "reliability": "ABCDE"[o % 5] + "23"[i % 2],
            }
        )
    for i in range(10):
        day = dt.date(2025, 3, 1) + dt.timedelta(days=7 * i)
        rows.append(
            {
                "id": f"t{i}",
                "indicator": "talks",
                "value": bool(i % 3),
                "date": str(day),
                "source": "wire",
                "reliability": "B2",
            }
        )
    (ev / "all.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def timed_update(question: Path, as_of: str) -> float:
    """Seconds of one ``forecast update`` (whole process) in the question's project."""
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "forecasting.cli", "update", str(question), "--as-of", as_of],
        cwd=question.parent.parent,
        check=False,
        capture_output=True,
    )
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reports", type=int, nargs="*", default=[150, 300])
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        bundled = Path(tmp) / "bundled"
        bundled.mkdir()
        for part in ("models", "evidence"):
            src = STATIC / part
            if src.exists():
                subprocess.run(["cp", "-r", str(src), str(bundled)], check=True)
        question = next((bundled / "models").glob("*.yaml"))
        base = timed_update(question, "2025-10-27")
        print(f"bundled question (static copy): update {base:.1f} s")
        for n in args.reports:
            path = write_project(Path(tmp) / f"border{n}", n)
            seconds = timed_update(path, "2025-11-01")
            print(
                f"{n} posture reports + 10 yes/no: update {seconds:.1f} s ({seconds / base:.1f}x)"
            )


if __name__ == "__main__":
    main()
