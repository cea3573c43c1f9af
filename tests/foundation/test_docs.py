"""The documentation site: generated tables cover the code, links stay inside the repository, the README is short."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path
from types import ModuleType

import pytest

from sightline.config import Settings
from sightline.webhooks.catalogue import CATALOGUE

ROOT = Path(__file__).resolve().parents[2]
HOOK = ROOT / "docs" / "hooks" / "generated.py"
README_MAX_LINES = 200
# Markdown links and images, inline (`[text](target)`) and reference-style (`[id]: target`).
INLINE_LINK = re.compile(r"!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?[^)]*\)")
REFERENCE_LINK = re.compile(r"^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s|$)", re.MULTILINE)
SCANNED = ("README.md", "docs", "service", "client/src", "tests", "openapi", "mkdocs.yml", ".ci")
TEXT_SUFFIXES = {".md", ".py", ".ts", ".tsx", ".js", ".jsx", ".css", ".html", ".json", ".yml", ".yaml", ".toml"}


@pytest.fixture(scope="module")
def hook() -> ModuleType:
    spec = importlib.util.spec_from_file_location("docs_generated_hook", HOOK)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_settings_table_has_every_field_with_its_variable_default_and_description(hook: ModuleType) -> None:
    table = hook.settings_table()
    rows = {row["name"]: row for row in hook.settings_rows()}
    assert set(rows) == set(Settings.model_fields)
    for name, row in rows.items():
        assert f"`SIGHTLINE_{name.upper()}`" in table, name
        assert row["description"].strip(), f"setting {name} has no description: add one to DESCRIPTIONS in {HOOK}"
        assert row["type"] and row["default"], name
    assert "`DATABASE_URL`" in table
    # No description is kept for a setting that no longer exists.
    assert set(hook.DESCRIPTIONS) <= set(Settings.model_fields)
    # Defaults are the class's own, not copies: a sample.
    assert "| `SIGHTLINE_PORT` | integer | `8000` |" in table
    assert "`0,5,300,1800,7200,18000,36000,36000`" in table


def test_event_table_has_every_event_type_and_its_payload(hook: ModuleType) -> None:
    table = hook.events_table()
    assert CATALOGUE
    for kind in CATALOGUE:
        assert f"| `{kind.type}` |" in table, kind.type
        assert f"#### {kind.data.__name__}" in table, kind.data.__name__
        for field in kind.data.model_fields:
            assert f"`{field}`" in table


def test_decision_index_lists_every_record(hook: ModuleType) -> None:
    index = hook.decisions_table()
    records = [path for path in (ROOT / "docs" / "decisions").glob("*.md") if path.name != "index.md"]
    assert records
    for path in records:
        assert f"]({path.name})" in index, path.name


def test_markers_are_replaced_and_unknown_ones_fail(hook: ModuleType) -> None:
    page = "# Settings\n\n<!-- generated: settings -->\n\nAfter.\n"
    rendered = hook.render(page)
    assert "<!-- generated" not in rendered
    assert "`SIGHTLINE_HOST`" in rendered
    assert rendered.endswith("After.\n")
    with pytest.raises(ValueError, match="unknown generated table"):
        hook.render("<!-- generated: nothing -->\n")


def test_every_page_asking_for_a_table_names_a_known_one(hook: ModuleType) -> None:
    asked = {
        match.group(1): path
        for path in (ROOT / "docs").rglob("*.md")
        for match in hook.MARKER.finditer(path.read_text(encoding="utf-8"))
    }
    assert set(asked) == set(hook.GENERATORS), asked


def _scanned_files() -> list[Path]:
    files: list[Path] = []
    for entry in SCANNED:
        path = ROOT / entry
        if path.is_file():
            files.append(path)
            continue
        for candidate in path.rglob("*"):
            if not candidate.is_file() or candidate.suffix not in TEXT_SUFFIXES:
                continue
            if {"node_modules", "__pycache__", "screenshots"} & set(candidate.relative_to(ROOT).parts):
                continue
            if candidate.resolve() == Path(__file__).resolve():
                continue
            files.append(candidate)
    return files


def _leaves_the_repository(source: Path, target: str) -> bool:
    if re.match(r"^[a-z][a-z0-9+.-]*:", target, re.IGNORECASE) or target.startswith(("#", "//")):
        return False  # a URL (https:, mailto:) or an anchor
    path = target.split("#", 1)[0].split("?", 1)[0]
    if not path:
        return False
    if path.startswith("/"):
        return True  # an absolute file path: outside any clone
    resolved = (source.parent / path).resolve()
    return not resolved.is_relative_to(ROOT)


def test_no_markdown_link_points_outside_the_repository() -> None:
    offenders = []
    for path in _scanned_files():
        text = path.read_text(encoding="utf-8", errors="replace")
        if "../shared" in text:
            offenders.append(f"{path.relative_to(ROOT)}: mentions ../shared")
        if "PRODUCT" + ".md" in text:  # the specification the project started from lives outside the repository
            offenders.append(f"{path.relative_to(ROOT)}: refers to a specification outside the repository")
        if path.suffix != ".md":
            continue
        for pattern in (INLINE_LINK, REFERENCE_LINK):
            for match in pattern.finditer(text):
                if _leaves_the_repository(path, match.group(1)):
                    offenders.append(f"{path.relative_to(ROOT)}: {match.group(1)}")
    assert offenders == []


def test_the_link_check_catches_a_path_outside() -> None:
    source = ROOT / "docs" / "page.md"
    assert _leaves_the_repository(source, "../../shared/PRODUCT.md")
    assert _leaves_the_repository(source, "/etc/passwd")
    assert not _leaves_the_repository(source, "api/errors.md#top")
    assert not _leaves_the_repository(source, "https://example.com/x.md")
    assert INLINE_LINK.search("see [the spec](../shared/PRODUCT.md).")


def test_readme_is_short_and_keeps_the_two_commands_first() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert len(readme.splitlines()) <= README_MAX_LINES
    first_block = readme.split("```", 2)[1]
    assert "uv run sightline demo" in first_block
    assert "uv run pytest" in first_block
    assert "mkdocs serve" in readme
