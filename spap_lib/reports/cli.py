"""Command ``book``: reproduce every table and figure and build the Jupyter Book."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("book", help="run every experiment and report notebook, then build the book")
    p.add_argument("--preset", default="cpu", help="smoke | cpu (default) | paper")
    p.add_argument("--no-build", action="store_true", help="run the notebooks, skip jupyter-book")
    p.add_argument("--force", action="store_true", help="re-run notebooks even when cached")
    p.add_argument("--only", help="run only the jobs whose name contains this text")
    p.add_argument("--list", action="store_true", help="list the jobs of the preset and exit")
    p.add_argument("--jobs", type=int, default=2, help="notebooks side by side, one thread each (default 2)")
    p.set_defaults(func=_book)


def _book(args: argparse.Namespace) -> int:
    from spap_lib.reports.pipeline import run_pipeline
    from spap_lib.reports.plan import book_plan

    if args.list:
        for job in book_plan(args.preset):
            print(f"{job.name:<36} {job.notebook:<26} -> {job.output}")
        return 0
    return run_pipeline(
        args.preset, build=not args.no_build, force=args.force, only=args.only, jobs_at_once=args.jobs
    )
