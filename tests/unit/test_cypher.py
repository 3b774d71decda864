"""Cypher files: placeholders filled only from kind descriptions, every file renders."""

from __future__ import annotations

from pathlib import Path

import pytest

import cypher
from collectors import CATALOG
from graph import links

FILES = sorted(p.stem for p in Path(cypher.__file__).parent.glob("*.cypher"))


def test_a_missing_placeholder_is_an_error() -> None:
    with pytest.raises(KeyError, match="needs 'label'"):
        cypher.render("count_nodes")


@pytest.mark.parametrize("file", FILES)
def test_every_file_renders_with_identifiers_and_keeps_values_as_parameters(file: str) -> None:
    names = set(cypher._PLACEHOLDER.findall(cypher.text(file)))
    text = cypher.render(file, **dict.fromkeys(names, "X"))
    assert "{{" not in text
    assert "$" in text or "RETURN" in text or "CREATE" in text


def test_the_scope_filter_compares_each_property_with_a_parameter() -> None:
    assert cypher.where("n", ("account_id", "region")) == (
        "n.account_id = $scope.account_id AND n.region = $scope.region"
    )
    assert cypher.where("n", ()) == "true"


def test_link_joins_follow_the_side_that_holds_a_list() -> None:
    by_type = {lk.type: lk for lk in CATALOG.links}
    assert links.join(by_type["HAS_SUBNET"]) == "s.uid = t.vpc_id"
    assert links.join(by_type["ROUTES_TO"]) == "t.uid IN s.target_instance_ids"
