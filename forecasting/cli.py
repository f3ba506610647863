r"""The ``forecast`` command.

Exit codes: 0 ok; 2 invalid input (every problem on stderr as ``file:line: field: message``);
3 (``update``) a forecast was produced but is flagged (sampler diagnostics failed, or the new
evidence is improbable under every scenario), (``verify``) the forecast does not reproduce;
1 a bug (please report it).

What is printed from files (labels, ids, titles, sources, notes, the values an error message
quotes) is printed with its control characters shown escaped (``\x1b``), through :func:`_say`
here and :mod:`.presentation.tables`: a file cannot drive the terminal.

Why this module is long: one parser and one handler per command, each handler only turning
arguments into a library call and its result into lines; split, the options of one command
would sit apart from what it does with them.
"""

from __future__ import annotations

import argparse
import datetime as dt
import errno
import json
import re
import sys
import traceback
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .core.errors import (
    ForecastingError,
    ForecastingWarning,
    InputError,
    Problem,
    escape_invisible,
)

EXIT_OK = 0
EXIT_BUG = 1
#: The output's reader closed it (a pipe into ``head``): as a process killed by SIGPIPE.
EXIT_PIPE = 141
EXIT_INPUT = 2
EXIT_FLAGGED = 3


def _say(text: object = "", *, file: Any = None, keep: str = "") -> None:
    r"""Print a line of ours holding values read from files, their control characters escaped.

    :func:`~forecasting.presentation.text.escape_controls` shows them as ``\x1b``, a line
    break too unless ``keep`` says (``"\n"`` for several lines of ours).
    """
    line = str(text)
    if not line.isprintable():  # the formatters are imported only when there is work to do
        from .presentation.text import escape_controls

        line = escape_controls(line, keep)
    print(line, file=file)


#: What the arguments' numbers and dates may look like (``int`` and ``fromisoformat`` also take
#: ``1_000``, other scripts' digits, spaces, ``20251027`` and ISO weeks such as ``2025-W43-1``).
_WHOLE = re.compile(r"[0-9]{1,18}")
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_INTERVAL = re.compile(r"([0-9]{1,18})([dw]?)")


def _date(text: str) -> dt.date:
    try:
        if _ISO_DATE.fullmatch(text):
            return dt.date.fromisoformat(text)
    except ValueError:
        pass
    raise argparse.ArgumentTypeError(
        f"'{escape_invisible(text)}' is not a date; use YYYY-MM-DD (e.g. 2025-10-27)"
    )


def _positive(text: str) -> int:
    if not _WHOLE.fullmatch(text.strip()):
        raise argparse.ArgumentTypeError(
            f"'{escape_invisible(text)}' is not a whole number (digits 0-9 only, e.g. 4)"
        )
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def _positive_number(upper: float, unit: str = ""):
    """An argparse type: a number more than 0 and at most ``upper`` (in ``unit``)."""
    noun, suffix = (f"a number of {unit}", f" {unit}") if unit else ("a number", "")

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"'{escape_invisible(text)}' is not {noun}") from None
        if not 0 < value <= upper:
            raise argparse.ArgumentTypeError(
                f"must be more than 0 and at most {upper:g}{suffix}, got {escape_invisible(text)}"
            )
        return value

    return parse


_horizon = _positive_number(3660, "days")
_extremize = _positive_number(10)


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


def _every(text: str) -> int:
    """``7d``, ``2w`` or ``7`` -> days."""
    match = _INTERVAL.fullmatch(text.strip().lower())
    if match is None:
        raise argparse.ArgumentTypeError(
            f"'{escape_invisible(text)}' is not an interval; use days or weeks, e.g. 7d or 2w"
        )
    days = int(match[1]) * (7 if match[2] == "w" else 1)
    if days < 1:
        raise argparse.ArgumentTypeError(f"must be at least one day, got '{text}'")
    return days  # at most 3,660 days: refused, with the bound, by the backfill itself


def _engine_options(args: argparse.Namespace, *, chains: bool = True) -> dict[str, Any]:
    """The engine's options of a command (``forecasting.forecast``'s keywords)."""
    out = dict(
        engine=args.engine,
        seed=args.seed,
        draws=args.draws,
        sampler=args.sampler,
        horizon_days=args.horizon,
    )
    if chains:  # (backfill has no --chains)
        out["chains"] = args.chains
    return out


def pooling(p: argparse.ArgumentParser) -> None:
    """The options of several analysts and their pool (``run`` and ``update``)."""
    p.add_argument(
        "--analysts",
        default=None,
        metavar="all|NAME,...",
        help="forecast with each analyst's overlay (models/<stem>/analysts/<name>.yaml) and "
        "pool them",
    )
    p.add_argument(
        "--pool",
        choices=("linear", "log", "gmo"),
        default=None,
        help="how --analysts are pooled (default: the question's pooling:, else linear)",
    )
    p.add_argument(
        "--extremize",
        type=_extremize,
        default=None,
        metavar="D",
        help="extremizing factor of the log and gmo pools (default 1: none)",
    )
    p.add_argument(
        "--weights",
        choices=("equal", "cooke"),
        default=None,
        help="how --analysts are weighted: equal (default) or cooke (Cooke's classical model, "
        "from the resolved questions beside this one)",
    )


