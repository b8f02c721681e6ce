"""The study plan: every variant x seed of both parts, pilot first, paired by seed, names that parse."""

import pytest

from spap_lib.errors import ConfigError
from spap_lib.study import plan


def test_plan_covers_every_variant_and_seed_pilot_first():
    specs = plan.study_plan()
    names = [s.name for s in specs]
    assert len(names) == len(set(names))
    for part in plan.PARTS.values():
        assert {(s.variant, s.seed) for s in specs if s.part == part.name} == {
            (v, s) for v in part.variants for s in part.seeds
        }
    # the paper's method and ablation in both parts; Table 1's SELF-MOD baseline in synthesis (version 2)
    assert (
        plan.SYNTHESIS.variants == (*plan.STUDY_VARIANTS, "selfmod")
        and plan.TRANSLATION.variants == plan.STUDY_VARIANTS
    )
    first = [s for s in specs if plan.PARTS[s.part].version < 3]
    n_pilot = 2 * len(plan.PILOT_SEEDS)
    assert all(s.is_pilot for s in first[:n_pilot])
    assert not any(s.is_pilot for s in first[n_pilot:])
    # the version 1-2 parts first; then synthesis64 (the headline at the second scale), then streets
    parts = [s.part for s in specs[n_pilot:]]
    assert parts == sorted(parts, key=["synthesis", "translation", "synthesis64", "streets"].index)
    # within a part all variants of a seed first (paired sets), vanilla (the pilot's) first in each seed
    for part in plan.PARTS:
        rest = [s for s in specs if s.part == part and not (plan.PARTS[part].version < 3 and s.is_pilot)]
        assert [s.seed for s in rest] == sorted(s.seed for s in rest)
    for part in ("synthesis64", "streets"):
        assert [s.variant for s in specs if s.part == part][0] == "vanilla"


def test_version_3_parts_change_only_the_scale_or_the_dataset():
    s32, s64 = (
        plan.RunSpec("synthesis", "spap_c2f", 1).config(),
        plan.RunSpec("synthesis64", "spap_c2f", 1).config(),
    )
    differ = {k for k in vars(s32) if getattr(s32, k) != getattr(s64, k)}
    assert differ == {"image_size"} and s64.image_size == 64
    t, st = plan.RunSpec("translation", "aspp", 1).config(), plan.RunSpec("streets", "aspp", 1).config()
    assert {k for k in vars(t) if getattr(t, k) != getattr(st, k)} == {"dataset"} and st.dataset == "streets"
    # FID over training lands on curve points (a resumed run finds them done), the last one at the end
    spec = plan.RunSpec("synthesis64", "vanilla", 0)
    assert set(spec.fid_steps()) <= set(spec.curve_steps()) and spec.fid_steps()[-1] == spec.total_steps()
    assert spec.fid_steps() == [3600, 4800, 6000]


def test_configs_follow_the_paper_recipe_at_study_scale():
    c = plan.RunSpec("synthesis", "spap_c2f", 3).config()
    assert (c.lr_d, c.lr_g, c.beta1, c.beta2) == (2e-4, 1e-4, 0.5, 0.999)  # Sec. 4.3
    assert c.freeze_steps == round(0.4 * c.steps)  # pyramid frozen for 40% of training
    assert c.paired_init and c.threads == 1 and c.seed == 3
    t = plan.RunSpec("translation", "aspp", 1).config()
    assert t.freeze_epochs * 2 == t.n_epochs + t.n_epochs_decay and t.dataset == "facades"
    assert (t.lr, t.lambda_cyc, t.lambda_identity, t.gan_mode) == (2e-4, 10.0, 0.5, "lsgan")


def test_boundaries_hold_the_verify_step_and_every_curve_step():
    spec = plan.RunSpec("synthesis", "vanilla", 0)
    b = spec.boundaries()
    assert b[0] == plan.VERIFY_STEPS and b[-1] == spec.total_steps()
    assert spec.curve_steps() == b[1:] and len(b[1:]) == plan.SYNTHESIS.curve_points


def test_names_round_trip_and_bad_names_are_one_line_errors():
    for spec in plan.study_plan():
        assert plan.parse_name(spec.name) == spec
    for bad in (
        "synthesis-vanilla",
        "synthesis-nope-s0",
        "other-vanilla-s0",
        "synthesis-vanilla-x",
    ):
        with pytest.raises(ConfigError, match="study status"):
            plan.parse_name(bad)
