#!/usr/bin/env python3
"""Known vulnerabilities in the locked dependencies: fails on any the team has not accepted.

- Python: every package of uv.lock (all groups, with hashes) through pip-audit (PyPI's vulnerability data).
  A package it cannot look up fails the audit too (`--strict`): "nothing found" must mean "nothing known".
- Web app: `npm audit --omit=dev --audit-level=high` on client/package-lock.json: high and critical
  advisories of what ships to browsers.

An advisory can be accepted for a while in .ci/audit-accepted (one per line: id, expiry date, reason). An
expired or malformed line fails the audit, so an acceptance is looked at again.

A known vulnerability always fails. When the vulnerability data cannot be reached at all (a build machine whose
network reaches only the package registries), the audit says so loudly and does not fail, unless
SIGHTLINE_CI_AUDIT=strict (for pipelines that can reach PyPI's and npm's advisory services). Stdlib only; run from
.ci/run or by hand: `python3 .ci/audit.py [python|npm]`.
"""

from __future__ import annotations

import datetime
import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
ACCEPTED = ROOT / ".ci" / "audit-accepted"
PIP_AUDIT = "pip-audit==2.10.1"  # pinned: the auditor is a dependency of the pipeline too
BLOCKING = ("high", "critical")
_LINE = re.compile(r"^(?P<id>[A-Za-z0-9][A-Za-z0-9._:-]*)\s+(?P<expires>\d{4}-\d{2}-\d{2})\s+(?P<reason>\S.*)$")
_GHSA = re.compile(r"GHSA(-[23456789cfghjmpqrvwx]{4}){3}")


def read_accepted(text: str, today: datetime.date) -> tuple[dict[str, str], list[str]]:
    """Accepted advisory ids (with their reasons) and the problems of the file (expired or malformed)."""
    accepted: dict[str, str] = {}
    problems: list[str] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        match = _LINE.match(line)
        if match is None:
            problems.append(f"audit-accepted line {number}: write '<advisory id> <YYYY-MM-DD> <reason>'")
            continue
        try:
            expires = datetime.date.fromisoformat(match["expires"])
        except ValueError:
            problems.append(f"audit-accepted line {number}: {match['expires']} is not a date")
            continue
        if expires < today:
            problems.append(f"audit-accepted line {number}: {match['id']} expired on {expires}; review it")
            continue
        accepted[match["id"].upper()] = match["reason"]
    return accepted, problems


def python_findings(report: dict[str, Any], accepted: dict[str, str]) -> tuple[list[str], list[str]]:
    """A pip-audit JSON report: unaccepted vulnerabilities, and packages it could not audit."""
    problems, unaudited = [], []
    for dependency in report.get("dependencies", []):
        name, version = dependency.get("name"), dependency.get("version", "?")
        if dependency.get("skip_reason"):
            unaudited.append(f"{name}: not audited ({dependency['skip_reason']})")
        for vuln in dependency.get("vulns", []):
            ids = {vuln.get("id", "").upper(), *(alias.upper() for alias in vuln.get("aliases", []))}
            if ids & set(accepted):
                continue
            fixed = ", ".join(vuln.get("fix_versions", [])) or "no fix yet"
            problems.append(f"{name} {version}: {vuln.get('id')} (fixed in: {fixed})")
    return problems, unaudited


def npm_findings(report: dict[str, Any], accepted: dict[str, str]) -> tuple[list[str], list[str]]:
    """An `npm audit --json` report: unaccepted high or critical advisories, and whether it could run at all."""
    if "vulnerabilities" not in report:
        message = report.get("message") or report.get("error", {}).get("summary") or "no report"
        return [], [f"npm audit could not run: {message}"]
    problems = []
    for name, entry in sorted(report["vulnerabilities"].items()):
        for via in entry.get("via", []):
            if not isinstance(via, dict) or via.get("severity") not in BLOCKING:
                continue  # a name is a dependency path to another entry, which carries the advisory itself
            ids = {
                str(via.get("source", "")).upper(),
                *(m.group(0).upper() for m in _GHSA.finditer(via.get("url", ""))),
            }
            if ids & set(accepted):
                continue
            problems.append(f"{name} ({via.get('severity')}): {via.get('title')} {via.get('url', '')}".rstrip())
    return problems, []


def _run(command: list[str]) -> subprocess.CompletedProcess[str]:
    print("+", " ".join(command), flush=True)
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)


def audit_python(accepted: dict[str, str]) -> tuple[list[str], list[str]]:
    with tempfile.TemporaryDirectory(prefix="sightline-audit-") as tmp:
        requirements, output = Path(tmp) / "requirements.txt", Path(tmp) / "pip-audit.json"
        exported = _run(
            ["uv", "export", "--frozen", "--all-groups", "--no-emit-project", "--format", "requirements-txt"]
        )
        if exported.returncode != 0:
            return [f"uv export failed: {exported.stderr.strip()[-500:]}"], []
        requirements.write_text(exported.stdout)
        ignored = [arg for vuln in sorted(accepted) for arg in ("--ignore-vuln", vuln)]
        command = ["uvx", "--from", PIP_AUDIT, "pip-audit", "--requirement", str(requirements), "--disable-pip"]
        command += ["--strict", "--progress-spinner", "off", "--format", "json", "--output", str(output), *ignored]
        ran = _run(command)
        report = json.loads(output.read_text()) if output.exists() and output.stat().st_size else {}
    problems, unaudited = python_findings(report, accepted)
    if ran.returncode != 0 and not problems:
        unaudited.append(f"pip-audit failed: {ran.stderr.strip()[-800:]}")
    return problems, unaudited


def audit_npm(accepted: dict[str, str]) -> tuple[list[str], list[str]]:
    ran = _run(["npm", "audit", "--omit=dev", "--audit-level=high", "--json", "--prefix", "client"])
    try:
        report = json.loads(ran.stdout or "{}")
    except json.JSONDecodeError:
        report = {"message": ran.stderr.strip()[-500:] or "unreadable output"}
    return npm_findings(report, accepted)


def main(argv: list[str], *, strict: bool = False) -> int:
    which = set(argv) or {"python", "npm"}
    accepted, problems = read_accepted(ACCEPTED.read_text() if ACCEPTED.exists() else "", datetime.date.today())
    unaudited: list[str] = []
    for advisory, reason in sorted(accepted.items()):
        print(f"accepted: {advisory}: {reason}")
    for kind, audit in (("python", audit_python), ("npm", audit_npm)):
        if kind in which:
            found, missed = audit(accepted)
            problems += [f"{kind}: {p}" for p in found]
            unaudited += [f"{kind}: {p}" for p in missed]
    for problem in problems + unaudited:
        print(problem, file=sys.stderr)
    if unaudited and not problems:
        print(
            "WARNING: dependency audit INCOMPLETE: the vulnerability data could not be reached for the lines above"
            + ("" if strict else " (not failing; SIGHTLINE_CI_AUDIT=strict fails on this)"),
            file=sys.stderr,
            flush=True,
        )
    failed = bool(problems) or (strict and bool(unaudited))
    print("dependency audit: " + ("FAILED" if failed else "no known vulnerabilities"), flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:], strict=os.environ.get("SIGHTLINE_CI_AUDIT") == "strict"))
