"""The ``flask translation`` commands: ``flask --app wsgi translation check FILE`` prints a
translation file's check (translation_check) and exits non-zero when it finds a problem."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import click
from flask.cli import AppGroup

from screening.core.textfiles import read_utf8
from screening.core.translation_check import Report, check_translation, side_by_side
from screening.web.state import screening_state

translation_cli = AppGroup("translation", help="Licensed translations of the instrument.")


def _format(report: Report, file_name: str, language: str) -> list[str]:
    width = min(160, max(80, shutil.get_terminal_size((100, 24)).columns))
    lines = [f"Translation check: {file_name}", "", "Provenance"]
    lines += [f"  {name + ':':<22} {value}" for name, value in report.provenance] or [
        "  (none: the file has no readable provenance block)"
    ]
    lines += ["", "Fingerprints (SHA-256 over the normalised item, option and instruction texts)"]
    lines.append(f"  {'English:':<22} {report.english_fingerprint}")
    lines.append(f"  {language + ':':<22} {report.fingerprint or '(not computed: see problems)'}")
    lines += ["", *side_by_side(report, language, width), ""]
    lines += report.notes
    if report.problems:
        lines.append(f"{len(report.problems)} problem(s):")
        lines += [f"  {problem}" for problem in report.problems]
    else:
        lines.append("No problems found. A clinician fluent in both languages should still read")
        lines.append("the columns above against the licensed source before installing the file.")
    return lines


@translation_cli.command("check")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def check(file: Path) -> None:
    """Check FILE against the instrument: side by side, provenance, fingerprint, problems."""
    try:
        data = json.loads(read_utf8(file))
    except (OSError, ValueError) as error:  # ValueError: not UTF-8, or not JSON
        raise click.ClickException(f"cannot read {file}: {error}") from error
    state = screening_state()
    today = state.clock().astimezone(state.clinic.timezone).date()
    report = check_translation(state.instrument, data, file.name, today)
    language = data.get("language") if isinstance(data, dict) else None
    for line in _format(report, file.name, str(language or "translation")):
        click.echo(line)
    if report.problems:
        raise SystemExit(1)
