"""The ``yui`` command: Django's management commands with Yui's settings.

``yui serve``, ``yui demo``, ``yui import``, ``yui export``, ``yui tenant``, ``yui admin``
are Yui's own; ``yui migrate`` and every other Django command work as usual.
"""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "yui.settings")
    from django.core.exceptions import ImproperlyConfigured

    try:
        import django

        django.setup()
    except ImproperlyConfigured as exc:
        print(f"yui: configuration error: {exc}", file=sys.stderr)
        raise SystemExit(2) from exc
    from django.core.management import execute_from_command_line

    execute_from_command_line(["yui", *(sys.argv[1:] if argv is None else argv)])


if __name__ == "__main__":
    main()
