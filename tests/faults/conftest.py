"""Session set-up of the fault suite: shared data, template run folders, the HTTP and fork servers, and the
pool that runs every collected row at once (each test then waits for its own row and checks it).

Templates are made in this process through the library (they are inputs, not what is tested): a smoke GAN
run stopped after 3 of its 6 steps (``gan_partial``, resumed by ``train gan --preset smoke --set
data_root=DATA``) and a finished one with the train notebook's settings (``gan_finished``).
"""

from __future__ import annotations

import os
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import faultkit
import pytest

WORKERS = int(os.environ.get("SPAP_FAULTS_WORKERS", "4"))


def _templates(base: Path, data: Path) -> dict[str, Path]:
    from spap_lib.data import synthesize
    from spap_lib.training import make_config, train_gan

    synthesize("faces", data, size=16, n=32, seed=0, workers=1)  # gan smoke: faces-16-n32-s0
    synthesize("streets", data, size=32, n=16, seed=0, workers=1)  # cyclegan smoke: streets-32-n16-s0
    out = {"gan_partial": base / "gan_partial", "gan_finished": base / "gan_finished"}
    train_gan(make_config("gan", "smoke", [f"data_root={data}"]), out["gan_partial"], until_step=3)
    nb = {"variant": "vanilla", "seed": 0, "data_root": str(data), "progress": False}
    train_gan(make_config("gan", "smoke", nb), out["gan_finished"])
    backbone = faultkit.REPO / "data" / "backbones" / "synth-v1"
    if (backbone / "weights.pt").is_file():
        out["backbone"] = backbone
    return out


class Engine:
    def __init__(self, base: Path, rows: list[faultkit.Row]):
        self.base = base
        self.env = faultkit.base_env()
        self.data = base / "data"
        self.templates = _templates(base / "templates", self.data)
        self.data_before = faultkit.tree(self.data)
        self.http = faultkit.HTTPServer()
        (base / "fork").mkdir()
        self.fork = None if faultkit.ALWAYS_EXEC else faultkit.ForkServer(base / "fork", self.env)
        self.pool = ThreadPoolExecutor(WORKERS)
        self.jobs: dict[str, tuple[faultkit.Ctx, Future]] = {}
        for row in sorted(rows, key=lambda r: -r.weight):
            ctx = faultkit.Ctx(
                row, base / "rows" / row.id, self.data, self.templates, self.http, self.fork, self.env
            )
            self.jobs[row.id] = (ctx, self.pool.submit(faultkit.execute, ctx))

    def check(self, row: faultkit.Row) -> None:
        ctx, fut = self.jobs[row.id]
        results = fut.result(timeout=faultkit.TIMEOUT_S * 3)
        faultkit.verify(ctx, results, self.data_before)

    def close(self) -> None:
        self.pool.shutdown(wait=True, cancel_futures=True)
        if self.fork is not None:
            self.fork.close()
        self.http.close()


@pytest.fixture(scope="session")
def faults(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):
    """Start every collected row of every fault module (only those selected by -k/-m)."""
    rows: list[faultkit.Row] = []
    seen: dict[str, faultkit.Row] = {}
    for item in request.session.items:
        row = getattr(item, "callspec", None) and item.callspec.params.get("row")
        if isinstance(row, faultkit.Row) and row.id not in seen:
            assert row.id.replace("-", "").isalnum(), row.id
            seen[row.id] = row
            rows.append(row)
        elif isinstance(row, faultkit.Row):
            assert seen[row.id] is row, f"two rows named {row.id}"
    engine = Engine(tmp_path_factory.mktemp("faults"), rows)
    yield engine
    engine.close()
