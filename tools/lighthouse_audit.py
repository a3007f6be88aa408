"""make audit: serve the app with gunicorn on loopback and run Lighthouse (mobile preset) on it.

Lighthouse and puppeteer-core come from tools/lighthouse/package-lock.json (npm ci); the browser
is Debian's Chromium. Prints each page's scores and exits non-zero when a target is missed.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

from tools.servers import gunicorn_server
from tools.stack import PLACEHOLDER_STAFF_PASSWORD_HASH

AUDIT_DIR = Path(__file__).resolve().parent / "lighthouse"


def main() -> int:
    with tempfile.TemporaryDirectory() as instance:
        env = {
            "SCREENING_SECRET_KEY": "lighthouse-audit",
            "SCREENING_EPDS_PERMISSION": "lighthouse audit",
            "SCREENING_STAFF_PASSWORD_HASH": PLACEHOLDER_STAFF_PASSWORD_HASH,
            "SCREENING_HTTPS": "0",
            "SCREENING_INSTANCE_PATH": instance,
        }
        with gunicorn_server(env, workers=2) as server:
            return subprocess.run(
                ["node", "audit.mjs", server.url], cwd=AUDIT_DIR, timeout=600, check=False
            ).returncode


if __name__ == "__main__":
    sys.exit(main())
