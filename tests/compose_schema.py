"""The Compose Specification JSON schema, fetched from the npm registry at test time.

No copy of the schema is kept in this repository. The npm package ``dclint`` (a Docker Compose
linter) ships the current compose-spec schema as ``schemas/compose.schema.json``; the pinned
version below is fetched once with ``npm pack`` and cached under
``~/.cache/inventory/compose-spec/``, so later runs read the cache and need no network.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tarfile
import tempfile
from pathlib import Path
from typing import Any

import jsonschema.validators
from jsonschema.protocols import Validator

PACKAGE = "dclint"
VERSION = "3.1.0"
MEMBER = "package/schemas/compose.schema.json"
CACHE_DIR = Path.home() / ".cache" / "inventory" / "compose-spec"
NPM_TIMEOUT_S = 180


class SchemaUnavailable(RuntimeError):
    """The Compose schema is neither cached nor obtainable from the npm registry."""


def cached_path() -> Path:
    return CACHE_DIR / f"{PACKAGE}-{VERSION}" / "compose-spec.json"


def compose_schema() -> dict[str, Any]:
    """The parsed Compose Specification schema, downloading it on first use."""
    path = cached_path()
    if not path.is_file():
        _download(path)
    schema = json.loads(path.read_text(encoding="utf-8"))
    if schema.get("title") != "Compose Specification":
        raise SchemaUnavailable(
            f"{path} is not the Compose Specification schema; delete it and run again"
        )
    return schema


def validator_class(schema: dict[str, Any]) -> type[Validator]:
    """The jsonschema validator for the draft that the schema's ``$schema`` names."""
    declared = schema.get("$schema", "")
    # Meta-schema ids are registered as http://…, with or without the trailing '#'.
    canonical = declared.replace("https://", "http://", 1).rstrip("#")
    for candidate in (canonical, canonical + "#"):
        found = jsonschema.validators.validator_for({"$schema": candidate}, default=None)
        if found is not None:
            return found
    raise SchemaUnavailable(f"jsonschema has no validator for $schema {declared!r}")


def _download(target: Path) -> None:
    npm = shutil.which("npm")
    if npm is None:
        raise SchemaUnavailable(
            f"npm is not on PATH, so the Compose schema ({PACKAGE}@{VERSION}, {MEMBER}) cannot "
            f"be fetched; install Node.js with npm, or place the schema file at {target}"
        )
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent) as work:
        try:
            done = subprocess.run(
                [npm, "pack", f"{PACKAGE}@{VERSION}", "--silent", "--pack-destination", work],
                capture_output=True,
                text=True,
                timeout=NPM_TIMEOUT_S,
                check=False,
            )
        except subprocess.TimeoutExpired:
            raise SchemaUnavailable(
                f"`npm pack {PACKAGE}@{VERSION}` did not finish in {NPM_TIMEOUT_S}s; "
                "is the npm registry reachable?"
            ) from None
        tarballs = list(Path(work).glob("*.tgz"))
        if done.returncode != 0 or len(tarballs) != 1:
            raise SchemaUnavailable(
                f"`npm pack {PACKAGE}@{VERSION}` failed (exit {done.returncode}): "
                f"{done.stderr.strip() or done.stdout.strip()}"
            )
        with tarfile.open(tarballs[0]) as tar:
            try:
                member = tar.extractfile(MEMBER)
            except KeyError:
                member = None
            if member is None:
                raise SchemaUnavailable(f"{PACKAGE}@{VERSION} has no {MEMBER}")
            partial = Path(work) / "compose-spec.json"
            partial.write_bytes(member.read())
        # Atomic, so parallel test runs never read a half-written file.
        os.replace(partial, target)