def _analyst_spec(args: argparse.Namespace, question: Path) -> dict[str, Any] | None:
    """``--analysts`` and its pool as the keywords of ``forecast_analysts`` (None: none)."""
    if args.analysts is None:
        if args.pool is not None or args.extremize is not None or args.weights is not None:
            raise InputError(
                [
                    Problem(
                        None,
                        None,
                        "--pool",
                        "--pool, --extremize and --weights pool analysts: add --analysts",
                    )
                ]
            )
        return None
    names = [n.strip() for n in args.analysts.split(",") if n.strip()]
    if not names:
        raise InputError([Problem(None, None, "--analysts", "give 'all' or analyst names")])
    chosen = "all" if names == ["all"] else names
    records = None
    if args.weights == "cooke":
        from .inputs.overlays import load_overlays
        from .inputs.question import load_question
        from .scoring.cooke import resolved_records

        overlays = load_overlays(load_question(question), chosen)
        records = resolved_records(question, [o.analyst for o in overlays])
    return dict(
        analysts=chosen,
        pool=args.pool,
        extremize=args.extremize,
        weights=args.weights,
        records=records,
    )


def build_parser() -> argparse.ArgumentParser:
    """The command-line parser (also used to document the CLI)."""
    parser = _Parser(prog="forecast", description="Bayesian scenario forecasting.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    def question(p: argparse.ArgumentParser, *, evidence: bool = True, many: bool = False) -> None:
        if many:
            p.add_argument(
                "question",
                type=Path,
                nargs="+",
                metavar="QUESTION",
                help="question files (models/<name>.yaml) or folders of them (models/)",
            )
        else:
            p.add_argument("question", type=Path, help="question file (models/<name>.yaml)")
        if evidence:
            p.add_argument(
                "--evidence",
                type=Path,
                default=None,
                metavar="PATH",
                help="evidence directory or file (default: evidence/<id>/ beside models/)",
            )

    def as_of(p: argparse.ArgumentParser) -> None:
        p.add_argument(
            "--as-of",
            type=_date,
            default=None,
            metavar="DATE",
            help="leave out evidence dated after DATE (default: today)",
        )

    def engine(p: argparse.ArgumentParser, *, draws: bool = True) -> None:
        p.add_argument("--engine", choices=("auto", "exact", "mcmc"), default="auto")
        p.add_argument("--seed", type=_seed, default=None, metavar="N", help="random seed")
        p.add_argument(
            "--horizon",
            type=_horizon,
            default=None,
            metavar="DAYS",
            help="days ahead the confidence's responsiveness looks (default: the question's "
            "horizon_days, else 30)",
        )
        if draws:
            p.add_argument(
                "--draws",
                type=_positive,
                default=None,
                metavar="N",
                help="draws per chain (exact: total draws)",
            )
            p.add_argument(
                "--chains", type=_positive, default=None, metavar="N", help="MCMC chains"
            )
        p.add_argument(
            "--sampler",
            choices=("numpyro-nuts", "pymc-nuts"),
            default=None,
            help="the MCMC engine's NUTS (default numpyro-nuts)",
        )

    def json_flag(p: argparse.ArgumentParser, what: str) -> None:
        p.add_argument("--json", action="store_true", help=f"print {what} as one JSON object")

    def cluster(p: argparse.ArgumentParser) -> None:
        p.add_argument(
            "--scheduler",
            default=None,
            metavar="ADDRESS",
            help="several questions: compute on this Dask cluster (default: "
            "DASK_SCHEDULER_ADDRESS, else a local cluster of processes)",
        )
        p.add_argument(
            "--workers",
            type=_positive,
            default=None,
            metavar="N",
            help="several questions: processes of the local cluster (default: one per core)",
        )
        p.add_argument(
            "--serial", action="store_true", help="several questions: one after another, here"
        )

    def archive(p: argparse.ArgumentParser) -> None:
        p.add_argument(
            "--archive",
            type=Path,
            default=None,
            metavar="DIR",
            help="forecast archive (default: forecasts/ beside models/)",
        )

    run = sub.add_parser("run", help="forecast a question from its evidence")
    question(run)
    as_of(run)
    engine(run)
    json_flag(run, "the forecast")
    run.add_argument(
        "--save",
        type=Path,
        default=None,
        metavar="FILE.nc",
        help="also save the forecast as NetCDF",
    )
    pooling(run)
    run.add_argument(
        "--with",
        dest="with_files",
        type=Path,
        action="append",
        default=[],
        metavar="ITEM.yaml",
        help="a what-if: add the items of this ledger file (any ledger format; repeatable) to "
        "the ledger for this run only; nothing is written to the ledger or the archive",
    )
    run.set_defaults(handler=_run)

    ini = sub.add_parser(
        "init", help="start a new question: a commented template question and ledger"
    )
    ini.add_argument(
        "question_id", metavar="QUESTION_ID", help="the new question's id (e.g. gaza-ceasefire)"
    )
    ini.add_argument(
        "--dir",
        type=Path,
        default=Path("."),
        metavar="DIR",
        help="the project folder: models/ and evidence/ are made in it (default: here)",
    )
    ini.set_defaults(handler=_init)

    val = sub.add_parser("validate", help="check a question and its evidence")
    question(val)
    json_flag(val, "what was found")
    val.set_defaults(handler=_validate)

    sens = sub.add_parser(
        "sensitivity", help="which evidence and which judgements drive the forecast"
    )
    question(sens)
    as_of(sens)
    json_flag(sens, "every analysis")
    sens.add_argument(
        "--plots", type=Path, default=None, metavar="DIR", help="write every plot as PNG to DIR"
    )
    sens.set_defaults(handler=_sensitivity)

    upd = sub.add_parser(
        "update", help="weekly update: forecast, archive, explain the change, write the report"
    )
    question(upd, many=True)
    as_of(upd)
    archive(upd)
    upd.add_argument(
        "--reports",
        type=Path,
        default=None,
        metavar="DIR",
        help="report folder (default: reports/ beside models/)",
    )
    engine(upd)
    json_flag(upd, "the summary")
    upd.add_argument(
        "--dry-run",
        action="store_true",
        help="compute and print everything; write nothing (no archive, no report)",
    )
    pooling(upd)
    cluster(upd)
    upd.set_defaults(handler=_update)

    his = sub.add_parser("history", help="the archived forecasts of a question over time")
    question(his, evidence=False, many=True)
    archive(his)
    json_flag(his, "the history")
    his.add_argument(
        "--plot", type=Path, default=None, metavar="FILE", help="write the trajectory plot (PNG)"
    )
    his.set_defaults(handler=_history)

    back = sub.add_parser(
        "backfill", help="replay the ledger into the archive as seen at past dates"
    )
    question(back, many=True)
    back.add_argument(
        "--from", dest="start", type=_date, required=True, metavar="DATE", help="first as-of date"
    )
    back.add_argument(
        "--to",
        dest="end",
        type=_date,
        default=None,
        metavar="DATE",
        help="last as-of date (default: the latest evidence date)",
    )
    back.add_argument(
        "--every", type=_every, default=7, metavar="INTERVAL", help="step, e.g. 7d or 2w"
    )
    archive(back)
    engine(back, draws=True)
    cluster(back)
    back.set_defaults(handler=_backfill)

    ver = sub.add_parser("verify", help="rerun an archived forecast and check it reproduces")
    ver.add_argument("file", type=Path, help="a forecast file (.nc) written by save or update")
    json_flag(ver, "the verification")
    ver.set_defaults(handler=_verify)

    res = sub.add_parser("resolve", help="record how a question resolved (or annul it)")
    question(res, evidence=False)
    what = res.add_mutually_exclusive_group(required=True)
    what.add_argument("--outcome", metavar="SCENARIO", help="the scenario that came true")
    what.add_argument("--annulled", metavar="REASON", help="the question cannot resolve: why")
    res.add_argument(
        "--date", type=_date, required=True, metavar="DATE", help="when the outcome became known"
    )
    res.add_argument("--source", default=None, metavar="TEXT", help="where the outcome is from")
    res.add_argument("--note", default=None, metavar="TEXT", help="a note kept with the record")
    res.add_argument(
        "--amend", default=None, metavar="REASON", help="change an earlier resolution: why"
    )
    archive(res)
    res.set_defaults(handler=_resolve)

    sco = sub.add_parser("score", help="score the archived forecasts of resolved questions")
    sco.add_argument("questions", type=Path, nargs="+", metavar="QUESTION", help="question files")
    archive(sco)
    json_flag(sco, "every score")
    sco.add_argument(
        "--plots", type=Path, default=None, metavar="DIR", help="write the score plots to DIR"
    )
    sco.set_defaults(handler=_score)

    srv = sub.add_parser(
        "serve", help="the dashboard: every question, its ledger, drivers and what-ifs"
    )
    srv.add_argument(
        "models",
        type=Path,
        nargs="?",
        default=Path("models"),
        metavar="MODELS_DIR",
        help="the models/ directory of the questions (default: models)",
    )
    srv.add_argument(
        "--port", type=_positive, default=5006, metavar="N", help="port (default 5006)"
    )
    as_of(srv)
    srv.add_argument("--show", action="store_true", help="also open the page in a browser")
    srv.set_defaults(handler=_serve)
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
            _say(f"warning: {message}", file=sys.stderr)
        else:
            shown(message, category, filename, lineno, file, line)

    warnings.showwarning = show
    try:
        return args.handler(args)
    except InputError as exc:
        for problem in exc.problems:
            _say(problem, file=sys.stderr)
        n = len(exc.problems)
        nothing = {
            "resolve": "nothing was written",
            "init": "nothing was written",
            "score": "nothing was scored",
        }.get(args.command, "nothing was forecast")
        print(
            f"forecast: {n} problem{'s' if n != 1 else ''} in the input; {nothing}",
            file=sys.stderr,
        )
        return EXIT_INPUT
    except ForecastingError as exc:
        _say(f"forecast: error: {exc}", file=sys.stderr)
        return EXIT_INPUT
    except BrokenPipeError:
        return _pipe_closed()
    except OSError as exc:
        full = exc.errno in (errno.ENOSPC, errno.EDQUOT)
        if exc.filename is None and not full:
            return _internal_error()
        # a path the command could not create, read or write (e.g. --reports on a read-only
        # disk, a full disk): files are written whole or not at all (temporary file or folder,
        # then rename), so nothing was left half-written
        where = f" {exc.filename}" if exc.filename is not None else ""
        if full:
            what = "the disk is full" if exc.errno == errno.ENOSPC else "the disk quota is used up"
            _say(
                f"forecast: error: cannot write{where}: {what} (no space left); nothing was left "
                "half-written: free some space and run it again",
                file=sys.stderr,
            )
        else:
            reason = exc.strerror or exc
            _say(f"forecast: error: cannot create or write{where}: {reason}", file=sys.stderr)
        return EXIT_INPUT
    except KeyboardInterrupt:
        print("forecast: interrupted", file=sys.stderr)
        return 130
    except Exception:
        return _internal_error()
    finally:
        warnings.showwarning = shown


def _pipe_closed() -> int:
    """The reader of the output closed it (``forecast validate ... | head -1``): stop quietly.

    As a Unix tool killed by SIGPIPE, with its status (128 + 13); what is left to print goes
    nowhere (its flush would fail again at exit).
    """
    import os

    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)
    return EXIT_PIPE


