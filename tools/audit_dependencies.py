"""make audit-deps: check every pinned dependency against the advisories PyPI publishes.

PyPI attaches the known vulnerabilities (from the PyPA advisory database and OSV) to each
release in its JSON API. pip-audit asks for the per-release record
(/pypi/<name>/<version>/json); the package index this project installs from serves only the
per-project record (/pypi/<name>/json), which carries the advisories of the newest release, so
pip-audit can audit nothing here. This script asks for the per-release record first and falls
back to the per-project one: for a pin that is the newest release the verdict is the same as
pip-audit's. An older pin is reported as checked in part: advisories still open in the newest
release are seen, ones fixed before it are not; when a newer release runs on this Python the
report asks for `make lock` (with --strict, any pin checked in part fails). A new upstream
release therefore does not turn CI red on its own; a known vulnerability does.

Exit status: 0 no known vulnerability, 1 a pinned release has one, 2 the audit could not be
completed (unreachable index, unknown package, malformed record, a pin that is not exact; with
--strict also a pin checked only in part).
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

DEFAULT_INDEX = "https://pypi.org"
TIMEOUT_SECONDS = 20
PARALLEL_REQUESTS = 8

JsonRecord = dict[str, Any]
Fetch = Callable[[str], JsonRecord | None]


class AuditError(Exception):
    """The audit cannot give a verdict: bad input or an index that does not answer."""


@dataclass(frozen=True)
class Pin:
    name: str
    version: str

    def __str__(self) -> str:
        return f"{self.name} {self.version}"


@dataclass(frozen=True)
class Advisory:
    id: str
    aliases: tuple[str, ...]
    fixed_in: tuple[str, ...]
    summary: str
    link: str

    def describe(self) -> str:
        names = ", ".join((self.id, *self.aliases))
        fix = f"fixed in {', '.join(self.fixed_in)}" if self.fixed_in else "no fixed release"
        return f"{names}; {fix}; {self.summary} {self.link}".strip()


@dataclass(frozen=True)
class Verdict:
    pin: Pin
    advisories: tuple[Advisory, ...] = ()
    newest_release: str | None = None
    """Set when only the newest release's record was available and the pin is older."""
    problem: str | None = None
    behind: bool = False
    """A newer release runs on this Python: 'make lock' would let the audit check it exactly."""


def read_pins(text: str) -> list[Pin]:
    """The exact pins of a constraints file; anything looser is not a lock and is refused."""
    pins = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        name, separator, version = line.partition("==")
        try:
            Version(version.strip())
        except InvalidVersion:
            separator = ""
        if not separator or not name.strip():
            raise AuditError(f"line {number}: {raw.strip()!r} is not an exact pin (name==version)")
        pins.append(Pin(name.strip(), version.strip()))
    return pins


