"""Supply chain and runtime (issue 20, point 10): dependency audits in CI with accepted advisories that expire,
a container that does not run as root, and no database password written in docker-compose.yml."""

from __future__ import annotations

import datetime
import importlib.util
import re
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
TODAY = datetime.date(2026, 12, 5)


def _audit() -> ModuleType:
    spec = importlib.util.spec_from_file_location("ci_audit", ROOT / ".ci" / "audit.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# CI ----------------------------------------------------------------------------------------------------------
def test_ci_runs_both_audits_on_the_locked_dependencies() -> None:
    run = (ROOT / ".ci" / "run").read_text()
    assert "python3 .ci/audit.py" in run
    audit = (ROOT / ".ci" / "audit.py").read_text()
    assert re.search(r'PIP_AUDIT = "pip-audit==\d', audit), "the auditor is pinned"
    assert '"uv", "export", "--frozen"' in audit and '"--strict"' in audit
    assert '"npm", "audit", "--omit=dev", "--audit-level=high"' in audit
    # The shipped file parses, and accepts nothing that has expired.
    _, problems = _audit().read_accepted((ROOT / ".ci" / "audit-accepted").read_text(), datetime.date.today())
    assert problems == [], problems


def test_accepted_advisories_need_a_reason_and_expire() -> None:
    audit = _audit()
    accepted, problems = audit.read_accepted(
        "# comment\n\n"
        "GHSA-abcd-efgh-ijkl 2027-01-31 dev server only, never shipped\n"
        "PYSEC-2026-1 2026-12-01 was fine until December\n"
        "CVE-2026-0001 2027-01-01\n"
        "GHSA-mmmm-pppp-qqqq 2027-02-30 not a date\n",
        TODAY,
    )
    assert accepted == {"GHSA-ABCD-EFGH-IJKL": "dev server only, never shipped"}
    assert [problem.split(":")[0] for problem in problems] == [
        "audit-accepted line 4",
        "audit-accepted line 5",
        "audit-accepted line 6",
    ]
    assert "expired" in problems[0]


def test_npm_findings_block_high_and_critical_unless_accepted() -> None:
    audit = _audit()
    advisory: dict[str, Any] = {
        "source": 1099999,
        "title": "Prototype pollution",
        "url": "https://github.com/advisories/GHSA-2c2f-3w8r-pq4v",
        "severity": "high",
    }
    report = {
        "vulnerabilities": {
            "lib": {"severity": "high", "via": [advisory]},
            "wrapper": {"severity": "high", "via": ["lib"]},  # a path to lib: reported once, at lib
            "minor": {"severity": "moderate", "via": [{**advisory, "severity": "moderate", "source": 2}]},
        }
    }
    [problem], unaudited = audit.npm_findings(report, {})
    assert problem.startswith("lib (high): Prototype pollution")
    assert unaudited == []
    assert audit.npm_findings(report, {"GHSA-2C2F-3W8R-PQ4V": "reason"}) == ([], [])
    assert audit.npm_findings(report, {"1099999": "reason"}) == ([], [])
    # An audit that could not run is never a pass: it is reported as such (and fails under strict).
    found, [broken] = audit.npm_findings({"message": "405 Method Not Allowed"}, {})
    assert found == []
    assert "could not run" in broken


def test_python_findings_fail_on_vulnerabilities_and_report_packages_not_audited() -> None:
    audit = _audit()
    report = {
        "dependencies": [
            {"name": "fine", "version": "1.0", "vulns": []},
            {
                "name": "jinja2",
                "version": "2.4.1",
                "vulns": [{"id": "PYSEC-2019-217", "aliases": ["GHSA-462w-v97r-4m45"], "fix_versions": ["2.10.1"]}],
            },
            {"name": "private", "skip_reason": "Dependency not found on PyPI and could not be audited"},
        ]
    }
    problems, unaudited = audit.python_findings(report, {})
    assert problems == ["jinja2 2.4.1: PYSEC-2019-217 (fixed in: 2.10.1)"]
    assert unaudited == ["private: not audited (Dependency not found on PyPI and could not be audited)"]
    assert audit.python_findings(report, {"GHSA-462W-V97R-4M45": "by alias"}) == ([], unaudited)


def test_only_known_vulnerabilities_fail_unless_strict(monkeypatch: pytest.MonkeyPatch) -> None:
    """Unreachable vulnerability data warns (this build machine reaches only the registries); strict fails."""
    audit = _audit()
    monkeypatch.setattr(audit, "audit_python", lambda accepted: ([], ["x: not audited (lookup failed)"]))
    monkeypatch.setattr(audit, "audit_npm", lambda accepted: ([], ["npm audit could not run: 405"]))
    assert audit.main([]) == 0
    assert audit.main([], strict=True) == 1
    monkeypatch.setattr(audit, "audit_npm", lambda accepted: (["lib (high): Prototype pollution"], []))
    assert audit.main([]) == 1


# The container -------------------------------------------------------------------------------------------------
def test_the_image_runs_as_an_unprivileged_user_that_owns_its_data_directory() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    final_stage = dockerfile.rsplit("\nFROM ", 1)[-1]
    users = re.findall(r"^USER\s+(\S+)", final_stage, flags=re.MULTILINE)
    assert users, "the image must name a USER"
    user = users[-1].split(":")[0]
    assert user not in ("root", "0"), user
    assert "chown sightline:sightline /var/lib/sightline" in final_stage
    # The user is made before it is named, and the command needs no write to /app (no `uv run` syncing).
    assert final_stage.index("useradd") < final_stage.index(f"USER {users[-1]}")
    assert 'CMD ["sightline", "serve"]' in final_stage


def test_compose_takes_every_database_password_from_the_environment() -> None:
    text = (ROOT / "docker-compose.yml").read_text()
    compose = yaml.safe_load(text)
    urls_and_passwords = []
    for service in compose["services"].values():
        for name, value in (service.get("environment") or {}).items():
            if isinstance(value, str) and (value.startswith("postgresql://") or "PASSWORD" in name):
                urls_and_passwords.append((name, value))
    assert len(urls_and_passwords) >= 5
    for name, value in urls_and_passwords:
        password = value.split("://", 1)[1].split("@", 1)[0].partition(":")[2] if "://" in value else value
        # Required, with no default: ${VAR:?message}; never a literal, never ${VAR:-default}.
        assert re.fullmatch(r"\$\{SIGHTLINE_DB_[A-Z_]+_PASSWORD:\?[^}]*\}", password), (name, value)
    assert "change-me" not in text and ":-" not in "".join(value for _, value in urls_and_passwords)
