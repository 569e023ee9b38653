"""The committed SDL is a build artifact: it must match the code (regenerate: `yui schema`)."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from yui.registry import SUBGRAPHS, subgraph_sdl

SCHEMA_DIR = Path(__file__).resolve().parent.parent / "schema"


@pytest.mark.parametrize("name", sorted(SUBGRAPHS))
def test_committed_subgraph_sdl_matches_the_code(name):
    committed = (SCHEMA_DIR / f"{name}.graphql").read_text(encoding="utf-8")
    assert committed == subgraph_sdl(name), f"schema/{name}.graphql is stale: run `yui schema`"


def test_people_sdl_declares_its_entities_and_federation_version():
    sdl = subgraph_sdl("people")
    assert 'url: "https://specs.apollo.dev/federation/v2.11"' in sdl
    assert 'type Person @key(fields: "id")' in sdl
    assert 'type Organization @key(fields: "id")' in sdl


def test_schema_check_fails_on_drift(tmp_path, capsys):
    call_command("schema", out=str(tmp_path))
    call_command("schema", "--check", out=str(tmp_path))
    (tmp_path / "people.graphql").write_text("type Query { stale: Int }\n")
    with pytest.raises(CommandError, match="schema drift"):
        call_command("schema", "--check", out=str(tmp_path))


def test_committed_supergraph_matches_the_composition_of_the_code():
    from yui.federation import supergraph_sdl

    committed = (SCHEMA_DIR / "supergraph.graphql").read_text(encoding="utf-8")
    assert committed == supergraph_sdl(), "schema/supergraph.graphql is stale: run `yui schema`"


def test_the_supergraph_is_one_our_gateway_serves():
    from gateway.supergraph import Supergraph

    supergraph = Supergraph((SCHEMA_DIR / "supergraph.graphql").read_text(encoding="utf-8"))
    assert {g.name for g in supergraph.graphs.values()} == set(SUBGRAPHS)
    assert supergraph.field_graphs("Person", "name") == ["PEOPLE"]
    assert supergraph.field_graphs("Person", "presence") == ["PRESENCE"]
    api = supergraph.api_sdl
    assert "join__" not in api and "_entities" not in api and "_service" not in api
