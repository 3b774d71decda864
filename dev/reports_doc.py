"""Writes docs/reports.md from the report files, so that it says what they say:

    .venv/bin/python -m dev.reports_doc > docs/reports.md

(tests/unit/test_reports_doc.py fails when the two drift apart.)"""

from __future__ import annotations

from graph import reports

INTRO = """# Reports

Named, documented queries over the graph: the leaks, orphans and risks the inventory is
kept for.  Each is a file in `cypher/reports/` (its header documents it; this page is
made from them by `python -m dev.reports_doc`), served by:

- REST: `GET /api/v1/reports` (every report with its columns, parameters and row count
  when last counted) and `GET /api/v1/reports/<name>?limit=&cursor=&<parameter>=<value>`
  (`{"items": [...], "next_cursor": ...}`; a bad parameter is a 422 naming it);
- GraphQL: `reports { name title columns parameters { name type default } rows }` and
  `report(name: "...", params: {...}, first: 100, after: "...") { rows nextCursor }`;
- the CLI: `inventory report list`, `inventory report run NAME [--param k=v]
  [--format table|json|csv]`;
- Prometheus: `inventory_report_rows{report="..."}` on the API's `/metrics`, as the
  scheduled `aux:reports` task last counted (alert on `inventory_report_rows{report=
  "unattached-volumes"} > 0`).

Rows come in the order of each report's key column, a page at a time: `$after` is the key
of the last row seen (`''` for the first page) and `$limit` the page size.  Every query
runs as is in the Neo4j Browser after the `:param` lines shown with it.  A report whose
kinds are not collected answers with no rows.
"""


def render() -> str:
    out = [INTRO]
    catalog = reports.catalog()
    out.append("| report | finds |\n|---|---|")
    out += [f"| [`{r.name}`](#{r.name}) | {r.title} |" for r in catalog.values()]
    for r in catalog.values():
        out.append(f"\n## {r.name}\n\n**{r.title}.**  {r.description}\n")
        out.append("Columns: " + ", ".join(f"`{c}`" for c in r.columns) + f" (key `{r.key}`).\n")
        for p in r.params:
            bounds = " ".join(
                b for b in (
                    f">= {p.minimum:g}" if p.minimum is not None else "",
                    f"<= {p.maximum:g}" if p.maximum is not None else "",
                ) if b
            )  # fmt: skip
            kind, default = p.describe()["type"], p.default if p.default != "" else "''"
            out.append(f"- `{p.name}`: {kind} {bounds}, default `{default}`: {p.doc}")
        if r.params:
            out.append("")
        body = "\n".join(line for line in r.query.splitlines() if not line.startswith("//"))
        out.append(f"```cypher\n{r.browser()}\n\n{body.strip()}\n```")
    return "\n".join(out) + "\n"


if __name__ == "__main__":
    print(render(), end="")
