from __future__ import annotations

from pathlib import Path

import pytest

from mailer.config import ConfigError, Settings, check_settings, load_settings


def test_defaults_are_the_embedded_setup(tmp_path: Path) -> None:
    s = load_settings(env={}, config_path=str(tmp_path / "absent.toml"))
    assert s.database_url == "sqlite:///mailer.db"
    assert s.backend == "maildir:./outbox"


def test_environment_beats_file_and_file_beats_defaults(tmp_path: Path) -> None:
    toml = tmp_path / "mailer.toml"
    toml.write_text('[mailer]\nbackend = "smtp://relay:25"\nbatch_size = 50\nfrom_name = "ODEI"\n')
    s = load_settings(env={"MAILER_BATCH_SIZE": "200"}, config_path=str(toml))
    assert s.backend == "smtp://relay:25"
    assert s.batch_size == 200
    assert s.sources["batch_size"] == "MAILER_BATCH_SIZE"
    assert s.sources["backend"] == str(toml)


def test_secrets_are_refused_in_the_file(tmp_path: Path) -> None:
    toml = tmp_path / "mailer.toml"
    toml.write_text('secret_key = "oops"\n')
    with pytest.raises(ConfigError, match="secret_key is a secret"):
        load_settings(env={}, config_path=str(toml))


def test_bad_values_name_the_setting_and_source(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="batch_size from MAILER_BATCH_SIZE"):
        load_settings(env={"MAILER_BATCH_SIZE": "many"}, config_path=str(tmp_path / "x.toml"))
    toml = tmp_path / "mailer.toml"
    toml.write_text("nonsense = 1\n")
    with pytest.raises(ConfigError, match="unknown setting 'nonsense'"):
        load_settings(env={}, config_path=str(toml))


def test_generated_secret_is_stable_and_private(tmp_path: Path) -> None:
    s = Settings(secret_key_file=str(tmp_path / "secret"))
    first = s.signing_key
    assert first == s.signing_key
    assert (tmp_path / "secret").stat().st_mode & 0o777 == 0o600


def test_check_reports_missing_pieces(tmp_path: Path) -> None:
    s = Settings(dkim_domain="example.org", default_timezone="Mars/Olympus")
    levels = {(level, name) for level, name, _ in check_settings(s)}
    assert ("error", "dkim_domain") in levels
    assert ("error", "default_timezone") in levels
    assert ("warning", "secret_key") in levels


def test_engine_settings_come_from_the_environment_and_are_checked() -> None:
    s = load_settings(
        {"MAILER_LEASE_SECONDS": "0.5", "MAILER_MAX_CRASHES": "0", "MAILER_RETRY_BASE_SECONDS": "5"}
    )
    assert (s.lease_seconds, s.max_crashes, s.retry_base_seconds) == (0.5, 0, 5.0)
    errors = {name for level, name, _ in check_settings(s) if level == "error"}
    assert {"lease_seconds", "max_crashes"} <= errors
