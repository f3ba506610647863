"""The ``forecast`` command.

Exit codes: 0 ok; 2 invalid input (every problem on stderr as ``file:line: field: message``);
1 a bug (please report it).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import traceback
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .constants import INTERVAL_PROB
from .errors import ForecastingError, ForecastingWarning, InputError, Problem

EXIT_OK = 0
EXIT_BUG = 1
EXIT_INPUT = 2


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a date; use YYYY-MM-DD") from None


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def _seed(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a whole number") from None
    if not 0 <= value < 2**32:
        raise argparse.ArgumentTypeError(f"must be between 0 and 2**32 - 1, got {value}")
    return value


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # argparse's default exits 2 too; keep one clear line
        self.print_usage(sys.stderr)
        self.exit(EXIT_INPUT, f"{self.prog}: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    """The command-line parser (also used to document the CLI)."""
    parser = _Parser(prog="forecast", description="Bayesian scenario forecasting.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    def common(p: argparse.ArgumentParser) -> None:
        p.add_argument("question", type=Path, help="question file (models/<name>.yaml)")
        p.add_argument(
            "--evidence",
            type=Path,
            default=None,
            metavar="PATH",
            help="evidence directory or file (default: evidence/<id>/ beside models/)",
        )

    run = sub.add_parser("run", help="forecast a question from its evidence")
    common(run)
    run.add_argument(
        "--as-of",
        type=_date,
        default=None,
        metavar="DATE",
        help="leave out evidence dated after DATE (default: today)",
    )
    run.add_argument("--engine", choices=("auto", "exact", "mcmc"), default="auto")
    run.add_argument(
        "--draws",
        type=_positive,
        default=None,
        metavar="N",
        help="draws per chain (exact: total draws)",
    )
    run.add_argument("--chains", type=_positive, default=None, metavar="N", help="MCMC chains")
    run.add_argument("--seed", type=_seed, default=None, metavar="N", help="random seed")
    run.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    run.add_argument(
        "--save",
        type=Path,
        default=None,
        metavar="FILE.nc",
        help="also save the forecast as NetCDF",
    )
    run.set_defaults(handler=_run)

    val = sub.add_parser("validate", help="check a question and its evidence")
    common(val)
    val.add_argument("--json", action="store_true", help="print what was found as JSON")
    val.set_defaults(handler=_validate)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``forecast`` command; returns the exit code."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:
        return int(exc.code or 0)
    shown = warnings.showwarning

    def show(message, category, filename, lineno, file=None, line=None):
        if issubclass(category, ForecastingWarning):
            print(f"warning: {message}", file=sys.stderr)
        else:
            shown(message, category, filename, lineno, file, line)

    warnings.showwarning = show
    try:
        return args.handler(args)
    except InputError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        n = len(exc.problems)
        print(
            f"forecast: {n} problem{'s' if n != 1 else ''} in the input; nothing was forecast",
            file=sys.stderr,
        )
        return EXIT_INPUT
    except ForecastingError as exc:
        print(f"forecast: error: {exc}", file=sys.stderr)
        return EXIT_INPUT
    except KeyboardInterrupt:
        print("forecast: interrupted", file=sys.stderr)
        return 130
    except Exception:
        print(
            "forecast: internal error. This is a bug; please report it with the text below.",
            file=sys.stderr,
        )
        traceback.print_exc(file=sys.stderr)
        return EXIT_BUG
    finally:
        warnings.showwarning = shown


def _version() -> str:
    from .result import package_version

    return package_version()


# --- run -------------------------------------------------------------------------------------


def _run(args: argparse.Namespace) -> int:
    from .api import forecast

    if args.save is not None and args.save.is_dir():
        raise InputError(
            [
                Problem(
                    str(args.save),
                    None,
                    "--save",
                    "is a directory; give a file name such as forecast.nc",
                )
            ]
        )
    result = forecast(
        args.question,
        args.evidence,
        as_of=args.as_of,
        engine=args.engine,
        seed=args.seed,
        draws=args.draws,
        chains=args.chains,
    )
    if args.save is not None:
        try:
            result.save(args.save)
        except OSError as exc:
            raise InputError(
                [
                    Problem(
                        str(args.save),
                        None,
                        "--save",
                        f"cannot write the file: {exc.strerror or exc}",
                    )
                ]
            ) from None
    if args.json:
        print(result.to_json())
    else:
        print(format_table(result))
        if args.save is not None:
            print(f"\nSaved to {args.save}")
    for w in result.warnings:
        print(f"warning: {w}", file=sys.stderr)
    return EXIT_OK


def format_table(result) -> str:
    """The readable table and headline of a forecast."""
    pct = int(round(INTERVAL_PROB * 100))
    labels = result.labels
    width = max(len("scenario"), *(len(labels[s]) for s in result.scenarios))
    n_used, n_excl = len(result.evidence_items), len(result.excluded)
    lines = [
        result.title,
        f"as of {result.as_of.isoformat()} | {result.engine} engine | {n_used} evidence "
        f"item{'s' if n_used != 1 else ''} used, {n_excl} excluded",
        "",
        f"  {'scenario':<{width}}  {'prior':>6}  {'posterior':>9}  {f'{pct}% interval':>14}",
    ]
    mcse = result.mcse.values
    for k, s in enumerate(result.scenarios):
        p = float(result.probabilities.values[k])
        lo, hi = (float(x) for x in result.interval.values[k])
        post = _pct(p) + (f" ±{100 * mcse[k]:.1f}" if mcse[k] > 0 else "")
        lines.append(
            f"  {labels[s]:<{width}}  {_pct(float(result.prior.values[k])):>6}  "
            f"{post:>9}  {_pct(lo):>6} - {_pct(hi):<6}"
        )
    lines += ["", f"Most likely: {result.headline()}"]
    for w in result.warnings:
        lines.append(f"WARNING: {w}")
    return "\n".join(lines)


def _pct(p: float) -> str:
    from .result import _pct as fmt

    return fmt(p)


# --- validate --------------------------------------------------------------------------------


def _validate(args: argparse.Namespace) -> int:
    from .evidence import load_evidence
    from .spec import load_question

    question = load_question(args.question)
    evidence = load_evidence(args.evidence, question)
    report = describe(question, evidence)
    if args.json:
        print(json.dumps(report, default=str))
    else:
        print(format_description(report))
    return EXIT_OK


def describe(question, evidence) -> dict[str, Any]:
    """What ``forecast validate`` found: scenarios, fitted likelihoods, evidence counts."""
    scenarios = question.scenario_ids
    prior = question.prior
    out: dict[str, Any] = {
        "question": question.id,
        "title": question.title,
        "file": question.source,
        "scenarios": [
            {"id": s, "label": question.scenarios[s].label, "prior": float(prior[k])}
            for k, s in enumerate(scenarios)
        ],
        "prior_concentration": question.concentration,
        "indicators": [],
        "evidence": {"files": list(evidence.files), "items": len(evidence.items)},
    }
    counts: dict[str, int] = {}
    for it in evidence.items:
        counts[it.indicator] = counts.get(it.indicator, 0) + 1
    for name, ind in question.indicators.items():
        entry: dict[str, Any] = {
            "id": name,
            "kind": ind.kind,
            "items": counts.get(name, 0),
            "likelihoods": {},
        }
        if ind.kind == "count":
            entry["per_days"] = ind.per_days
            for s in scenarios:
                g = ind.rate[s]
                shape, rate = g.params
                entry["likelihoods"][s] = {
                    "form": g.form,
                    "distribution": "Gamma",
                    "shape": shape,
                    "rate": rate,
                    "mean": shape / rate,
                    "sd": shape**0.5 / rate,
                }
        elif ind.kind == "binary":
            for s in scenarios:
                b = ind.probability[s]
                a, bb = b.params
                m = a / (a + bb)
                entry["likelihoods"][s] = {
                    "form": b.form,
                    "distribution": "Beta",
                    "alpha": a,
                    "beta": bb,
                    "mean": m,
                    "sd": (m * (1 - m) / (a + bb + 1)) ** 0.5,
                }
        else:
            alpha = ind.prior_params(scenarios)
            entry["categories"] = list(ind.categories)
            for k, s in enumerate(scenarios):
                entry["likelihoods"][s] = {
                    "distribution": "Dirichlet",
                    "alpha": dict(zip(ind.categories, alpha[k].tolist(), strict=True)),
                    "mean": dict(
                        zip(ind.categories, (alpha[k] / alpha[k].sum()).tolist(), strict=True)
                    ),
                }
        out["indicators"].append(entry)
    if evidence.items:
        dates = sorted(it.date for it in evidence.items)
        out["evidence"]["first_date"] = dates[0].isoformat()
        out["evidence"]["last_date"] = dates[-1].isoformat()
    return out


def format_description(report: dict[str, Any]) -> str:
    """Readable form of :func:`describe`."""
    lines = [
        f"question {report['question']}: {report['title']}  ({report['file']})",
        f"  {len(report['scenarios'])} scenarios (prior, concentration "
        f"{report['prior_concentration']:g}):",
    ]
    for s in report["scenarios"]:
        lines.append(f"    {s['id']:<16} {s['prior']:.3f}  {s['label']}")
    lines.append(f"  {len(report['indicators'])} indicators:")
    for ind in report["indicators"]:
        extra = f", per {ind['per_days']:g} days" if ind["kind"] == "count" else ""
        lines.append(f"    {ind['id']} ({ind['kind']}{extra}; {ind['items']} items)")
        for s, lk in ind["likelihoods"].items():
            if lk["distribution"] == "Gamma":
                text = (
                    f"Gamma(shape={lk['shape']:.3g}, rate={lk['rate']:.3g})  "
                    f"mean {lk['mean']:.3g}, sd {lk['sd']:.3g}  [{lk['form']}]"
                )
            elif lk["distribution"] == "Beta":
                text = (
                    f"Beta({lk['alpha']:.3g}, {lk['beta']:.3g})  mean {lk['mean']:.3g}, "
                    f"sd {lk['sd']:.3g}  [{lk['form']}]"
                )
            else:
                text = (
                    "Dirichlet(" + ", ".join(f"{c}={a:.3g}" for c, a in lk["alpha"].items()) + ")"
                )
            lines.append(f"      {s:<16} {text}")
    ev = report["evidence"]
    span = f", dated {ev['first_date']} to {ev['last_date']}" if ev.get("first_date") else ""
    lines.append(f"  evidence: {ev['items']} items in {len(ev['files'])} files{span}")
    lines.append("OK: no problems found")
    return "\n".join(lines)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
