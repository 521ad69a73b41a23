"""Two workers on one host name but in separate PID namespaces (containers with host
networking, Kubernetes hostNetwork) share a PostgreSQL campaign: each recipient once.

Each worker runs under ``unshare --pid --fork --mount-proc`` (we are root in the
test environment), so each sees the other's pid as dead or as another process
of its own. The SMTP server is a real aiosmtpd that counts what it accepted and
answers a little slowly, so that a batch is always in flight when the other
worker starts and runs its recovery.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
import time
from collections import Counter

import pytest
from sqlalchemy.orm import Session, sessionmaker

from mailer.config import Settings
from mailer.delivery import campaigns
from mailer.delivery.models import Campaign, CampaignStatus
from tests.conftest import IN_CI
from tests.delivery_fixtures import statuses
from tests.helpers import make_campaign, make_list, make_subscribers
from tests.smtp_server import Slow, SmtpFaultServer

RECIPIENTS = 240
BATCH = 10


def _unshare_works() -> bool:
    if shutil.which("unshare") is None:
        return False
    probe = ["unshare", "--pid", "--fork", "--mount-proc", "true"]
    return subprocess.run(probe, capture_output=True, timeout=10).returncode == 0


def _in_own_pid_namespace(env: dict[str, str], pid_one: bool) -> subprocess.Popen[bytes]:
    """`mailer worker --once` in a new PID namespace: as its pid 1, or as pid 2 behind a
    shell (so the two workers' pids differ, as they do in real containers)."""
    worker = shlex.join([sys.executable, "-m", "mailer", "worker", "--once", "--lease", "3"])
    script = f"exec {worker}" if pid_one else f"{worker}; exit $?"
    return subprocess.Popen(
        ["unshare", "--pid", "--fork", "--mount-proc", "sh", "-c", script],
        env={**os.environ, **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )


@pytest.mark.slow
@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_workers_in_separate_pid_namespaces_never_take_each_others_rows(
    session_factory: sessionmaker[Session], settings: Settings, cli_env: dict[str, str]
) -> None:
    if not _unshare_works():
        if IN_CI:
            pytest.fail("CI needs `unshare --pid --fork --mount-proc` (root) for this test")
        pytest.skip("unshare --pid --fork --mount-proc is not available here (needs root)")
    with session_factory() as session:
        ml = make_list(session)
        people = make_subscribers(session, ml, RECIPIENTS)
        c = make_campaign(session, ml)
        campaigns.start(session, c)
        session.commit()
        cid = c.id
    with SmtpFaultServer() as server:
        for p in people:
            server.script_data(p.email, Slow(0.02))
        env = {**cli_env, "MAILER_BACKEND": server.url(), "MAILER_BATCH_SIZE": str(BATCH)}
        first = _in_own_pid_namespace(env, pid_one=False)
        deadline = time.monotonic() + 60
        while len(server.received) < BATCH // 2:  # mid-batch: its rows are `sending`
            assert first.poll() is None and time.monotonic() < deadline, "no progress"
            time.sleep(0.005)
        second = _in_own_pid_namespace(env, pid_one=True)
        for proc in (first, second):
            output, _ = proc.communicate(timeout=120)
            assert proc.returncode == 0, output.decode()
        got = Counter(r for m in server.received for r in m.rcpt_tos)
    assert set(got) == {p.email for p in people}
    assert max(got.values()) == 1, [e for e, n in got.items() if n > 1][:5]
    with session_factory() as session:
        assert statuses(session, cid) == {"sent": RECIPIENTS}
        camp = session.get(Campaign, cid)
        assert camp is not None and camp.status == CampaignStatus.SENT
        assert camp.sent_count == RECIPIENTS
