"""Tag filters without a server: parsing, the Lucene query, the Cypher and the schema."""

from __future__ import annotations

import time

import pytest

import cypher
from collectors import CATALOG
from graph import schema, tags
from graph.reads import projection

INSTANCE = CATALOG.by_label["AWSInstance"]


def test_a_value_with_an_equals_sign_is_a_whole_tag_one_without_is_a_key() -> None:
    f = tags.parse(["env=prod", "owner", "a=b=c", "empty=", "env=prod"])
    assert f.exact == ("a=b=c", "empty=", "env=prod")  # sorted, once each
    assert f.keys == ("owner",)
    assert tags.parse(["b", "a"]) == tags.parse(["a", "b", "a"])


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ([], "at least one"),
        ([""], "has no key"),
        (["=prod"], "has no key"),
        (["env", "="], "has no key"),
        (["k" * (tags.MAX_LENGTH + 1)], "over 1000"),
        ([f"k{i}" for i in range(tags.MAX_TAGS + 1)], "at most 20"),
        ([3], "not text"),
    ],
)
def test_bad_values_are_refused_saying_why(values: list, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        tags.parse(values)


def test_the_lucene_query_escapes_every_character_but_letters_and_digits() -> None:
    f = tags.parse(["env=prod", "a b=(x)*", "owner", 'q="\\"'])
    assert f.lucene() == (r"+tags:a\ b\=\(x\)\* +tags:env\=prod +tags:q\=\"\\\" +tags:owner\=*")
    # Letters of any script stay as they are; symbols and spaces of any kind are escaped.
    assert tags.parse(["ünï=cödé\u3000🚀"]).lucene() == "+tags:ünï\\=cödé\\\u3000\\🚀"


def test_the_statement_gets_the_index_the_tags_and_the_key_prefixes() -> None:
    params = tags.parse(["env=prod", "owner"]).params(INSTANCE)
    assert params == {
        "index": "AWSInstance_tags_fulltext",
        "lucene": r"+tags:env\=prod +tags:owner\=*",
        "tags": ["env=prod"],
        "prefixes": ["owner="],
    }


def test_only_kinds_that_store_tags_are_tagged() -> None:
    tagged = {k.label for k in CATALOG.kinds if tags.tagged(k)}
    assert {"AWSInstance", "AWSVolume", "AWSVPC", "AWSSubnet", "AWSImage"} <= tagged
    assert {"VSphereVM", "VSphereHost", "VSphereDatastore"} <= tagged  # vSphere's category=tag
    assert not {"AWSAccount", "AWSRegion", "AWSLoadBalancer", "VSphereCluster"} & tagged


def test_each_tag_is_one_membership_test_on_a_node() -> None:
    assert tags.parse(["env=prod", "a=b", "owner"]).where() == (
        " AND $tags[0] IN n.tags AND $tags[1] IN n.tags"
        " AND any(t IN n.tags WHERE t STARTS WITH $prefixes[0])"
    )
    assert tags.parse(["owner", "team"]).where("m") == (
        " AND any(t IN m.tags WHERE t STARTS WITH $prefixes[0])"
        " AND any(t IN m.tags WHERE t STARTS WITH $prefixes[1])"
    )


def test_the_list_statement_asks_the_index_then_reads_either_way_with_every_filter() -> None:
    text = cypher.render(
        "list_tagged",
        label="AWSInstance",
        filters=" AND n.state = $filters.state",
        tags=tags.parse(["env=prod"]).where(),
        projection=projection("n", INSTANCE),
        encode="",
    )
    assert "{{" not in text
    assert "db.index.fulltext.queryNodes($index, $lucene, {limit: probe})" in text
    assert "MATCH (k:AWSInstance)" in text and "MATCH (n:AWSInstance)" in text
    # The exact-match filters apply on both ways to the page, the tags on the scan's.
    assert text.count("n.uid > $after  AND n.state = $filters.state") == 1
    assert "n.uid > after  AND n.state = $filters.state  AND $tags[0] IN n.tags" in text
    assert "RETURN (page[..$limit]) AS items" in text and text.rstrip().endswith(", scan")


def test_db_migrate_makes_a_keyword_full_text_index_per_tagged_kind() -> None:
    made = [s for s in schema.statements(CATALOG) if "FULLTEXT" in s]
    labels = sorted(k.label for k in CATALOG.kinds if tags.tagged(k))
    assert len(made) == len(labels)
    for label, statement in zip(labels, sorted(made), strict=True):
        assert f"CREATE FULLTEXT INDEX {label}_tags_fulltext IF NOT EXISTS" in statement
        assert f"FOR (n:{label}) ON EACH [n.tags]" in statement
        assert "`fulltext.analyzer`: 'keyword'" in statement


def test_common_filters_are_remembered_for_a_while_and_a_bounded_number() -> None:
    common = tags.Common(ttl_s=0.05, size=2)
    key = ("AWSInstance", "+tags:env\\=prod", 100)
    assert key not in common
    common.note(key)
    assert key in common and ("AWSInstance", "+tags:env\\=prod", 50) not in common
    time.sleep(0.06)
    assert key not in common  # expired: the next page asks the index again
    common.note(("a", "x", 1))
    common.note(("b", "x", 1))
    common.note(("c", "x", 1))  # over the size: the others are forgotten
    assert ("c", "x", 1) in common and ("a", "x", 1) not in common
