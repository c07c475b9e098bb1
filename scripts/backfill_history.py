#!/usr/bin/env python3
"""Import every historical Jira issue, project or user into the webhook endpoint (see docs/backfill.md)."""

import os
import sys

# Run as a file (python scripts/backfill_history.py): make the repository root importable.
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from scripts.repo_python import use_repo_python  # noqa: E402

if __name__ == "__main__":
    use_repo_python(__file__)
    from scripts.backfill.cli import main

    sys.exit(main())
