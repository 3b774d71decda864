"""The catalog: every kind and link the service knows, checked as a whole."""

from __future__ import annotations

from collections.abc import Iterable

from model.kind import Kind, Link


class Catalog:
    """Every kind and link, looked up by label, provider or relationship type."""

    def __init__(self, kinds: Iterable[Kind]) -> None:
        self.kinds = list(kinds)
        self.by_label: dict[str, Kind] = {}
        for kind in self.kinds:
            if kind.label in self.by_label:
                raise ValueError(f"label {kind.label} is declared twice")
            self.by_label[kind.label] = kind
        tasks = [k.task for k in self.kinds]
        if len(set(tasks)) != len(tasks):
            raise ValueError("two kinds share a task name")
        self.derived = [link for k in self.kinds for link in k.links]
        self.links = self.derived + [k.member_of for k in self.kinds if k.member_of]
        for link in self.links:
            for label in (link.source, link.target):
                if label not in self.by_label:
                    raise ValueError(f"link {link.type} names unknown label {label}")
        for kind in self.kinds:
            # Relationship fields sit beside properties in GraphQL: no name may be taken twice.
            names = [f.name for f in kind.all_fields] + [
                lk.forward if lk.source == kind.label else lk.backward
                for lk in self.links_of(kind.label)
            ]
            taken = sorted({n for n in names if names.count(n) > 1})
            if taken:
                raise ValueError(f"{kind.label} has more than one field named {taken}")

    def provider_kinds(self, provider: str) -> list[Kind]:
        return [k for k in self.kinds if k.provider == provider]

    def provider_links(self, provider: str) -> list[Link]:
        """The derived links whose link tasks belong to ``provider``."""
        return [lk for lk in self.derived if self.scoped_kind(lk).provider == provider]

    def links_of(self, label: str) -> list[Link]:
        return [lk for lk in self.links if label in (lk.source, lk.target)]

    def scoped_kind(self, link: Link) -> Kind:
        return self.by_label[link.scoped_label]
