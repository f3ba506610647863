"""The weekly update with several analysts: the pool and the disagreement map in the report.

The archive keeps the shared question's forecast (what `verify` can rerun); the analysts'
forecasts, their pool and the map are in the report, `summary.json` and the CLI's output.
"""

from __future__ import annotations

import shutil

import numpy as np
import pytest
from builders import BUNDLED_EVIDENCE, BUNDLED_QUESTION

import forecasting as fc
from forecasting.analyses.disagreement import disagreement_map
from forecasting.cli import main
from forecasting.pipeline.weekly import update

AS_OF = "2025-10-27"


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    """The bundled question, its three analysts' overlays and its ledger, in a fresh project."""
    root = tmp_path_factory.mktemp("desk")
    (root / "models").mkdir()
    shutil.copy(BUNDLED_QUESTION, root / "models" / BUNDLED_QUESTION.name)
    shutil.copytree(
        BUNDLED_QUESTION.parent / BUNDLED_QUESTION.stem, root / "models" / BUNDLED_QUESTION.stem
    )
    shutil.copytree(BUNDLED_EVIDENCE, root / "evidence" / BUNDLED_EVIDENCE.name)
    return root


@pytest.fixture(scope="module")
def updated(project):
    """One update with every analyst (the default pool: linear, equal weights)."""
    return update(project / "models" / BUNDLED_QUESTION.name, as_of=AS_OF, analysts="all")


def test_the_summary_holds_each_analyst_the_pool_and_the_map(project, updated):
    q = project / "models" / BUNDLED_QUESTION.name
    expected = fc.forecast_analysts(q, as_of=AS_OF)
    got = updated.summary["analysts"]
    assert [a["name"] for a in got["analysts"]] == ["leverage", "sdf_impasse", "trust_gap"]
    for s in expected.scenarios:
        assert got["pooled"][s] == pytest.approx(float(expected.pooled.sel(scenario=s)), abs=1e-12)
    # the map's parts add up to each analyst's move from the shared forecast
    dmap = disagreement_map(q, as_of=AS_OF, forecasts=expected)
    leader = dmap.attrs["leader"]
    judgements = updated.summary["disagreement"]["judgements"]
    for a in expected.analysts:
        parts = sum(
            j["analysts"][a]["contribution"][leader] for j in judgements if a in j["analysts"]
        )
        move = float(
            expected.probabilities.probability.sel(analyst=a, scenario=leader)
            - expected.probabilities.shared.sel(scenario=leader)
        )
        assert parts == pytest.approx(move, abs=1e-9)
    # the archive keeps the shared question's forecast, as an update without analysts would
    shared = fc.forecast(q, as_of=AS_OF)
    np.testing.assert_allclose(
        updated.forecast.probabilities.values, shared.probabilities.values, atol=1e-14
    )
    assert main(["verify", str(updated.archived.entry.path)]) == 0


def test_the_report_has_the_analysts_section_table_and_figure(updated):
    md = updated.report["markdown"].read_text()
    section = md[md.index("## Several analysts") :]
    assert (
        "| scenario | shared | leverage | sdf\\_impasse | trust\\_gap | pool | spread |" in section
    )
    # the pooled leader's row shows the pool as the summary has it
    pooled = updated.summary["analysts"]["pooled"]
    leader = max(pooled, key=pooled.get)
    assert f"{round(100 * pooled[leader])}%" in section
    assert "What the analysts differ on" in section
    assert "total (move from shared)" in section
    figure = updated.report["html"].parent / "figures" / "disagreement.png"
    assert figure.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    html = updated.report["html"].read_text()
    assert "Several analysts" in html
    assert "What the analysts differ on: each judgement&#x27;s part" in html  # the figure's alt
    assert html.count("data:image/png;base64,") == md.count("](figures/")


def test_the_cli_update_with_analysts_prints_the_pool(project, capsys):
    q = project / "models" / BUNDLED_QUESTION.name
    code = main(["update", str(q), "--as-of", AS_OF, "--analysts", "leverage,trust_gap"])
    out = capsys.readouterr().out
    assert code == 0
    assert "Analysts (2, linear pool, equal weights)" in out
    r = fc.forecast_analysts(q, as_of=AS_OF, analysts=["leverage", "trust_gap"])
    k = r.scenarios.index(r.leader)
    assert f"{round(100 * float(r.pooled.values[k]))}%" in out


def test_the_cli_refuses_an_unknown_analyst_with_exit_2(project, capsys):
    q = project / "models" / BUNDLED_QUESTION.name
    code = main(["update", str(q), "--as-of", AS_OF, "--analysts", "levrage", "--json"])
    err = capsys.readouterr().err
    assert code == 2
    assert "levrage" in err and "leverage" in err  # did you mean
    assert "Traceback" not in err
