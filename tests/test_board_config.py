"""The board list: `[boards.NAME]` tables, `--board` flags, HTTP settings; errors name file, line and key."""

from __future__ import annotations

from pathlib import Path

import pytest

from jumperless_mcp import cli
from jumperless_mcp.settings.board_config import BoardEntry
from jumperless_mcp.settings.config import Config, ConfigError, load

DIVIDER = '[[resistor]]\nbetween = [10, 11]\nohms = "10k"\n'


@pytest.fixture(autouse=True)
def no_user_config(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Never read the developer's own ~/.config/jumperless-mcp or JUMPERLESS_* variables."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    for variable in ("JUMPERLESS_CONFIG", "JUMPERLESS_REMOTE_TOKEN", "JUMPERLESS_HTTP", "JUMPERLESS_HTTP_TOKEN"):
        monkeypatch.delenv(variable, raising=False)


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


TWO_BOARDS = """\
max_voltage = 6.0
read_only = true
timeout = 4

[boards.bench-a]
port = "usb:1-1.4"
read_only = false
max_voltage = 5.0
min_voltage = 0

[boards.bench_b]
port = "emulator"
persona = "legacy"
parts = "parts/divider.toml"
allow_python = true

[boards.lab]
url = "https://lab-pc:8765/mcp"
token_env = "LAB_TOKEN"
timeout = 30
"""


def test_a_board_file_loads_with_per_board_overrides(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    file = write(tmp_path / "conf" / "config.toml", TWO_BOARDS)
    write(tmp_path / "conf" / "parts" / "divider.toml", DIVIDER)
    monkeypatch.chdir(write(tmp_path / "elsewhere" / "x", "").parent)  # parts resolve against the file, not cwd
    config = load(environ={"LAB_TOKEN": "lab-secret"}, path=file)
    assert (config.max_voltage, config.read_only, config.timeout) == (6.0, True, 4.0)
    a, b, lab = config.boards
    assert [entry.name for entry in config.boards] == ["bench-a", "bench_b", "lab"]
    assert [entry.prefix for entry in config.boards] == ["bench_a", "bench_b", "lab"]
    assert [entry.remote for entry in config.boards] == [False, False, True]
    assert a == BoardEntry(
        "bench-a",
        "usb:1-1.4",
        Config(port="usb:1-1.4", read_only=False, max_voltage=5.0, min_voltage=0.0, timeout=4.0),
        None,
        f"{file} line 5",
    )
    assert (b.selector, b.config.port, b.origin) == ("emulator:legacy", "emulator:legacy", f"{file} line 11")
    assert b.config.parts == str(tmp_path / "conf" / "parts" / "divider.toml")
    assert (b.config.allow_python, b.config.read_only, b.config.max_voltage) == (True, True, 6.0)
    assert (lab.selector, lab.token, lab.config.timeout, lab.config.port) == (
        "https://lab-pc:8765/mcp",
        "lab-secret",
        30,
        None,
    )
    assert lab.config.read_only is True  # inherited from the top level
    assert "lab-secret" not in repr(config)


def test_every_virtual_board_persona_is_accepted(tmp_path: Path) -> None:
    file = write(
        tmp_path / "c.toml",
        '[boards.new]\nport = "emulator"\npersona = "jumperlos-upstream"\n'
        '[boards.stable]\nport = "emulator:jumperlos-5.7.5"\n'
        '[boards.fork]\nport = "emulator"\npersona = "jumperlos"\n',
    )
    boards = load(environ={}, path=file).boards
    assert [(e.name, e.selector, e.config.port) for e in boards] == [
        ("new", "emulator:jumperlos-upstream", "emulator:jumperlos-upstream"),
        ("stable", "emulator:jumperlos-5.7.5", "emulator:jumperlos-5.7.5"),
        ("fork", "emulator", "emulator"),
    ]
    flags = load({"board": ["up=emulator:jumperlos-upstream"]}, environ={}).boards
    assert [(e.name, e.selector) for e in flags] == [("up", "emulator:jumperlos-upstream")]
    write(file, '[boards.x]\nport = "emulator"\npersona = "jumperlos-9"\n')
    with pytest.raises(ConfigError) as caught:
        load(environ={}, path=file)
    assert caught.value.parameter == "boards.x.persona"
    assert "jumperlos-upstream" in (caught.value.allowed or "") and "jumperlos-5.7.5" in (caught.value.allowed or "")


def test_remote_token_comes_from_token_or_the_default_variable(tmp_path: Path) -> None:
    file = write(
        tmp_path / "c.toml",
        '[boards.one]\nurl = "http://a:1/mcp"\n[boards.two]\nurl = "http://b:2/mcp"\ntoken = "given"\n',
    )
    one, two = load(environ={"JUMPERLESS_REMOTE_TOKEN": "shared"}, path=file).boards
    assert (one.token, two.token) == ("shared", "given")
    one, _ = load(environ={}, path=file).boards
    assert one.token is None


# (file text, parameter, line, words of the message)
BAD_FILES = [
    ('port = "emulator"\n\n[boards.x]\nport = "emulator"\nvolts = 5\n', "boards.x.volts", 5, "unknown key 'volts'"),
    ('[boards.x]\nport = "/dev/ttyACM0"\n\nmax_voltage = 12.0\n', "boards.x.max_voltage", 4, "-8..12 V"),
    ('max_voltage = 5\n[boards.x]\nport = "emulator"\nmin_voltage = 6\n', "boards.x.min_voltage", 4, "6..5 V"),
    ('[boards.x]\nport = "emulator"\ntimeout = 0\n', "boards.x.timeout", 3, "positive"),
    ('[boards.x]\nport = "emulator"\nread_only = "maybe"\n', "boards.x.read_only", 3, "'maybe'"),
    ("# boards\n\n[boards.x]\nread_only = true\n", "boards.x", 3, "needs a port or a url"),
    ('[boards.x]\nport = "emulator"\nurl = "http://h:1/mcp"\n', "boards.x.url", 3, "both port and url"),
    ('[boards.Bench]\nport = "emulator"\n', "boards.Bench", 1, "not a valid board name"),
    ('[boards."bench a"]\nport = "emulator"\n', 'boards."bench a"', 1, "not a valid board name"),
    ('[boards.a-very-long-board-name]\nport = "emulator"\n', "boards.a-very-long-board-name", 1, "longer than 20"),
    (
        '[boards.bench-a]\nport = "emulator"\n\n[boards.bench_a]\nport = "emulator:legacy"\n',
        "boards.bench_a",
        4,
        "bench-a",
    ),
    ('[boards.lab]\nurl = "ftp://lab:21/mcp"\n', "boards.lab.url", 2, "http:// or https://"),
    ('[boards.lab]\nurl = "http:///mcp"\n', "boards.lab.url", 2, "with a host"),
    ('[boards.lab]\nurl = "http://h:1/mcp"\ntoken = "t"\ntoken_env = "T"\n', "boards.lab.token_env", 4, "both set"),
    (
        '[boards.lab]\nurl = "http://h:1/mcp"\ntoken_env = "LAB_TOKEN_UNSET"\n',
        "boards.lab.token_env",
        3,
        "LAB_TOKEN_UNSET",
    ),
    ('[boards.x]\nport = "usb:1-1.4"\npersona = "legacy"\n', "boards.x.persona", 3, 'needs port = "emulator"'),
    ('[boards.x]\nport = "emulator:legacy"\npersona = "jumperlos"\n', "boards.x.persona", 3, "contradicts"),
    ('[boards.x]\nport = "emulator:modern"\n', "boards.x.port", 2, "unknown emulator persona"),
    ('[boards.x]\nport = "emulator"\nparts = "missing.toml"\n', "boards.x.parts", 3, "does not exist"),
    (
        '[boards.lab]\nurl = "http://h:1/mcp"\n\nmax_voltage = 5.0\n',
        "boards.lab.max_voltage",
        4,
        "set limits on the remote",
    ),
    ('[boards.lab]\nurl = "http://h:1/mcp"\nallow_python = true\n', "boards.lab.allow_python", 3, "remote server"),
    ('[boards.x]\nport = "emulator"\ntoken = "t"\n', "boards.x.token", 3, "only for a remote board"),
    ("boards = 3\n", "boards", 1, "must be tables"),
    ('[boards]\nx = "emulator"\n', "boards.x", 2, "must be a table"),
    ('read_only = true\nboards.x.port = "emulator"\nboards.x.persona = "old"\n', "boards.x.persona", 3, "'old'"),
    ("read_only = true\n\nmax_volts = 5\n", "max_volts", 3, "unknown setting"),
    ('timeout = 1\nlog_level = "loud"\n', "log_level", 2, "unknown level"),
    ("min_voltage = 4\nmax_voltage = 3\n", "max_voltage", 2, "4..3 V"),
    ('http = "::1:8765"\n', "http", 1, "IPv6 hosts in brackets"),
    ('log_level = "debug"\nhttp = "localhost:65536"\n', "http", 2, "out of range"),
    ('http = "localhost"\n', "http", 1, "not HOST:PORT"),
]


@pytest.mark.parametrize(("text", "parameter", "line", "words"), BAD_FILES)
def test_bad_board_files_name_file_line_and_key(
    tmp_path: Path, text: str, parameter: str, line: int, words: str
) -> None:
    file = write(tmp_path / "config.toml", text)
    with pytest.raises(ConfigError) as caught:
        load(environ={}, path=file)
    assert caught.value.parameter == parameter
    assert str(caught.value).startswith(f"{parameter}: {file} line {line}: "), str(caught.value)
    assert words in str(caught.value)
    assert caught.value.allowed


def test_a_duplicate_prefix_names_both_boards_and_an_unknown_key_lists_the_allowed_ones(tmp_path: Path) -> None:
    file = write(tmp_path / "c.toml", '[boards.bench-a]\nport = "emulator"\n[boards.bench_a]\nport = "emulator"\n')
    with pytest.raises(ConfigError, match=rf"bench_a .* bench-a \({file} line 1\)"):
        load(environ={}, path=file)
    write(file, '[boards.x]\nport = "emulator"\nvolts = 1\n')
    with pytest.raises(ConfigError) as caught:
        load(environ={}, path=file)
    assert caught.value.allowed is not None
    for key in ("port", "url", "persona", "parts", "token", "token_env", "read_only", "max_voltage", "timeout"):
        assert key in caught.value.allowed


def test_toml_syntax_errors_keep_the_file_and_position(tmp_path: Path) -> None:
    file = write(tmp_path / "c.toml", '[boards.x]\nport = "emulator"\nread_only = \n')
    with pytest.raises(ConfigError, match=rf"{file}.*line 3") as caught:
        load(environ={}, path=file)
    assert caught.value.parameter == "config"


def test_an_environment_value_names_its_variable_when_it_breaks_the_limits(tmp_path: Path) -> None:
    file = write(tmp_path / "c.toml", "min_voltage = 0\n")
    with pytest.raises(ConfigError, match=r"^max_voltage: JUMPERLESS_MAX_VOLTAGE: limits 0..-1 V"):
        load(environ={"JUMPERLESS_MAX_VOLTAGE": "-1"}, path=file)


def test_board_flags_replace_the_file_list(tmp_path: Path) -> None:
    file = write(tmp_path / "c.toml", 'timeout = 3\n[boards.from-file]\nport = "emulator"\n')
    flags = ["a=usb:1-1.4", "b=/dev/ttyACM0", "c=emulator", "d_1=emulator:legacy", "lab=http://lab-pc:8765/mcp"]
    config = load({"board": flags}, environ={"JUMPERLESS_REMOTE_TOKEN": "tok"}, path=file)
    assert [(e.name, e.selector, e.remote, e.origin) for e in config.boards] == [
        ("a", "usb:1-1.4", False, "--board"),
        ("b", "/dev/ttyACM0", False, "--board"),
        ("c", "emulator", False, "--board"),
        ("d_1", "emulator:legacy", False, "--board"),
        ("lab", "http://lab-pc:8765/mcp", True, "--board"),
    ]
    assert [e.token for e in config.boards] == [None, None, None, None, "tok"]
    assert all(e.config.timeout == 3.0 for e in config.boards)
    assert [e.name for e in load(environ={}, path=file).boards] == ["from-file"]
    assert load({"board": []}, environ={}, path=file).boards[0].name == "from-file"


@pytest.mark.parametrize(
    ("flag", "words"),
    [
        ("bench", "expected NAME=SELECTOR"),
        ("=emulator", "expected NAME=SELECTOR"),
        ("a=", "expected NAME=SELECTOR"),
        ("Bench=emulator", "not a valid board name"),
        ("a=ftp://lab/mcp", "http:// or https://"),
        ("a=emulator:modern", "unknown emulator persona"),
    ],
)
def test_bad_board_flags_name_the_flag_and_the_forms(flag: str, words: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load({"board": [flag]}, environ={})
    assert caught.value.parameter == "--board"
    assert f"--board {flag}: " in str(caught.value) and words in str(caught.value)
    assert "NAME=emulator:legacy" in (caught.value.allowed or "")


def test_duplicate_board_flags_are_refused() -> None:
    with pytest.raises(ConfigError, match=r"--board bench_a=emulator: .*bench-a \(--board bench-a=usb:1-2\)"):
        load({"board": ["bench-a=usb:1-2", "bench_a=emulator"]}, environ={})


def test_http_settings(tmp_path: Path) -> None:
    assert load(environ={}).http_address() is None
    assert load({"http": "127.0.0.1:8765"}, environ={}).http_address() == ("127.0.0.1", 8765)
    assert load({"http": "[::1]:0"}, environ={}).http_address() == ("::1", 0)
    assert load({"http": "8765"}, environ={}).http_address() == ("127.0.0.1", 8765)  # a bare port: loopback
    assert load(environ={"JUMPERLESS_HTTP": "localhost:9000"}).http_address() == ("localhost", 9000)
    public = load(environ={"JUMPERLESS_HTTP": "0.0.0.0:8765", "JUMPERLESS_HTTP_TOKEN": "hunter2"})
    assert public.http_address() == ("0.0.0.0", 8765) and public.http_token == "hunter2"
    assert "hunter2" not in repr(public)
    file = write(tmp_path / "c.toml", 'http = "[::]:8765"\nhttp_token = "from-file"\n')
    assert load(environ={}, path=file).http_token == "from-file"
    assert load({"http": "192.168.1.5:8765"}, environ={}).http_address() == ("192.168.1.5", 8765)


def test_the_command_line_reports_a_bad_board_flag(capsys: pytest.CaptureFixture[str]) -> None:
    parsed = cli.build_parser().parse_args(["serve", "--board", "a=emulator", "--board", "b=usb:1-2", "--http", "h:1"])
    assert (parsed.board, parsed.http) == (["a=emulator", "b=usb:1-2"], "h:1")
    assert cli.main(["--board", "x"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "--board x: expected NAME=SELECTOR" in captured.err and "NAME=usb:<location>" in captured.err
    assert cli.main(["serve", "--http", "localhost:http"]) == 2
    assert "http: " in capsys.readouterr().err
