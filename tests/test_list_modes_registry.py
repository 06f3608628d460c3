"""server.json, the MCP registry's entry for this server.

Neither the MCP SDK nor any installed package ships the registry's server.schema.json, so this is a structural
test of the rules that schema (2025-12-11) and the official registry state: the name's reverse-DNS form, a
description of at most 100 characters, a pinned package version, the pypi stdio package and the
streamable-http remote form; and that the entry agrees with the project (version, package name, settings).
"""

from __future__ import annotations

import dataclasses
import json
import re
import tomllib
from pathlib import Path
from typing import Any

from jumperless_mcp.settings.config import Config, env_name
from jumperless_mcp.tooling.deferred import LIST_MODE_ENV, ListMode
from jumperless_mcp.version import __version__

ROOT = Path(__file__).resolve().parent.parent
SCHEMA_URL = re.compile(r"^https://static\.modelcontextprotocol\.io/schemas/\d{4}-\d{2}-\d{2}/server\.schema\.json$")
NAME = re.compile(r"^[a-zA-Z0-9.-]+/[a-zA-Z0-9._-]+$")
TEMPLATE = re.compile(r"\{(\w+)\}")


def entry() -> dict[str, Any]:
    return json.loads((ROOT / "server.json").read_text())


def test_the_entry_has_the_registry_s_required_shape() -> None:
    server = entry()
    assert SCHEMA_URL.match(server["$schema"])
    assert NAME.match(server["name"]) and 3 <= len(server["name"]) <= 200
    assert server["name"].startswith("io.github.")  # the namespace GitHub sign-in proves
    assert 1 <= len(server["description"]) <= 100
    assert set(server) <= {"$schema", "name", "title", "description", "version", "packages", "remotes", "repository"}


def test_the_stdio_package_is_this_project_on_pypi() -> None:
    server = entry()
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    (package,) = server["packages"]
    assert package["registryType"] == "pypi" and package["identifier"] == project["name"]
    assert package["version"] == server["version"] == project["version"] == __version__  # pinned, never "latest"
    assert package["transport"] == {"type": "stdio"}
    settings = {env_name(field.name) for field in dataclasses.fields(Config)} | {LIST_MODE_ENV}
    for variable in package["environmentVariables"]:
        assert variable["name"] in settings, variable["name"]
        assert set(variable.get("choices", [])) <= {mode.value for mode in ListMode}


def test_the_remote_is_the_http_server_with_its_bearer_token() -> None:
    (remote,) = entry()["remotes"]
    assert remote["type"] == "streamable-http"
    assert remote["url"].startswith("http://") and remote["url"].endswith("/mcp")
    assert set(TEMPLATE.findall(remote["url"])) == set(remote["variables"])
    assert remote["variables"]["port"]["default"].isdigit()
    (header,) = remote["headers"]
    assert header["name"] == "Authorization" and header["isSecret"] is True
    assert set(TEMPLATE.findall(header["value"])) == set(header["variables"])


def test_the_readme_carries_the_registry_marker() -> None:
    """PyPI ownership: the registry looks for `mcp-name: <name>` in the package's README (an HTML comment)."""
    assert f"<!-- mcp-name: {entry()['name']} -->" in (ROOT / "README.md").read_text()
