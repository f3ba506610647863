"""The dashboard's what-if recompute on the bundled question, against the target of 200 ms.

    python benchmarks/dashboard.py              # 21 interleaved repeats of each
    python benchmarks/dashboard.py --repeats 51

Each what-if edit (drop an item, drop an origin, add a hypothetical item, move a judgement) is
recomputed by :func:`forecasting.dashboard.whatif.recompute`, the function the page calls, and
timed beside the library's plain ``forecasting.forecast`` of the same edited ledger (4,000
draws, its confidence left uncomputed) and the exact closed-form posterior alone, pair by pair
(A, B, C, A, B, C, ...) so that a drifting machine speed cancels out. Printed: medians in ms,
and the what-if's ratio to the plain forecast; the probabilities are checked equal.

The "bundled question" here is its static copy, ``tests/inputs/data/bundled_static/`` (the bundled
question without its ``dynamics:``): these figures are the static engine's, as they were before
the bundled question had dynamics (``forecast run models/syria_coalition.yaml`` as shipped runs
the dynamic model).
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import time
from pathlib import Path

import numpy as np

import forecasting as fc
from forecasting.dashboard.whatif import Move, WhatIf, edited_evidence, recompute
from forecasting.engines.exact import exact_posterior
from forecasting.model.data import ModelData

ROOT = Path(__file__).resolve().parent.parent
# the bundled question without its dynamics
STATIC = ROOT / "tests" / "inputs" / "data" / "bundled_static"
QUESTION = STATIC / "models" / "syria_coalition.yaml"
AS_OF = dt.date(2025, 10, 27)
TARGET_MS = 200


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=21)
    args = parser.parse_args()
    q = fc.load_question(QUESTION)
    ev = fc.load_evidence(None, q)
    item = {
        "id": "what-if-1",
        "indicator": "joint_operations",
        "value": 0,
        "window": ["2025-09-27", "2025-10-27"],
        "date": "2025-10-27",
        "source": "what-if",
        "reliability": "B2",
    }
    edits = {
        "drop an item": WhatIf().drop(ev.ids[0]),
        "drop an origin": WhatIf().drop_origin("Middle East Institute"),
        "add an item": WhatIf().add(item),
        "move a judgement": WhatIf().moved(Move("prior:accession", 0.4)),
    }
    print(f"what-if recompute on {QUESTION.name} ({len(ev)} items), as of {AS_OF}; medians of ")
    print(f"{args.repeats} interleaved repeats, in ms (target: {TARGET_MS} ms)\n")
    print(f"  {'edit':<18} {'what-if':>8} {'forecast()':>11} {'closed form':>12} {'ratio':>6}")
    for name, whatif in edits.items():
        edited = edited_evidence(q, ev, whatif)

        def plain(edited=edited):
            return fc.forecast(q, edited, as_of=AS_OF, confidence=False)

        def closed(edited=edited):
            return exact_posterior(ModelData.build(q, edited.as_of(AS_OF)))

        def page(whatif=whatif):
            return recompute(q, ev, whatif, as_of=AS_OF)

        if whatif.move is None:  # the page's numbers are the library's
            np.testing.assert_allclose(
                page().probabilities, plain().probabilities.values, rtol=0, atol=1e-12
            )
        times: dict[str, list[float]] = {"page": [], "plain": [], "closed": []}
        for _ in range(args.repeats):
            for key, fn in (("page", page), ("plain", plain), ("closed", closed)):
                t0 = time.perf_counter()
                fn()
                times[key].append(time.perf_counter() - t0)
        ms = {k: 1000 * statistics.median(v) for k, v in times.items()}
        ratio = statistics.median(a / b for a, b in zip(times["page"], times["plain"], strict=True))
        print(
            f"  {name:<18} {ms['page']:8.0f} {ms['plain']:11.0f} {ms['closed']:12.0f} {ratio:6.2f}"
        )


if __name__ == "__main__":
    main()
