"""The top-level command line: building the parser (``--help``, argument errors) imports no torch."""

import subprocess
import sys


def test_help_imports_no_torch():
    code = (
        "import sys\n"
        "from spap_lib.cli import build_parser\n"
        "parser = build_parser()\n"
        "parser.parse_args(['study', 'verify', '--through-unfreeze'])\n"
        "print(sorted(m for m in sys.modules if m == 'torch' or m.startswith('torch.')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]", out.stdout[:300]


def test_a_command_still_reaches_its_package():
    out = subprocess.run(
        [sys.executable, "-m", "spap_lib", "study", "verify", "--run", "nonsense-run"],
        capture_output=True,
        text=True,
    )
    assert out.returncode == 2 and out.stderr.startswith("error: 'nonsense-run' is not a study run")
