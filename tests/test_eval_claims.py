"""The claims ledger: rows from summary.json, statuses, Markdown and HTML rendering."""

from __future__ import annotations

from flexsa.report.evaluation.claims import CAUSES, CLAIMS, claims_ledger, ledger_markdown
from flexsa.report.html.page import claims_table, table_html

PRUNED = ("resnet50_low", "resnet50_high", "inception_v4_low", "inception_v4_high")


def _summary(speed_split: float, speed_flex: float, energy_split: float) -> dict:
    configs = ("1G1C", "1G4C", "4G4C", "1G1F", "4G1F")
    run = {
        "hbm2_speedup_vs_1G1C": {"1G1C": 1.0, "1G4C": speed_split, "4G4C": speed_split,
                                 "1G1F": speed_flex, "4G1F": speed_flex},
        "hbm2_pe_utilization": {"1G1C": 0.5, "1G4C": 0.6, "4G4C": 0.6, "1G1F": 0.685,
                                "4G1F": 0.685},
        "energy_vs_1G1C": {c: {"total": energy_split if c in ("1G4C", "4G4C") else 1.0}
                           for c in configs},
        "gbuf_to_lbuf_traffic_vs_1G1C": {"1G1C": 1.0, "1G4C": 1.7, "4G4C": 3.4, "1G1F": 1.0,
                                         "4G1F": 2.0},
    }
    mobile = {"hbm2_pe_utilization": {"1G1C": 0.3, "1G1F": 0.4, "4G1F": 0.5}}
    return {"runs": {**{r: run for r in PRUNED}, "mobilenet_v2_dense": mobile}}


def test_every_claim_has_a_row_and_statuses_follow_the_numbers():
    rows = claims_ledger(_summary(1.2, 1.3, 1.4))
    assert [r["id"] for r in rows] == [c.key for c in CLAIMS] == list(CAUSES)
    status = {r["id"]: r["status"] for r in rows}
    assert status["split_speedup"] == status["flexsa_faster"] == "holds"
    assert status["utilization_37"] == "holds"            # 0.685 / 0.5 = +37%
    assert status["split_energy_20"] == "holds"           # 1.4x
    assert status["reuse_1_7"] == "holds"                 # 1.7x
    assert status["flexsa_energy_vs_1G1C"] == "holds"
    assert status["mobilenet_utilization"] == "holds"
    assert status["energy_saving_28"] == "holds"          # 1 - 1 / 1.4 = 29%
    worse = {r["id"]: r["status"] for r in claims_ledger(_summary(0.9, 0.8, 1.05))}
    assert worse["split_speedup"] != "holds" and worse["flexsa_faster"] != "holds"
    assert worse["split_energy_20"] != "holds" and worse["energy_saving_28"] != "holds"


def test_missing_runs_say_not_run_and_tables_render():
    rows = claims_ledger({"runs": {}})
    assert {r["status"] for r in rows} == {"not run"}
    rows = claims_ledger(_summary(1.2, 1.3, 1.4))
    text = ledger_markdown(rows)
    assert text.count("\n") == len(rows) + 1 and "| holds |" in text
    table = claims_table(rows)
    assert table is not None and table.title == "Claims ledger"
    html = table_html(table)
    assert html.count("<tr") == len(rows) + 1 and "Claims ledger" in html
    assert claims_table([]) is None and claims_table(None) is None
