"""What the forecasts are worth, world by world: scores, calibration and coverage by simulation.

    python benchmarks/calibration.py                  # 500 questions per row (about 2 min)
    python benchmarks/calibration.py --questions 100 --plot /tmp/calibration.png

For each world of :mod:`forecasting.scoring.simulate` (the model's own prior, and worlds that
break its assumptions) and each setting of the model features, it draws the questions,
forecasts them weekly with the exact engine, resolves and scores them, and prints per row:
the mean time-averaged Brier score (± its standard error) and log score, the CORP
miscalibration and discrimination terms and the share of the reliability diagram inside its
pointwise 90% consistency band (of each question's last forecast), and how often the
forecast two weeks later fell inside the responsiveness range (its 5%-95% range: 90% when
the measure is right). Rows run on every core. With ``--plot``, the reliability diagram of
every row is drawn in one figure.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from forecasting.scoring.simulate import Features, run  # noqa: E402

#: (world, features) rows of the table, in order.
ROWS = [
    ("prior", Features()),
    ("prior", Features(reliability_model="tempered")),
    ("echo", Features()),
    ("echo", Features(echo_handling=False)),
    ("echo", Features(reliability_model="tempered", echo_handling=False)),
    ("fabrication", Features()),
    ("fabrication", Features(reliability_model="tempered")),
    ("regime_switch", Features()),
    ("regime_switch", Features(dynamics=True)),
    ("prior", Features(dynamics=True)),
    ("outside", Features()),
    ("outside", Features(catch_all=True)),
]


def one_row(args: tuple[int, int, int]):
    n, questions, seed = args
    world, features = ROWS[n]
    return run(world, questions, features=features, seed=seed)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", type=int, default=500, help="questions per row")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--plot", type=Path, default=None, help="write the diagrams (PNG)")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    jobs = [(n, args.questions, args.seed) for n in range(len(ROWS))]
    with multiprocessing.Pool(min(os.cpu_count() or 1, len(ROWS))) as pool:
        sims = pool.map(one_row, jobs, chunksize=1)
    header = (
        f"{'world':<14} {'features':<42} {'Brier':>13} {'log':>6} {'MCB':>6} {'DSC':>6} "
        f"{'in band':>7} {'coverage':>8}"
    )
    print(header)
    print("-" * len(header))
    for sim in sims:
        s = sim.summary()
        log = f"{s['log']:.3f}" if s["log"] != float("inf") else "inf"
        cal = (
            f"{s['miscalibration']:6.3f} {s['discrimination']:6.3f} {s['share_inside_band']:7.0%}"
            if "miscalibration" in s
            else f"{'-':>6} {'-':>6} {'-':>7}"
        )
        print(
            f"{s['world']:<14} {s['features']:<42} {s['brier']:.3f} ± {s['brier_se']:.3f} "
            f"{log:>6} {cal} "
            + (f"{s['coverage']:8.0%}" if s["coverage"] == s["coverage"] else f"{'-':>8}")
        )
    print(
        f"\n{args.questions} questions per row, {len(ROWS)} rows, seed {args.seed}: "
        f"{time.perf_counter() - start:.0f} s on {min(os.cpu_count() or 1, len(ROWS))} cores. "
        "Rows with dynamics have no coverage: the confidence does not model dynamics yet."
    )
    if args.plot is not None:
        draw(sims, args.plot)
        print(f"Reliability diagrams: {args.plot}")
    return 0


def draw(sims, path: Path) -> None:
    """Every row's reliability diagram, small multiples (the full diagram of one set of
    questions is :func:`forecasting.plots.plot_reliability`)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from forecasting.presentation.plots import save_figure

    with_cal = [(s, s.calibration()) for s in sims]
    with_cal = [(s, c) for s, c in with_cal if c is not None]
    cols = 3
    rows = (len(with_cal) + cols - 1) // cols
    fig, axes = plt.subplots(
        rows, cols, figsize=(4.2 * cols, 4.4 * rows), squeeze=False, layout="constrained"
    )
    for ax, (s, c) in zip(axes.flat, with_cal, strict=False):
        x = c["forecast"].values
        ax.fill_between(
            x, c["band_lower"].values, c["band_upper"].values, step="post", color="0.85", lw=0
        )
        ax.plot([0, 1], [0, 1], ls="--", color="0.5", lw=0.8)
        ax.step(x, c["recalibrated"].values, where="post", color="#0072B2", lw=1.6)
        ax.set(xlim=(0, 1), ylim=(0, 1), aspect="equal")
        ax.set_title(
            f"{s.world}\n{s.features.label()}\nMCB {c.attrs['miscalibration']:.3f}, "
            f"DSC {c.attrs['discrimination']:.3f}, {c.attrs['share_inside_band']:.0%} in band",
            fontsize=8.5,
        )
        ax.tick_params(labelsize=7.5)
    for ax in list(axes.flat)[len(with_cal) :]:
        ax.set_visible(False)
    fig.supxlabel("forecast probability (each question's last forecast)")
    fig.supylabel("how often it came true (PAV-recalibrated)")
    save_figure(fig, path)


if __name__ == "__main__":
    sys.exit(main())
