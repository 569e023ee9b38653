"""`yui gateway` on another organisation's supergraph does not refuse ordinary queries by
Yui's cost model; Yui's own supergraph keeps Yui's limits (item 8 of issue 11)."""

from __future__ import annotations

from gateway.engine import Gateway, Limits
from gateway.supergraph import Supergraph
from tests.gateway.fixtures.suites import supergraph_sdl
from tests.gateway.test_cases import in_process_gateway
from tests.gateway.test_planner_fuzz import YUI_SUPERGRAPH
from yui.management.commands.gateway import choose_limits, is_yui_supergraph

# Lists of lists: 10 x 10 x 10 x 10 by Yui's model (a list without a page size counts 10),
# so over Yui's 10,000; Apollo Gateway and Hive Gateway answer it.
LIST_OF_LISTS = """{
  products { reviews { author { reviews { product { reviews { id body } } } } } }
}"""

NO_FLAGS = {
    "max_depth": None,
    "max_aliases": None,
    "max_root_fields": None,
    "max_cost": None,
    "max_tokens": None,
    "max_selections": None,
}


def _shop(limits: Limits) -> Gateway:
    shared = in_process_gateway("shop")
    return Gateway(shared.supergraph, shared.transports, limits=limits)


def test_yui_own_supergraph_is_told_from_a_foreign_one():
    assert is_yui_supergraph(Supergraph(YUI_SUPERGRAPH.read_text(encoding="utf-8")))
    assert not is_yui_supergraph(Supergraph(supergraph_sdl("shop")))


async def test_a_foreign_supergraph_answers_a_list_of_lists():
    limits = choose_limits(Supergraph(supergraph_sdl("shop")), "auto", NO_FLAGS)
    result = await _shop(limits).execute(LIST_OF_LISTS)
    assert "errors" not in result.payload, result.payload
    assert result.payload["data"]["products"]


async def test_yui_limits_still_refuse_it_and_a_flag_opts_a_foreign_one_in():
    refused = await _shop(Limits()).execute(LIST_OF_LISTS)
    assert [e["extensions"]["code"] for e in refused.payload["errors"]] == ["MAX_COST_EXCEEDED"]
    opted_in = choose_limits(
        Supergraph(supergraph_sdl("shop")), "auto", {**NO_FLAGS, "max_cost": 10_000}
    )
    result = await _shop(opted_in).execute(LIST_OF_LISTS)
    assert [e["extensions"]["code"] for e in result.payload["errors"]] == ["MAX_COST_EXCEEDED"]


def test_yui_supergraph_keeps_yui_limits_and_modes_override():
    yui = Supergraph(YUI_SUPERGRAPH.read_text(encoding="utf-8"))
    assert choose_limits(yui, "auto", NO_FLAGS) == Limits()
    assert choose_limits(Supergraph(supergraph_sdl("shop")), "yui", NO_FLAGS) == Limits()
    assert choose_limits(yui, "foreign", NO_FLAGS).max_cost > 10**12
