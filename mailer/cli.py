"""The ``mailer`` command.

Each module in ``mailer/commands/`` is one command (Mailman's ``cli_*``
layout): ``mailer/commands/NAME.py`` exposes ``command`` (a click command or
group) named NAME (dashes for underscores). A module named
``<group>_<rest>.py`` with ``extends = "<group>"`` and ``commands = [...]``
adds subcommands to that group. Adding a command is adding a file.

Commands load when used: ``mailer --help`` reads the one-line summaries from
the modules' source without importing them (each command pulls in SQLAlchemy,
Flask, APScheduler ... and importing them all took most of a second).
"""

from __future__ import annotations

import ast
import contextlib
import functools
import gc
import importlib
import pkgutil
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import click

import mailer.commands
from mailer import __version__, prompt_exit

COMMANDS_DIR = Path(mailer.commands.__file__).parent


@functools.cache
def _modules() -> tuple[str, ...]:
    return tuple(sorted(m.name for m in pkgutil.iter_modules([str(COMMANDS_DIR)])))


def _extends(module_name: str) -> str | None:
    """The group a ``<group>_<rest>`` module adds to (by its name; confirmed on import)."""
    for group in _modules():
        if module_name.startswith(group + "_"):
            return group
    return None


def _help_text(module_name: str) -> str:
    """The command's help, read from its module's source (its ``help=`` or docstring)."""
    tree = ast.parse((COMMANDS_DIR / f"{module_name}.py").read_text(encoding="utf-8"))
    for node in tree.body:
        if not isinstance(node, ast.FunctionDef):
            continue
        for d in node.decorator_list:
            if not (
                isinstance(d, ast.Call)
                and isinstance(d.func, ast.Attribute)
                and d.func.attr in {"command", "group"}
                and isinstance(d.func.value, ast.Name)
                and d.func.value.id == "click"
            ):
                continue
            given = next((k.value for k in d.keywords if k.arg == "help"), None)
            if isinstance(given, ast.Constant) and isinstance(given.value, str):
                return given.value
            if isinstance(given, ast.Name) and given.id == "__doc__":
                return ast.get_docstring(tree) or ""
            return ast.get_docstring(node) or ""
    return ""


class LazyGroup(click.Group):
    """A group whose subcommands are imported only when one is run or asked for help."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return [m.replace("_", "-") for m in _modules() if _extends(m) is None]

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        name = cmd_name.replace("-", "_")
        if name not in _modules() or _extends(name) is not None:
            return None
        return _load(name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        names = self.list_commands(ctx)
        if not names:
            return
        limit = formatter.width - 6 - max(len(n) for n in names)  # as click.Group does
        # A stand-in command shortens the help exactly as the real one would.
        rows = [
            (n, click.Command(n, help=_help_text(n.replace("-", "_"))).get_short_help_str(limit))
            for n in names
        ]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


@contextlib.contextmanager
def _imports_uncollected() -> Iterator[None]:
    """No garbage collection while a command's modules load; what they made is frozen.

    A command's imports build a few hundred thousand objects that live as long
    as the process (SQLAlchemy's mappers, compiled SQL, the models), and
    collecting in the middle of that only walks them again and again: about a
    tenth of the start-up of ``mailer worker``. Frozen afterwards
    (``gc.freeze``), they are left out of the later collections too, so a
    worker's collections while it builds messages stay short.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        if enabled:
            gc.enable()


@functools.cache
def _load(name: str) -> click.Command:
    with _imports_uncollected():
        module = importlib.import_module(f"mailer.commands.{name}")
        command: click.Command = module.command
        if isinstance(command, click.Group):
            for other in _modules():
                if _extends(other) == name:
                    _extend(command, importlib.import_module(f"mailer.commands.{other}"))
    return command


def _extend(group: click.Group, module: ModuleType) -> None:
    if getattr(module, "extends", None) != group.name:
        raise RuntimeError(
            f"{module.__name__} is named for group {group.name!r} but extends "
            f"{getattr(module, 'extends', None)!r}"
        )
    for command in module.commands:
        group.add_command(command)


@click.group(
    cls=LazyGroup,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@click.version_option(__version__, prog_name="mailer")
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False),
    envvar="MAILER_CONFIG",
    help="A mailer.toml file (default: ./mailer.toml if present).",
)
def cli(config_path: str | None) -> None:
    """The ODEI newsletter and announcement mailer.

    Weekly digests of news, heritage-month features and events, and staff
    announcements, sent to each list's confirmed subscribers. Settings come
    from MAILER_* environment variables and an optional mailer.toml; run
    `mailer config check` to see them. Start with `mailer init`, or try
    everything at once with `mailer demo`.
    """
    from mailer.config import load_settings, set_settings

    if config_path and not Path(config_path).exists():
        raise click.BadParameter(f"{config_path} does not exist", param_hint="--config")
    set_settings(load_settings(config_path=config_path))


def main(argv: Any = None) -> None:
    """The console script. A command that succeeded and asked for it (see
    mailer.prompt_exit) ends here without the interpreter's teardown."""
    prompt_exit.reset()
    try:
        cli(args=argv, prog_name="mailer")
    except KeyboardInterrupt:
        sys.exit(130)
    except SystemExit as exc:
        if exc.code in (0, None) and prompt_exit.requested():
            prompt_exit.leave(0)
        raise


if __name__ == "__main__":
    main()