def _internal_error() -> int:
    print(
        "forecast: internal error. This is a bug; please report it with the text below.",
        file=sys.stderr,
    )
    _say(traceback.format_exc().rstrip("\n"), file=sys.stderr, keep="\n")
    return EXIT_BUG


def console() -> None:
    """The ``forecast`` console script: :func:`main`, then a quick exit.

    Tearing down a Python process that has loaded xarray, pandas and matplotlib takes about
    0.3 s; everything is written and flushed by then, so the process exits at once (unless
    PyTensor ran: its compile cache cleans up at exit).
    """
    import gc
    import os

    # the cyclic collector runs every 700 net allocations by default; importing xarray, pandas,
    # SciPy and pydantic's file schemas makes some 10^5 long-lived objects and next to no
    # garbage. Collecting a 300th as often (as mypy does) took `forecast run` of the bundled
    # question from 0.85 s to 0.81 s (medians of 9 interleaved pairs, 2026-12-03); cycles are
    # still collected in long runs.
    gc.set_threshold(200_000, 30, 30)
    code = main()
    if "pytensor" in sys.modules:
        sys.exit(code)
    try:
        sys.stdout.flush()
    except BrokenPipeError:  # the reader left before the last of the output
        code = _pipe_closed()
    sys.stderr.flush()
    os._exit(code)


