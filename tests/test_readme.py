"""The README's bench-script example runs as printed, on the virtual board."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

README = Path(__file__).resolve().parent.parent / "README.md"


def first_python_block() -> str:
    match = re.search(r"```python\n(.*?)```", README.read_text(), re.S)
    assert match, "the README has no python example"
    return match.group(1)


def test_readme_board_example_runs_on_the_virtual_board(tmp_path: Path) -> None:
    script = tmp_path / "bench.py"
    script.write_text(first_python_block())
    env = {**os.environ, "JUMPERLESS_PORT": "emulator", "JUMPERLESS_LOCK_DIR": str(tmp_path / "locks")}
    done = subprocess.run([sys.executable, str(script)], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "True NANO_D13-20 connected"
    assert lines[1] == "[0.0, 0.3, 0.6, 0.9, 1.2, 1.5, 1.8, 2.1, 2.4, 2.7, 3.0]"  # ADC0 follows DAC0
    assert lines[2] == "True healthy"


def test_readme_tool_table_is_the_generated_one() -> None:
    from jumperless_mcp.tooling.tool_table import END, START, markdown
    from jumperless_mcp.tools import ALL_TOOLS

    text = README.read_text()
    shown = text[text.index(START) : text.index(END) + len(END)]
    assert shown == markdown(ALL_TOOLS), "run `jumperless-mcp tools` and paste its output into the README"


def test_readme_claude_code_registrations_parse() -> None:
    import json
    import shlex

    from jumperless_mcp.cli import build_parser

    text = README.read_text()
    servers = json.loads(re.search(r"```json\n(.*?)```", text, re.S).group(1))["mcpServers"]  # type: ignore[union-attr]
    commands = [server["args"] for server in servers.values()]
    commands += [shlex.split(line)[1:] for line in re.findall(r"^claude mcp add .*? -- (.*)$", text, re.M)]
    assert len(commands) >= 4
    for args in commands:
        parsed = build_parser().parse_args([a for a in args if not a.endswith("jumperless-mcp")])
        assert parsed.command in (None, "serve"), args


def test_readme_claude_code_registrations_put_the_name_before_variadic_options() -> None:
    """`claude mcp add -e K=V name` fails: `-e` (and `--header`) take every following word, so the name comes first."""
    import shlex

    variadic = {"-e", "--env", "-H", "--header"}
    takes_value = {"-s", "--scope", "-t", "--transport"}
    lines = re.findall(r"^claude mcp add (.*)$", README.read_text(), re.M)
    assert any(" -e " in line for line in lines), "the discovery-mode registration is shown"
    for line in lines:
        words = shlex.split(line.split(" -- ")[0])
        position = 0
        while words[position].startswith("-"):
            assert words[position] not in variadic, f"the server name must come before {words[position]}: {line}"
            position += 2 if words[position] in takes_value else 1
        assert "=" not in words[position] and not words[position].startswith("http"), line


def test_readme_shows_the_whole_pytest_example_that_ci_runs() -> None:
    example = (README.parent / "examples" / "test_bench_example.py").read_text()
    assert "```python\n" + example + "```\n" in README.read_text()
