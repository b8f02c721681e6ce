"""The GitHub Pages workflow (.github/workflows/book.yml) has the agreed structure."""

from pathlib import Path

import yaml

WORKFLOW = Path(__file__).resolve().parents[1] / ".github" / "workflows" / "book.yml"


def _load() -> dict:
    data = yaml.safe_load(WORKFLOW.read_text())
    # YAML 1.1 reads the bare key `on` as the boolean True.
    data["on"] = data.pop(True, data.get("on"))
    return data


def _runs(job: dict) -> list[str]:
    return [step["run"] for step in job["steps"] if "run" in step]


def _uses(job: dict) -> list[str]:
    return [step["uses"].split("@")[0] for step in job["steps"] if "uses" in step]


def test_triggers_push_to_main_and_manual():
    on = _load()["on"]
    assert on["push"]["branches"] == ["main"]
    assert "workflow_dispatch" in on


def test_pages_permissions():
    perms = _load()["permissions"]
    assert perms["pages"] == "write" and perms["id-token"] == "write"


def test_build_job_tests_builds_and_uploads_the_book():
    build = _load()["jobs"]["build"]
    assert "3.11" in build.get("container", "") or any(
        s.get("with", {}).get("python-version") == "3.11" for s in build["steps"]
    )
    assert "bookworm" in build.get("container", ""), "Debian's chromium needs a Debian image"
    runs = _runs(build)
    assert "make test" in runs
    # the site shows what `make book` builds (the cpu preset), never the smoke fixture
    assert "make book" in runs and not any("PRESET=smoke" in r for r in runs)
    assert runs.index("make test") < next(i for i, r in enumerate(runs) if r.startswith("make book"))
    uses = _uses(build)
    assert uses[0] == "actions/checkout"
    upload = next(s for s in build["steps"] if s.get("uses", "").startswith("actions/upload-pages"))
    assert upload["with"]["path"] == "_build/html"


def test_deploy_job_depends_on_build_and_deploys_pages():
    deploy = _load()["jobs"]["deploy"]
    needs = deploy["needs"]
    assert needs == "build" or needs == ["build"]
    assert _uses(deploy) == ["actions/deploy-pages"]
    assert deploy["environment"]["name"] == "github-pages"


def test_every_action_is_pinned_to_a_version():
    for job in _load()["jobs"].values():
        for step in job["steps"]:
            if "uses" in step:
                assert "@v" in step["uses"], step["uses"]
