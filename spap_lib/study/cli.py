"""Command ``study``: ``run [--resume] [--pilot] [--part P] [--jobs N]``, ``status``,
``verify [--run NAME] [--all] [--through-unfreeze]``."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("study", help="the replication study: run (hours), status, verify the archive")
    ssub = p.add_subparsers(dest="study_command", metavar="SUBCOMMAND")
    ssub.required = True

    r = ssub.add_parser("run", help="train, score and archive every run of the plan (hours; resumable)")
    r.add_argument("--resume", action="store_true", help="continue an interrupted study (the default)")
    r.add_argument("--pilot", action="store_true", help="only the pilot runs (vanilla, seeds 0-2)")
    r.add_argument("--part", choices=("synthesis", "translation", "synthesis64", "streets"), default=None)
    r.add_argument("--jobs", type=int, default=2, help="runs side by side, one thread each")
    r.add_argument(
        "--archive-root",
        default=None,
        help="where archives go (default results/study; e.g. the checkout "
        "to commit them from, when the study runs from a clean worktree)",
    )
    r.set_defaults(func=_run)

    s = ssub.add_parser("status", help="which runs are archived and which are missing")
    s.set_defaults(func=_status)

    v = ssub.add_parser("verify", help="re-train the first steps of archived runs, compare with the archive")
    v.add_argument("--run", action="append", default=None, help="run name (default: the first archived)")
    v.add_argument("--all", action="store_true", help="every archived run")
    v.add_argument(
        "--through-unfreeze",
        action="store_true",
        help="re-train past the pyramid's unfreeze step and compare every archived loss up to there "
        "(one run, default synthesis-spap_c2f-s0; ~10 min)",
    )
    v.add_argument(
        "--record",
        action="store_true",
        help="write each result to results/study/verifications/<mode>-<run>.json (the chapter shows them)",
    )
    v.set_defaults(func=_verify)


def _run(args: argparse.Namespace) -> int:
    from spap_lib.errors import ConfigError
    from spap_lib.study.plan import study_plan
    from spap_lib.study.runner import run_study

    if args.jobs < 1:
        raise ConfigError(f"--jobs must be >= 1, got {args.jobs}")
    from spap_lib.study.plan import ARCHIVE_ROOT

    specs = study_plan(args.part, pilot_only=args.pilot)
    failed = run_study(specs, jobs=args.jobs, archive_root=args.archive_root or ARCHIVE_ROOT)
    return 1 if failed else 0


def _status(args: argparse.Namespace) -> int:
    from spap_lib.study.archive import completeness
    from spap_lib.study.plan import ARCHIVE_ROOT
    from spap_lib.study.runner import prdc_path, segmenter_archived

    c = completeness()
    print(
        f"archived {len(c.archived)} of {len(c.archived) + len(c.missing)} runs; "
        f"FID against n: {'archived' if c.fid_vs_n else 'missing'}; "
        f"32 px PRDC: {'archived' if prdc_path(ARCHIVE_ROOT).is_file() else 'missing'}; "
        f"Table 2 segmenter: {'archived' if segmenter_archived(ARCHIVE_ROOT) else 'missing'}"
    )
    for name in c.missing:
        print(f"missing {name}")
    return 0


def _verify(args: argparse.Namespace) -> int:
    from spap_lib.errors import ConfigError, DataError
    from spap_lib.study.archive import (
        UNFREEZE_RUN,
        completeness,
        record_verification,
        run_path,
        verify_run,
    )
    from spap_lib.study.plan import parse_name

    if args.through_unfreeze and args.all:
        raise ConfigError("--through-unfreeze re-trains minutes per run: name runs with --run, not --all")
    if args.through_unfreeze:
        names = args.run or [UNFREEZE_RUN]
    else:
        names = args.run or (completeness().archived if args.all else completeness().archived[:1])
    if not names:
        raise DataError("no archived study run to verify: run `python -m spap_lib study run` first")
    bad = 0
    for name in names:
        result = verify_run(run_path(parse_name(name)), through_unfreeze=args.through_unfreeze)
        print(result.line())
        bad += not result.ok
        if args.record:
            print(f"recorded in {record_verification(result)}")
    return 1 if bad else 0
