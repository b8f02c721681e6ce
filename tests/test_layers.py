"""Data flows one way: each package imports only from the layers below it (the developers' guide)."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1] / "spap_lib"
# lowest first; a module may import its own layer and any layer before it
LAYERS = ["io", "errors", "paper", "data", "models", "metrics", "training", "reports", "study"]
BASE = {"io", "errors", "paper"}  # the shared bottom: importable from everywhere


def _layer(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[0] == "spap_lib" and parts[1] in LAYERS else None


def test_imports_run_one_way():
    wrong = []
    for path in ROOT.rglob("*.py"):
        rel = path.relative_to(ROOT).with_suffix("")
        own = rel.parts[0] if rel.parts[0] in LAYERS else None
        if own is None:  # spap_lib/__init__.py, __main__.py, cli.py: the top, may import anything
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            names = []
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            elif isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            for name in names:
                target = _layer(name)
                if target is None or target in BASE or own in BASE and target == own:
                    continue
                if LAYERS.index(target) > LAYERS.index(own):
                    wrong.append(f"{path.relative_to(ROOT)} imports {name}")
    assert not wrong, wrong