def _version() -> str:
    from ._version import package_version

    return package_version()


# --- run -------------------------------------------------------------------------------------


def _run(args: argparse.Namespace) -> int:
    from .api import forecast
    from .presentation.tables import format_table

    spec = _analyst_spec(args, args.question)
    if spec is not None:
        if args.with_files:
            raise InputError([Problem(None, None, "--with", "not with --analysts")])
        return _run_analysts(args, spec)
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
    question, evidence, hypothetical = args.question, args.evidence, []
    if args.with_files:  # a what-if: the ledger as it is, plus these items, for this run only
        from .inputs.resolve import load_inputs

        question, evidence = load_inputs(question, evidence, extra=args.with_files)
        what_if = {str(p) for p in args.with_files}
        hypothetical = [it for it in evidence.items if it.file in what_if]
    result = forecast(
        question,
        evidence,
        as_of=args.as_of,
        **_engine_options(args),
    )
    if args.save is not None:
        try:
            result.save(args.save)
        except OSError as exc:
            if exc.errno in (errno.ENOSPC, errno.EDQUOT):
                raise  # main() says the disk is full, naming the file (nothing left behind)
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
        if args.with_files:
            out = json.loads(result.to_json())
            out["hypothetical"] = [{"id": it.id, "file": it.file} for it in hypothetical]
            print(json.dumps(out))
        else:
            print(result.to_json())
    else:
        if args.with_files:
            _say(_what_if_line(hypothetical, result))
            print()
        _say(format_table(result), keep="\n")
        if args.save is not None:
            print()
            _say(f"Saved to {args.save}")
    for w in result.warnings:
        _say(f"warning: {w}", file=sys.stderr)
    return EXIT_OK


def _what_if_line(hypothetical: list, result: Any) -> str:
    """What a ``run --with`` added: the hypothetical items, used or left out by the as-of date."""
    used = {it["id"] for it in result.evidence_items}
    files = ", ".join(dict.fromkeys(str(it.file) for it in hypothetical)) or "the --with files"
    n = len(hypothetical)
    ids = ", ".join(
        it.id + ("" if it.id in used else " (left out: dated after the as-of date)")
        for it in hypothetical
    )
    return (
        f"WHAT-IF: {n} hypothetical item{'s' if n != 1 else ''} from {files}, not in the ledger "
        f"(nothing was written to the ledger or the archive){': ' + ids if ids else ''}"
    )


