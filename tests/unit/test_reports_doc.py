"""docs/reports.md says what the report files say."""

from __future__ import annotations

from pathlib import Path

from dev import reports_doc

DOC = Path(__file__).parents[2] / "docs" / "reports.md"


def test_the_reports_page_is_made_from_the_report_files() -> None:
    assert DOC.read_text() == reports_doc.render(), (
        "run: python -m dev.reports_doc > docs/reports.md"
    )