def fetch_json(url: str) -> JsonRecord | None:
    """The JSON object at url; None when the index has no such record (404)."""
    request = urllib.request.Request(url, headers={"Accept": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:
            body = response.read()
    except urllib.error.HTTPError as error:
        if error.code == 404:
            return None
        raise AuditError(f"{url} answered {error.code} {error.reason}") from error
    except (urllib.error.URLError, TimeoutError, OSError) as error:
        raise AuditError(f"could not reach {url}: {error}") from error
    try:
        record = json.loads(body)
    except ValueError as error:
        raise AuditError(f"{url} did not answer with JSON") from error
    if not isinstance(record, dict):
        raise AuditError(f"{url} did not answer with a JSON object")
    return record


def advisories_in(record: JsonRecord) -> tuple[Advisory, ...]:
    """The advisories of a PyPI release record, leaving out withdrawn ones as pip-audit does."""
    entries = record["vulnerabilities"]
    if not isinstance(entries, list):
        raise TypeError(f"'vulnerabilities' is {type(entries).__name__}, not a list")
    return tuple(
        Advisory(
            id=str(entry["id"]),
            aliases=tuple(_listed(entry.get("aliases"))),
            fixed_in=tuple(_listed(entry.get("fixed_in"))),
            summary=" ".join(str(entry.get("summary") or entry.get("details") or "").split()),
            link=str(entry.get("link") or ""),
        )
        for entry in entries
        if not entry.get("withdrawn")
    )


def _listed(value: object) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise TypeError(f"expected a list, got {value!r}")
    return [str(item) for item in value]


def runs_on(files: list[JsonRecord], python: Version) -> bool:
    """Whether a release has a file that is not yanked and accepts this Python."""
    for file in files:
        try:
            accepts = SpecifierSet(file.get("requires_python") or "").contains(python)
        except InvalidSpecifier:
            accepts = False
        if accepts and not file.get("yanked"):
            return True
    return False


def releases_of(project: JsonRecord) -> dict[Version, list[JsonRecord]]:
    """The files of each release in a per-project record, by parsed version."""
    releases = {}
    for text, files in project["releases"].items():
        try:
            releases[Version(text)] = files
        except InvalidVersion:
            continue
    return releases


def newest_release_for(
    releases: dict[Version, list[JsonRecord]], python: Version
) -> Version | None:
    """The newest final release that can be installed on python."""
    usable = [
        version
        for version, files in releases.items()
        if not version.is_prerelease and runs_on(files, python)
    ]
    return max(usable, default=None)


def audit_pin(pin: Pin, fetch: Fetch, python: Version, index: str = DEFAULT_INDEX) -> Verdict:
    project_url = f"{index}/pypi/{canonicalize_name(pin.name)}"
    try:
        release = fetch(f"{project_url}/{pin.version}/json")
        if release is not None:
            return Verdict(pin, advisories_in(release))
        project = fetch(f"{project_url}/json")
        if project is None:
            return Verdict(pin, problem=f"not on {index}, so it cannot be audited")
        pinned, releases = Version(pin.version), releases_of(project)
        if pinned not in releases:
            return Verdict(pin, problem=f"{pin.version} is not a release of {pin.name}")
        newest = str(project["info"]["version"])
        if Version(newest) == pinned:
            return Verdict(pin, advisories_in(project))
        installable = newest_release_for(releases, python)
        behind = installable is not None and installable > pinned
        return Verdict(pin, advisories_in(project), newest_release=newest, behind=behind)
    except AuditError as error:
        return Verdict(pin, problem=str(error))
    except (KeyError, TypeError, AttributeError, InvalidVersion) as error:
        return Verdict(pin, problem=f"{project_url}: unexpected record ({error!r})")


def audit(
    pins: Iterable[Pin], fetch: Fetch, python: Version, index: str = DEFAULT_INDEX
) -> list[Verdict]:
    with ThreadPoolExecutor(max_workers=PARALLEL_REQUESTS) as pool:
        return list(pool.map(lambda pin: audit_pin(pin, fetch, python, index), pins))


def report(verdicts: list[Verdict], source: str, strict: bool = False) -> tuple[str, int]:
    """The printed report and the exit status for a list of verdicts."""
    problems = [verdict for verdict in verdicts if verdict.problem]
    vulnerable = [verdict for verdict in verdicts if verdict.advisories]
    partial = [verdict for verdict in verdicts if verdict.newest_release]
    exact = len(verdicts) - len(problems) - len(partial)
    lines = [
        f"Audited {len(verdicts)} pinned packages in {source} against the advisories on PyPI:",
        f"  {exact} checked against the record of the pinned release itself",
    ]
    if partial:
        lines.append(
            f"  {len(partial)} checked in part (the index serves only the newest release):"
        )
        lines += [
            f"    {verdict.pin}: "
            + (
                "older than a release that runs here (re-pin with 'make lock')"
                if verdict.behind
                else "the newest release this Python can install"
            )
            + f"; advisories still open in {verdict.newest_release} are checked,"
            " ones fixed before it are not visible"
            for verdict in partial
        ]
    if problems:
        lines.append(f"  {len(problems)} could not be audited:")
        lines += [f"    {verdict.pin}: {verdict.problem}" for verdict in problems]
    if vulnerable:
        lines.append("Known vulnerabilities:")
        for verdict in vulnerable:
            lines += [f"  {verdict.pin}: {advisory.describe()}" for advisory in verdict.advisories]
        return "\n".join(lines), 1
    if problems or (strict and partial):
        lines.append("The audit is incomplete: no verdict.")
        return "\n".join(lines), 2
    lines.append("No known vulnerability.")
    return "\n".join(lines), 0


def main(argv: list[str] | None = None, fetch: Fetch = fetch_json) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("constraints", type=Path, nargs="?", default=Path("constraints.txt"))
    parser.add_argument("--index", default=DEFAULT_INDEX, help="base URL of PyPI's JSON API")
    parser.add_argument(
        "--strict", action="store_true", help="also fail when a pin could be checked only in part"
    )
    arguments = parser.parse_args(argv)
    try:
        pins = read_pins(arguments.constraints.read_text(encoding="utf-8"))
    except (OSError, AuditError) as error:
        print(f"{arguments.constraints}: {error}", file=sys.stderr)
        return 2
    python = Version(platform.python_version())
    verdicts = audit(pins, fetch, python, arguments.index.rstrip("/"))
    text, status = report(verdicts, str(arguments.constraints), arguments.strict)
    print(text)
    return status


if __name__ == "__main__":
    sys.exit(main())