def _run_analysts(args: argparse.Namespace, spec: dict[str, Any]) -> int:
    from .analyses.disagreement import disagreement_map
    from .analyses.disagreement import to_dict as disagreement_dict
    from .api import forecast_analysts
    from .presentation.analysts import format_analysts, format_disagreement

    for flag in ("save", "draws", "chains", "sampler", "horizon"):
        if getattr(args, flag) is not None:
            raise InputError(
                [Problem(None, None, f"--{flag}", "not with --analysts (exact posteriors only)")]
            )
    result = forecast_analysts(args.question, args.evidence, as_of=args.as_of, **spec)
    dmap = disagreement_map(
        args.question,
        args.evidence,
        as_of=args.as_of,
        analysts=spec["analysts"],
        forecasts=result,
    )
    if args.json:
        print(json.dumps({**result.to_dict(), "disagreement": disagreement_dict(dmap)}))
    else:
        _say(format_analysts(result) + "\n\n" + format_disagreement(dmap), keep="\n")
    return EXIT_OK


# --- init ------------------------------------------------------------------------------------


def _init(args: argparse.Namespace) -> int:
    from .inputs.template import write_template

    question, ledger = write_template(args.question_id, args.dir)
    _say(f"Wrote {question} (the question: scenarios, indicators, likelihoods)")
    _say(f"Wrote {ledger} (the ledger: two EXAMPLE items to replace with real evidence)")
    print()
    _say("Next: edit both (every key is explained in README.md, 'Files'), then")
    _say(f"  forecast validate {question}")
    _say(f"  forecast run {question}")
    return EXIT_OK


# --- validate --------------------------------------------------------------------------------


#: What ``validate`` says of count windows, where a question has count indicators.
WINDOW_NOTE = (
    "count windows [start, end] leave out their end day: [2025-10-01, 2025-10-08] counts 7 "
    "days, 1 to 7 October; a window ends on its item's date at the latest"
)


def _validate(args: argparse.Namespace) -> int:
    from .inputs.resolve import load_inputs
    from .kinds import get_kind
    from .presentation.tables import describe, format_description

    question, evidence = load_inputs(args.question, args.evidence)  # every problem at once
    report = describe(question, evidence)
    counts = any("window" in get_kind(ind.kind).item_keys for ind in question.indicators.values())
    notes = ([WINDOW_NOTE] if counts else []) + _catch_all_dynamics(question)
    if notes:
        report["notes"] = notes
    if args.json:
        print(json.dumps(report, default=str))
    else:
        lines = format_description(report).split("\n")
        # before the verdict, which stays the last line
        lines[-1:-1] = [f"  note: {note}" for note in notes]
        _say("\n".join(lines), keep="\n")
    return EXIT_OK


def _catch_all_dynamics(question: Any) -> list[str]:
    """What the catch-all stands for under the question's dynamics (nothing without both)."""
    from .core.constants import CATCH_ALL
    from .model.dynamics import no_inflow

    if question.catch_all is None or question.dynamics is None:
        return []
    ids = question.scenario_ids
    if ids.index(CATCH_ALL) not in no_inflow(question.dynamics.matrix(ids)):
        return [
            f"with dynamics, regimes move into '{CATCH_ALL}' as the transitions say: it can "
            "catch a change into something no scenario names"
        ]
    return [
        f"with dynamics, no regime moves into '{CATCH_ALL}' (no transition names it): it stands "
        "for none of the scenarios throughout and cannot catch a change into something "
        f"unnamed; to let it, add '{CATCH_ALL}' to the named rows' leaves_to (and a row of its "
        "own to let it end)"
    ]


# --- sensitivity -----------------------------------------------------------------------------


def _sensitivity(args: argparse.Namespace) -> int:
    written = {}
    if args.plots is not None:  # checked before any work
        if args.plots.exists() and not args.plots.is_dir():
            raise InputError(
                [
                    Problem(
                        str(args.plots),
                        None,
                        "--plots",
                        "is a file; give a directory for the PNG files",
                    )
                ]
            )
        try:
            args.plots.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise InputError(
                [
                    Problem(
                        str(args.plots),
                        None,
                        "--plots",
                        f"cannot create the directory: {exc.strerror or exc}",
                    )
                ]
            ) from None
    f, tree = _sensitivity_analyses(args)
    if args.plots is not None:
        from .presentation.plots import save_all

        written = save_all(f, tree, args.plots)
    from .presentation.records import dataset_records
    from .presentation.tables import format_sensitivity

    if args.json:
        out = {
            "question": f.question_id,
            "as_of": f.as_of.isoformat(),
            "leader": f.leading,
            "probability": dict(zip(f.scenarios, map(float, f.probabilities.values), strict=True)),
        }
        for name, node in tree.children.items():
            out[name] = dataset_records(node.to_dataset())
        out["plots"] = {k: str(v) for k, v in written.items()}
        print(json.dumps(out, default=str))
        return EXIT_OK
    _say(format_sensitivity(f, tree), keep="\n")
    if written:
        print()
        _say(f"Plots written to {args.plots}/: " + ", ".join(p.name for p in written.values()))
    return EXIT_OK


