"""Entry point for ``python -m spap_lib``."""

from spap_lib.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
