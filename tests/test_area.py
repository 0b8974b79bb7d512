"""Area model: the core-splitting study and FlexSA's overhead."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from flexsa.energy.area import area_of
from flexsa.energy.configs import SPLIT_STUDY, splitting_study


def test_same_pes_and_gbuf_across_the_split():
    study = splitting_study()
    assert {arch.total_pes for arch in SPLIT_STUDY.values()} == {16384}
    gbufs = {round(a.gbuf, 9) for a in study.values()}
    assert len(gbufs) == 1
    assert max(arch.cores_per_group for arch in SPLIT_STUDY.values()) <= 4


def test_splitting_area_grows_with_the_number_of_cores():
    study = splitting_study()
    totals = [a.total for a in study.values()]
    assert totals == sorted(totals)
    base = totals[0]
    ratios = [t / base for t in totals]
    # Published trend: splitting costs area through SRAM periphery and wires, growing
    # with the core count; our model gives about +5%, +13%, +30%.
    assert 1.02 < ratios[1] < 1.10
    assert 1.08 < ratios[2] < 1.20
    assert 1.20 < ratios[3] < 1.40
    lbufs = [a.lbuf for a in study.values()]
    assert lbufs == sorted(lbufs)


def test_flexsa_overhead_is_about_one_percent():
    for name in ("4x64^2", "16x32^2"):
        plain = SPLIT_STUDY[name]
        flex = replace(plain, flexsa=True, name=name + "F")
        extra = area_of(flex).flexsa
        overhead = extra.total / area_of(plain).plain_cores
        assert 0.005 < overhead < 0.02, (name, overhead)
        assert extra.fma_upgrade > 0 and extra.switches > 0 and extra.wires > 0
        assert area_of(plain).flexsa.total == 0


def test_area_components_sum():
    a = area_of(SPLIT_STUDY["16x32^2"])
    d = a.as_dict()
    assert d["total_mm2"] == pytest.approx(d["pe_mm2"] + d["lbuf_mm2"] + d["gbuf_mm2"]
                                           + d["wires_mm2"] + d["repeaters_mm2"]
                                           + d["flexsa_extra_mm2"]["total"])


def test_cli_area_json(cli):
    out = cli("area", "--arch", "4x64^2", "--json")
    assert out.returncode == 0, out.stderr
    payload = json.loads(out.stdout)
    assert payload["area_mm2"]["total_mm2"] > 0
    assert payload["config"]["arch"] == "4x64^2"
    out = cli("area", "--split-study", "--json")
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["split_study"]["1x128^2"]["ratio_to_1x128"] == 1.0