def _sensitivity_analyses(args: argparse.Namespace) -> tuple[Any, Any]:
    from .analyses.overview import sensitivity
    from .api import forecast

    f = forecast(args.question, args.evidence, as_of=args.as_of)
    return f, sensitivity(f)


# --- update, history, backfill ---------------------------------------------------------------


def _many(args: argparse.Namespace) -> bool:
    """Whether several questions were given (more than one, or a folder of them)."""
    return len(args.question) > 1 or args.question[0].is_dir()


def _update(args: argparse.Namespace) -> int:
    from .core.paths import display_path
    from .pipeline.weekly import update
    from .presentation.analysts import analysts_line
    from .presentation.tables import format_table
    from .presentation.text import clip_words, points

    if _many(args):
        return _update_many(args)
    spec = _analyst_spec(args, args.question[0]) or {}
    res = update(
        args.question[0],
        args.evidence,
        as_of=args.as_of,
        archive=args.archive,
        reports=args.reports,
        dry_run=args.dry_run,
        **_engine_options(args),
        **spec,
    )
    if args.json:
        print(json.dumps(res.summary, default=str))
    else:
        _say(res.summary["headline"])
        print()
        _say(format_table(res.forecast, headline=False), keep="\n")
        if "analysts" in res.summary:
            print()
            _say(analysts_line(res.summary["analysts"]))
        if res.attribution is not None and res.attribution.parts.sizes.get("change", 0):
            parts = res.attribution.parts
            k = res.forecast.scenarios.index(res.forecast.leading)
            order = abs(parts.contribution.values[:, k]).argsort()[::-1][:3]
            print()
            _say(
                f"Largest changes since {res.attribution.previous_as_of} "
                f"(points of '{res.forecast.leading}'):"
            )
            for n in order:
                _say(
                    f"  {points(parts.contribution.values[n, k]):>5}  "
                    f"{clip_words(str(parts.change_label.values[n]), 90)}"
                )
        if res.attribution is not None and res.attribution.confidence:
            text = res.attribution.confidence
            print()
            _say(f"{text[0].upper()}{text[1:]}.")
        print()
        if args.dry_run:
            _say(f"Dry run: nothing written (the archive would say: {res.archived.message})")
        else:
            _say(f"Archive: {res.archived.message}")
        for item in res.skipped:
            _say(f"Archive: skipped {item.describe()}")
        if not args.dry_run:
            _say(f"Report: {display_path(res.report['html'])}")
            _say(f"        {display_path(res.report['markdown'])}")
        if res.summary.get("report_status", {}).get("status") not in ("written", "dry-run"):
            _say(f"        {res.report_message}")
        note = _budget_note(res.summary.get("surprise") or {})
        if note:
            _say(note)
        for reason in res.reasons:
            _say(f"FLAGGED: {reason}")
    for item in res.skipped:  # the update went on without it; its files say what it skipped
        _say(f"forecast: warning: archive file skipped: {item.describe()}", file=sys.stderr)
    if res.flagged:
        for reason in res.reasons:
            _say(f"forecast: flagged: {reason}", file=sys.stderr)
        return EXIT_FLAGGED
    return EXIT_OK


def _budget_note(sur: dict[str, Any]) -> str:
    """What the work budget of the week's item-by-item checks left out (empty if nothing)."""
    n = len(sur.get("items", []))
    untested, joint = len(sur.get("untested", [])), len(sur.get("joint_items", []))
    if not untested and joint == n:
        return ""
    return (
        f"Note: of the {n} new items, {n - untested} were checked for surprise alone and "
        f"{joint} tested together and scored one by one; the rest would take too long "
        "(see the report's 'New evidence')."
    )


def _cluster(args: argparse.Namespace) -> Any:
    """The Dask client of ``--scheduler``/``--workers`` (None with ``--serial``)."""
    import contextlib

    from .pipeline.many import dask_client

    if args.evidence is not None:
        raise InputError(
            [
                Problem(
                    None,
                    None,
                    "evidence",
                    "--evidence names one question's ledger: give it with one question only",
                )
            ]
        )
    if args.serial:
        return contextlib.nullcontext(None)
    return dask_client(args.scheduler, workers=args.workers)


def _rows(rows: list, what: str) -> int:
    """The closing table of several questions (flagged and failed first); the exit code."""
    from .pipeline.many import STATUS, exit_code, ordered
    from .presentation.text import clip_words

    width = max(8, *(len(r.id or Path(r.question).name) for r in rows)) if rows else 8
    print()
    _say(f"  {'question':<{width}}  {'status':<9}  exit  {what}")
    for r in ordered(rows):
        name = r.id or Path(r.question).name
        _say(f"  {name:<{width}}  {r.status:<9}  {r.code:>4}  {clip_words(r.message, 90)}")
    for r in ordered(rows):
        if r.code == 0:
            continue
        for line in r.details:
            _say(f"forecast: {r.id or r.question}: {line}", file=sys.stderr, keep="\n")
    counts = [sum(r.code == c for r in rows) for c in STATUS]
    parts = ", ".join(f"{n} {STATUS[c]}" for c, n in zip(STATUS, counts, strict=True) if n)
    code = exit_code(rows)
    print()
    _say(f"{len(rows)} question{'s' if len(rows) != 1 else ''}: {parts or 'none'}; exit {code}")
    return code


