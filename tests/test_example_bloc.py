"""The shared worked example: a 7-unit Hải Phòng bloc with its exact expected ranking."""

from __future__ import annotations

import json


def test_csv_contract_matches_expected_ranking(tdkt, example):
    run = tdkt("score", "--units", example / "units.csv", "--criteria", example / "criteria.csv",
               "--scores", example / "scores.csv", "--json")
    assert run.code == 0, run.err
    doc = run.json
    expected = json.loads((example / "expected.json").read_text("utf-8"))
    got = [{k: u[k] for k in ("unit", "score", "rank", "eligible")} for u in doc["units"]]
    assert got == expected["units"]
    assert doc["top"] == expected["top"]
    assert doc["needs_vote"] == expected["needs_vote"]


def test_every_place_names_the_rule_that_decided_it(tdkt, example):
    doc = tdkt("score", "--units", example / "units.csv", "--criteria", example / "criteria.csv",
               "--scores", example / "scores.csv", "--json").json
    decided = {u["unit"]: u["decided_by"] for u in doc["units"]}
    assert decided["SNN"] == decided["SCT"] == "vote_needed"
    assert decided["SGTVT"] == "score"
    skipped = {s["unit"]: s["reason"] for s in doc["skipped"]}
    assert skipped == {"SXD": "Đang trong thời gian thanh tra"}


def test_demo_prints_vietnamese_ranking(tdkt, tmp_path):
    run = tdkt("demo", "--dir", tmp_path)
    assert run.code == 0
    assert f"Sổ tổng hợp đã tính điểm: {tmp_path / 'so-tong-hop-khoi.xlsx'}" in run.out
    assert "Danh sách thẩm định: 1. SGTVT (96,00), 2. SKHDT (90,07), 3. BQLKKT (86,50)" in run.out
    assert "Cần bỏ phiếu: SNN, SCT" in run.out
