"""Settings: defaults, then the TOML file, then the environment, then flags; bad values name the setting."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from jumperless_mcp.settings.config import Config, ConfigError, default_config_path, load


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


@pytest.fixture(autouse=True)
def no_user_config(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Never read the developer's own ~/.config/jumperless-mcp."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))


def test_defaults_are_safe() -> None:
    config = load(environ={})
    assert config == Config()
    assert config.read_only is False and config.allow_python is False
    assert (config.min_voltage, config.max_voltage) == (-8.0, 8.0)


def test_file_then_environment_then_flags(tmp_path: Path) -> None:
    file = write(tmp_path / "c.toml", 'max_voltage = 5.0\nread_only = true\ntimeout = 3\nport = "emulator"\n')
    assert load(environ={}, path=file) == Config(port="emulator", read_only=True, max_voltage=5.0, timeout=3.0)
    environ = {"JUMPERLESS_MAX_VOLTAGE": "3.3", "JUMPERLESS_READ_ONLY": "0"}
    from_env = load(environ=environ, path=file)
    assert (from_env.max_voltage, from_env.read_only, from_env.timeout) == (3.3, False, 3.0)
    flagged = load({"max_voltage": 2.5, "read_only": None, "port": "/dev/ttyACM0"}, environ=environ, path=file)
    assert (flagged.max_voltage, flagged.read_only, flagged.port) == (2.5, False, "/dev/ttyACM0")


@pytest.mark.skipif(sys.platform != "linux", reason="XDG_CONFIG_HOME is the Linux config location")
def test_the_default_file_lives_in_the_platform_config_dir(tmp_path: Path) -> None:
    path = default_config_path()
    assert path == tmp_path / "xdg" / "jumperless-mcp" / "config.toml"
    write(path, "allow_python = true\n")
    assert load(environ={}).allow_python is True


def test_jumperless_config_names_another_file(tmp_path: Path) -> None:
    file = write(tmp_path / "bench.toml", "min_voltage = 0\n")
    assert load(environ={"JUMPERLESS_CONFIG": str(file)}).min_voltage == 0.0


@pytest.mark.parametrize(
    ("text", "setting"),
    [
        ("max_volts = 5\n", "max_volts"),
        ('max_voltage = "high"\n', "max_voltage"),
        ("max_voltage = 12\n", "max_voltage"),
        ("min_voltage = 4\nmax_voltage = 3\n", "max_voltage"),
        ("timeout = 0\n", "timeout"),
        ('log_level = "loud"\n', "log_level"),
        ('read_only = "maybe"\n', "read_only"),
        ("read_only = \n", "config"),
    ],
)
def test_bad_settings_name_the_setting(tmp_path: Path, text: str, setting: str) -> None:
    file = write(tmp_path / "c.toml", text)
    with pytest.raises(ConfigError) as caught:
        load(environ={}, path=file)
    assert caught.value.parameter == setting
    assert caught.value.allowed


def test_bad_environment_value_names_the_variable() -> None:
    with pytest.raises(ConfigError, match="JUMPERLESS_ALLOW_PYTHON"):
        load(environ={"JUMPERLESS_ALLOW_PYTHON": "perhaps"})


def test_a_named_file_that_does_not_exist_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        load(environ={}, path=tmp_path / "missing.toml")
