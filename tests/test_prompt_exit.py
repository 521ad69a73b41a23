"""A finished command ends without the interpreter's teardown, and only a finished one.

Issue 16 times ``mailer worker --once`` from start to exit: Python's own
shutdown (the final collection, then every module torn down) added 0.2 to
0.35 s after the last message was recorded. The worker asks for a prompt exit
once everything is recorded and closed (mailer.prompt_exit); these tests run
the real console entry in a subprocess and watch for an atexit handler, which
runs only when the interpreter tears down.
"""

from __future__ import annotations

import gc
import os
import subprocess
import sys

from sqlalchemy.orm import Session

PROBE = """
import atexit, sys
atexit.register(lambda: print("TEARDOWN", flush=True))
from mailer.cli import main
main(sys.argv[1:])
"""


def _mailer(cli_env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", PROBE, *args],
        env={**os.environ, **cli_env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_a_finished_worker_exits_without_teardown_and_loses_nothing(
    session: Session, cli_env: dict[str, str]
) -> None:
    from delivery_fixtures import statuses
    from helpers import started_campaign

    campaign_id = started_campaign(session, 5)
    done = _mailer(cli_env, "worker", "--once")
    assert done.returncode == 0, done.stderr
    # The last line was flushed before the prompt exit; the teardown never ran.
    assert "Worker done: 5 sent, 0 failed" in done.stdout
    assert "TEARDOWN" not in done.stdout
    session.expire_all()
    assert statuses(session, campaign_id) == {"sent": 5}


def test_a_failing_worker_and_other_commands_end_the_usual_way(
    session: Session, cli_env: dict[str, str]
) -> None:
    # A command that did not ask (and `lists list` does not) tears down as always.
    listed = _mailer(cli_env, "lists", "list")
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout.rstrip().endswith("TEARDOWN")
    # A worker that fails before its work is done never takes the prompt exit.
    broken = _mailer({**cli_env, "MAILER_BACKEND": "carrier-pigeon://"}, "worker", "--once")
    assert broken.returncode != 0
    assert "TEARDOWN" in broken.stdout


def test_loading_a_command_freezes_its_objects_and_keeps_the_collector_as_it_was() -> None:
    from mailer import cli

    cli._load.cache_clear()
    gc.unfreeze()
    try:
        assert gc.isenabled()
        cli._load("lists")
        assert gc.isenabled() and gc.get_freeze_count() > 0
        gc.unfreeze()
        gc.disable()
        cli._load.cache_clear()
        cli._load("lists")
        assert not gc.isenabled()
    finally:
        gc.enable()
        gc.unfreeze()
        cli._load.cache_clear()
