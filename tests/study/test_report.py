"""The chapter's headline sentence: computed from the paired seeds, provisional until every planned seed is in."""

from spap_lib.study import plan as P
from spap_lib.study.report import headline


def _run(variant: str, seed: int, fid: float) -> dict:
    return {"variant": variant, "seed": seed, "final": {"value": fid, "kernel_value": fid / 1000}}


def _runs(seeds: int) -> dict[str, list[dict]]:
    runs = [_run("vanilla", s, 200.0 + 3 * s) for s in range(seeds)]
    runs += [_run("spap_c2f", s, 150.0 + 2 * s) for s in range(seeds)]  # -25%: the paper's size, every seed
    return {"synthesis": runs, "translation": []}


def test_provisional_until_every_planned_seed_is_archived():
    planned = len(P.PARTS["synthesis"].seeds)
    early = headline(_runs(2))
    assert early["verdict"] == "supports" and early["seeds"] == 2
    assert f"Provisional: 2 of the {planned} planned seeds" in early["sentence"]
    done = headline(_runs(planned))
    assert done["verdict"] == "supports" and "Provisional" not in done["sentence"]


def test_one_seed_gives_no_verdict():
    out = headline(_runs(1))
    assert out["verdict"] == "not yet measured" and "1 paired seed(s)" in out["sentence"]
