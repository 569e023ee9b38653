"""Progressive @override(label: "percent(n)"): for each request the label is enabled with
probability n / 100, and the field is then asked of the overriding subgraph only, else of
the original one only; other labels are enabled by the integrator per request. The roll
is injected (no randomness in the test). Test bed: tests/gateway/fixtures/progressive."""

from __future__ import annotations

from gateway.engine import Gateway
from gateway.executor import RequestContext
from gateway.progressive import OVERRIDE_LABELS
from tests.gateway.fixtures.local import Recording, compose_local
from tests.gateway.fixtures.progressive import new, old

SUBGRAPHS = {"old": old.schema, "new": new.schema}


def _supergraph() -> str:
    return compose_local(SUBGRAPHS)


def _gateway(rolls: list[float]) -> tuple[Gateway, list[tuple[str, str]]]:
    sent: list[tuple[str, str]] = []
    transports = {n: Recording(s, sent) for n, s in SUBGRAPHS.items()}
    gateway = Gateway(_supergraph(), transports)
    gateway.progressive.chance = lambda: rolls.pop(0)
    return gateway, sent


def test_composition_keeps_both_sides_with_the_label():
    sdl = _supergraph()
    assert 'override: "old", overrideLabel: "percent(25)"' in sdl
    assert '@join__field(graph: OLD, overrideLabel: "percent(25)")' in sdl


async def test_the_roll_decides_which_subgraph_resolves_the_field():
    gateway, sent = _gateway([0.10, 0.90, 0.249, 0.25])
    answers = []
    for _ in range(4):
        result = await gateway.execute("{ product { name price } }")
        answers.append(result.payload["data"]["product"]["price"])
    # 0.10 * 100 < 25 and 0.249 * 100 < 25: enabled; 0.90 and 0.25: not.
    assert answers == [200, 100, 200, 100]
    asked_price = [g for g, d in sent if "price" in d]
    assert asked_price == ["new", "old", "new", "old"]
    # Two variants were planned once each, then reused.
    assert len(gateway.progressive.variants) == 2


async def test_other_labels_are_enabled_by_the_integrator():
    gateway, _ = _gateway([0.9, 0.9])
    plain = await gateway.execute("{ product { stock } }")
    assert plain.payload == {"data": {"product": {"stock": 1}}}
    enabled = await gateway.execute(
        "{ product { stock } }", context=RequestContext(extra={OVERRIDE_LABELS: ["stock-v2"]})
    )
    assert enabled.payload == {"data": {"product": {"stock": 2}}}
