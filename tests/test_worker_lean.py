"""A worker process imports what sending needs, not the web console, feeds or CSS inlining."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from sqlalchemy.orm import Session

from mailer.config import Settings

# Top-level packages a send never uses: the web framework, the feed parser, the CSS
# inliner and its CSS parser, the iCalendar reader, the scheduler; without DKIM
# configured, dkimpy and the DNS library it brings (a fifth of a second at start);
# rich, since the worker prints plain lines; email-validator (30 ms of grammar), since
# a send reads no address a person typed.
NOT_FOR_SENDING = {
    "flask",
    "werkzeug",
    "feedparser",
    "premailer",
    "cssutils",
    "icalendar",
    "dkim",
    "dns",
    "rich",
    "email_validator",
}

# The probe reports after the command, so the worker's prompt exit (mailer.prompt_exit)
# becomes an ordinary SystemExit here.
PROBE = """
import json, sys
import mailer.prompt_exit
mailer.prompt_exit.leave = sys.exit
from mailer.cli import main
sys.argv = ["mailer", "worker", "--once"]
try:
    main()
except SystemExit as exit:
    code = exit.code
else:
    code = 0
print(json.dumps({"code": code, "modules": sorted(sys.modules)}))
"""


def test_worker_imports_only_what_sending_needs(
    session: Session, settings: Settings, cli_env: dict[str, str]
) -> None:
    from delivery_fixtures import statuses
    from helpers import started_campaign

    campaign_id = started_campaign(session, 3)
    done = subprocess.run(
        [sys.executable, "-c", PROBE],
        env={**os.environ, **cli_env},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["code"] == 0
    modules = set(report["modules"])
    loaded = {m.split(".")[0] for m in modules}
    assert {"mailer", "sqlalchemy"} <= loaded  # the probe did run the worker
    assert loaded & NOT_FOR_SENDING == set()
    # SQLAlchemy's PostgreSQL dialect package (80 ms at start) only where it is the database.
    on_postgresql = session.get_bind().dialect.name == "postgresql"
    assert ("sqlalchemy.dialects.postgresql" in modules) is on_postgresql
    session.expire_all()
    assert statuses(session, campaign_id) == {"sent": 3}
