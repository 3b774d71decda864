"""Scope filters: the WHERE fragment that keeps a query inside one scope."""

from __future__ import annotations

from collections.abc import Iterable


def where(var: str, props: Iterable[str], param: str = "scope") -> str:
    """``n.account_id = $scope.account_id AND ...``; ``true`` for an empty scope."""
    parts = [f"{var}.{p} = ${param}.{p}" for p in props]
    return " AND ".join(parts) or "true"
