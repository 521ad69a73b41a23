"""`mailer campaigns report`: the table a person reads, and the errors it gives."""

from __future__ import annotations

from click.testing import CliRunner
from sqlalchemy.orm import Session, sessionmaker

from mailer.cli import cli
from tests.report_fixtures import seed_reports


def test_report_table_and_unknown_campaign(
    session_factory: sessionmaker[Session], cli_env: dict[str, str]
) -> None:
    with session_factory() as s:
        seeded = seed_reports(s)
    runner = CliRunner(env={**cli_env, "COLUMNS": "200"})
    done = runner.invoke(cli, ["campaigns", "report", str(seeded.campaign_id)])
    assert done.exit_code == 0, done.output
    lines = {" ".join(line.replace("│", " ").split()) for line in done.output.splitlines()}
    assert "recipients 60" in lines and "failed 1" in lines
    assert "complained 1 1.69%" in lines
    assert "https://diversity.wustl.edu/womens-history-month 3 2" in lines
    assert "Warning: complaint rate 1.69% is over 0.1% (Gmail's limit is 0.3%)" in lines
    missing = runner.invoke(cli, ["campaigns", "report", "999"])
    assert missing.exit_code == 1 and "no campaign 999" in missing.output
