"""The ``parcours`` command.

Thin subcommands. The pure ones (``plan``, ``plan-check``, ``pathway``, ``triage``, ``score``) never import Django;
the ones that need the database (``demo``, ``serve``…) set up Django lazily.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence


def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="parcours",
        description="Parcours — coordination of cancer care at home (HAD).",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    from parcours.optimiser import cli as optimiser_cli

    optimiser_cli.register(sub)
    from parcours.pathways import cli as pathways_cli

    pathways_cli.register(sub)
    from parcours.monitoring import cli as monitoring_cli

    monitoring_cli.register(sub)
    from parcours.screening import cli as screening_cli

    screening_cli.register(sub)
    _register_django_commands(sub)
    return parser


def _register_django_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    manage = sub.add_parser(
        "manage", help="run a Django management command (migrate, load_demo, runserver, …)", add_help=False
    )
    manage.add_argument("args", nargs=argparse.REMAINDER)
    manage.set_defaults(func=_run_manage)


def _run_manage(ns: argparse.Namespace) -> int:
    import os

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["parcours manage", *ns.args])
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = _build_parser()
    ns = parser.parse_args(list(argv) if argv is not None else None)
    if not getattr(ns, "func", None):
        parser.print_help()
        return 0
    code: int = ns.func(ns)
    return code


if __name__ == "__main__":
    sys.exit(main())