def _update_many(args: argparse.Namespace) -> int:
    from .pipeline.many import update_many

    if args.analysts is not None and args.weights == "cooke":
        raise InputError([Problem(None, None, "--weights", "cooke weights one question at a time")])
    spec = _analyst_spec(args, args.question[0])
    with _cluster(args) as client:
        rows = update_many(
            args.question,
            analysts=spec,
            as_of=args.as_of,
            archive=args.archive,
            reports=args.reports,
            client=client,
            dry_run=args.dry_run,
            progress=not args.json,
            keep="summary",  # not every question's forecasts, kept to the end
            **_engine_options(args),
        )
    if args.json:
        out = []
        for r in rows:
            rec = r.to_dict()
            rec["summary"] = r.result if isinstance(r.result, dict) else None
            out.append(rec)
        print(json.dumps({"questions": out}, default=str))
        from .pipeline.many import exit_code

        return exit_code(rows)
    return _rows(rows, "headline" if not args.dry_run else "headline (dry run: nothing written)")


def _history(args: argparse.Namespace) -> int:
    from .core.paths import display_path
    from .inputs.question import load_question
    from .pipeline.weekly import history
    from .presentation.text import pct

    if _many(args):
        return _history_many(args)
    q = load_question(args.question[0])
    hist = history(q, archive=args.archive)
    n = hist.sizes.get("as_of", 0)
    unreadable = list(
        zip(hist.attrs.get("unreadable", []), hist.attrs.get("unreadable_reason", []), strict=True)
    )
    if args.plot is not None and n:
        from .presentation.plots import plot_trajectory, save_figure

        fig, _ = plot_trajectory(hist)
        save_figure(fig, args.plot)
    if args.json:
        print(json.dumps(_history_record(q.id, hist)))
        return EXIT_OK
    if unreadable:  # listed first: the table below is without them
        _say(
            f"Unreadable, skipped ({len(unreadable)}; 'forecast update' moves them into "
            "quarantine/):"
        )
        for p, r in unreadable:
            _say(f"  {display_path(p)}: {r}")
    if not n:
        what = "readable archived forecasts" if unreadable else "archived forecasts"
        _say(f"No {what} of '{q.id}' yet (run 'forecast update' or 'forecast backfill').")
        return EXIT_OK
    scen = [str(s) for s in hist.scenario.values]
    width = max(10, *(len(s) for s in scen))
    _say(f"{q.title}: {n} archived forecast{'s' if n != 1 else ''}")
    _say(
        f"  {'as of':<10}  {'items':>5}  {'confidence':<10}  "
        + "  ".join(f"{s[:width]:>{width}}" for s in scen)
    )
    for i in range(n):
        h = hist.isel(as_of=i)
        cells = "  ".join(f"{pct(float(p)):>{width}}" for p in h.probability.values)
        flag = "  (flagged)" if bool(h.flagged.values) else ""
        level = str(h.confidence.values) or "-"
        _say(
            f"  {str(h.as_of.values)[:10]:<10}  {int(h.n_items.values):>5}  {level:<10}  "
            f"{cells}{flag}"
        )
    if args.plot is not None:
        print()
        _say(f"Trajectory plot: {args.plot}")
    return EXIT_OK


def _history_record(qid: str, hist: Any) -> dict[str, Any]:
    """A question's history as ``history --json`` prints it."""
    from .presentation.records import bounds, plain

    n = hist.sizes.get("as_of", 0)
    rows = []
    for i in range(n):
        h = hist.isel(as_of=i)
        rows.append(
            {
                "as_of": str(h.as_of.values)[:10],
                "engine": str(h.engine.values),
                "revision": int(h.revision.values) if "revision" in h else 1,
                "n_items": int(h.n_items.values),
                "flagged": bool(h.flagged.values),
                "confidence": str(h.confidence.values) or None,
                "n_origins": int(h.n_origins.values),
                "flags": [r for r in str(h.flags.values).split("; ") if r] if "flags" in h else [],
                "scenarios": [
                    {
                        "id": str(s),
                        "probability": plain(h.probability.values[k]),
                        "responsiveness": bounds(h.responsiveness.values[k]),
                        **(
                            {"now": plain(h.probability_now.values[k])}
                            if "probability_now" in h
                            else {}
                        ),
                    }
                    for k, s in enumerate(hist.scenario.values)
                ],
            }
        )
    unreadable = zip(
        hist.attrs.get("unreadable", []), hist.attrs.get("unreadable_reason", []), strict=True
    )
    skipped = [{"path": p, "reason": r} for p, r in unreadable]
    return {"question": qid, "history": rows, "unreadable": skipped}


