"""Every command explains itself, and mistakes get a sentence, not a traceback."""

from __future__ import annotations

import click
import pytest
from click.testing import CliRunner

from mailer.cli import cli


def _all_commands(group: click.Group, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    found = []
    ctx = click.Context(group)
    for name in group.list_commands(ctx):  # (the top level loads its commands on demand)
        command = group.get_command(ctx, name)
        assert command is not None
        path = (*prefix, name)
        found.append(path)
        if isinstance(command, click.Group):
            found.extend(_all_commands(command, path))
    return found


@pytest.mark.parametrize("path", _all_commands(cli), ids=" ".join)
def test_every_command_has_help(path: tuple[str, ...]) -> None:
    result = CliRunner().invoke(cli, [*path, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage:" in result.output
    # A one-line summary of its own, not just the usage line.
    assert len(result.output.splitlines()) > 3


def test_foundation_commands_exist() -> None:
    names = {" ".join(p) for p in _all_commands(cli)}
    for needed in (
        "init",
        "demo",
        "lists create",
        "lists list",
        "lists show",
        "digest send",
        "campaigns list",
        "campaigns show",
        "worker",
        "config check",
    ):
        assert needed in names


def test_unknown_list_names_the_known_ones(cli_env: dict[str, str]) -> None:
    runner = CliRunner(env=cli_env)
    assert (
        runner.invoke(cli, ["lists", "create", "odei-weekly", "--name", "ODEI Weekly"]).exit_code
        == 0
    )
    result = runner.invoke(cli, ["digest", "send", "--list", "nope"])
    assert result.exit_code == 2
    assert "no list with slug 'nope'" in result.output and "odei-weekly" in result.output


def test_bad_time_is_refused_with_the_field(cli_env: dict[str, str]) -> None:
    result = CliRunner(env=cli_env).invoke(
        cli, ["lists", "create", "x", "--name", "X", "--digest-time", "7am"]
    )
    assert result.exit_code == 2 and "--digest-time" in result.output
