"""The jieba dictionary and NLU lookup/synonyms generated from the catalog."""

from __future__ import annotations

import yaml

from govservice.catalog import nlu_export
from govservice.catalog.knowledge import load_knowledge_base


def test_lookup_is_longest_first_and_synonyms_point_to_canonical_names(tmp_path) -> None:
    kb = load_knowledge_base()
    nlu_export.write_all(kb, tmp_path / "jieba", tmp_path / "nlu.yml")
    doc = yaml.safe_load((tmp_path / "nlu.yml").read_text(encoding="utf-8"))
    lookup = [line[2:] for line in doc["nlu"][0]["examples"].splitlines()]
    assert doc["nlu"][0]["lookup"] == "service"
    assert doc["nlu"][1]["lookup"] == "certificate" and "- 居民户口簿" in doc["nlu"][1]["examples"]
    assert [len(w) for w in lookup] == sorted((len(w) for w in lookup), reverse=True)
    synonyms = {
        word[2:]: entry["synonym"] for entry in doc["nlu"][2:] for word in entry["examples"].splitlines()
    }
    assert synonyms["驾照"] == "机动车驾驶证"
    assert synonyms["公积金"] == "住房公积金"
    words = (tmp_path / "jieba" / "userdict.txt").read_text(encoding="utf-8").splitlines()
    assert "驾照 50000 n" in words
    assert any(w.startswith("居民户口簿 ") for w in words)  # material names too


def test_unchanged_output_is_not_rewritten(tmp_path) -> None:
    from govservice.catalog.nlu_export import write_if_changed

    target = tmp_path / "userdict.txt"
    assert write_if_changed(target, "居住证 10 n\n")
    stamp = target.stat().st_mtime_ns
    assert not write_if_changed(target, "居住证 10 n\n") and target.stat().st_mtime_ns == stamp
    assert write_if_changed(target, "护照 10 n\n")