def _history_many(args: argparse.Namespace) -> int:
    """One line per question of a models folder (or of the files given)."""
    from .inputs.question import load_question
    from .pipeline.many import question_files
    from .pipeline.weekly import history
    from .presentation.text import pct

    if args.plot is not None:
        raise InputError(
            [Problem(None, None, "plot", "--plot draws one question: give one question only")]
        )
    records, lines, code = [], [], EXIT_OK
    for path in question_files(args.question):
        try:
            q = load_question(path)
            hist = history(q, archive=args.archive)
        except (InputError, ForecastingError) as exc:
            problems = getattr(exc, "problems", None) or [exc]
            for problem in problems:
                _say(problem, file=sys.stderr)
            code = EXIT_INPUT
            lines.append((path.name, "unreadable question file", "", "", ""))
            continue
        records.append(_history_record(q.id, hist))
        n = hist.sizes.get("as_of", 0)
        if not n:
            lines.append((q.id, "no archived forecasts", "", "", ""))
            continue
        last = hist.isel(as_of=-1)
        k = int(last.probability.values.argmax())
        lead = f"{hist.scenario.values[k]} {pct(float(last.probability.values[k]))}"
        flag = "flagged" if bool(last.flagged.values) else ""
        level = str(last.confidence.values) or "-"
        many = f"{n} forecast{'s' if n != 1 else ''}"
        when = str(last.as_of.values)[:10]
        lines.append((q.id, many, when, f"{lead} (confidence {level})", flag))
    if args.json:
        print(json.dumps({"questions": records}))
        return code
    width = max(8, *(len(r[0]) for r in lines)) if lines else 8
    _say(f"  {'question':<{width}}  {'archived':<22}  {'latest':<10}  leader")
    for name, what, latest, lead, flag in lines:
        _say(f"  {name:<{width}}  {what:<22}  {latest:<10}  {lead}  {flag}".rstrip())
    return code


def _backfill(args: argparse.Namespace) -> int:
    from .pipeline.weekly import backfill

    if _many(args):
        from .pipeline.many import backfill_many

        with _cluster(args) as client:
            rows = backfill_many(
                args.question,
                start=args.start,
                end=args.end,
                every_days=args.every,
                archive=args.archive,
                client=client,
                progress=True,
                **_engine_options(args, chains=False),
            )
        return _rows(rows, "dates")
    results = backfill(
        args.question[0],
        args.evidence,
        start=args.start,
        end=args.end,
        every_days=args.every,
        archive=args.archive,
        progress=True,
        **_engine_options(args, chains=False),
    )
    for d, res in results:
        _say(f"{d.isoformat()}  {res.status:<9}  {res.entry.path}")
    return EXIT_OK


def _verify(args: argparse.Namespace) -> int:
    from .pipeline.verify import verify

    if not args.file.is_file():
        raise InputError([Problem(str(args.file), None, "file", "no such forecast file")])
    result = verify(args.file, progress=False)
    if args.json:
        print(json.dumps(result.to_dict()))
    else:
        verdict = "reproduces" if result.reproduces else "DOES NOT reproduce"
        _say(f"{args.file}: {verdict}")
        for d in result.differences:
            _say(f"  differs: {d}")
        for n in result.notes:
            _say(f"  note: {n}")
    return EXIT_OK if result.reproduces else EXIT_FLAGGED


# --- resolve, score --------------------------------------------------------------------------


def _resolve(args: argparse.Namespace) -> int:
    from .core.paths import display_path
    from .scoring import resolve

    res = resolve(
        args.question,
        outcome=args.outcome,
        annulled=args.annulled,
        date=args.date,
        source=args.source,
        note=args.note,
        amend=args.amend,
        archive=args.archive,
    )
    what = f"resolved as '{res.outcome}'" if res.outcome else "annulled"
    amended = f" (amending the earlier record: {args.amend})" if args.amend else ""
    _say(f"{res.question_id}: {what} on {res.date}{amended}; recorded in {display_path(res.path)}")
    return EXIT_OK


def _score(args: argparse.Namespace) -> int:
    from .presentation.text import score_lines
    from .scoring import score

    card = score(list(args.questions), archive=args.archive)
    written = []
    if args.plots is not None:
        from .presentation.plots import plot_reliability, plot_scores, save_figure

        args.plots.mkdir(parents=True, exist_ok=True)
        if card.calibration is not None:
            fig, _ = plot_reliability(card.calibration)
            written.append(save_figure(fig, args.plots / "reliability.png"))
        fig, _ = plot_scores(card.to_dict())
        written.append(save_figure(fig, args.plots / "scores.png"))
    if args.json:
        print(json.dumps(card.to_dict()))
        return EXIT_OK
    for line in score_lines(card.to_dict()):
        _say(line)
    for path in written:
        _say(f"Plot: {path}")
    return EXIT_OK


# --- serve -----------------------------------------------------------------------------------


def _serve(args: argparse.Namespace) -> int:
    if args.port > 65535:
        raise InputError([Problem(None, None, "--port", f"must be at most 65535, got {args.port}")])
    from .dashboard import serve

    try:
        serve(args.models, port=args.port, as_of=args.as_of, show=args.show)
    except KeyboardInterrupt:  # Ctrl-C is how the dashboard is stopped
        print("forecast: dashboard stopped", file=sys.stderr)
    return EXIT_OK


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
