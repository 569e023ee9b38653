"""``yui schema``: write the committed SDL of each subgraph, the composed supergraph and
its API schema (what clients see, without join__ directives: the SPA's code generation
reads it) to schema/ (``--check``: only compare, exit 1 on drift). The SDL is a build
artifact reviewed with every API change; the supergraph names the default ``yui subgraph``
URLs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from yui.registry import SUBGRAPHS, subgraph_sdl


class Command(BaseCommand):
    help = "Write (or --check) schema/<subgraph>.graphql, supergraph.graphql and api.graphql."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--check", action="store_true", help="fail if a file is stale")
        parser.add_argument("--out", default=str(Path(settings.BASE_DIR) / "schema"))

    def handle(self, *args: Any, **options: Any) -> None:
        from gateway.composition import CompositionFailed
        from gateway.supergraph import Supergraph
        from yui.federation import supergraph_sdl

        out = Path(options["out"])
        stale = []
        try:
            supergraph = supergraph_sdl()
        except CompositionFailed as exc:
            raise CommandError(
                "composition failed:\n" + "\n".join(f"  {e.message}" for e in exc.errors)
            ) from exc
        artifacts = [(f"{name}.graphql", subgraph_sdl(name)) for name in SUBGRAPHS]
        artifacts.append(("supergraph.graphql", supergraph))
        artifacts.append(("api.graphql", Supergraph(supergraph).api_sdl))
        for filename, sdl in artifacts:
            path = out / filename
            current = path.read_text(encoding="utf-8") if path.exists() else None
            if current == sdl:
                self.stdout.write(f"{path}: up to date")
            elif options["check"]:
                stale.append(str(path))
            else:
                out.mkdir(parents=True, exist_ok=True)
                path.write_text(sdl, encoding="utf-8")
                self.stdout.write(f"{path}: written")
        if stale:
            raise CommandError(
                f"schema drift: {', '.join(stale)} differ from the code; run `yui schema`"
            )
