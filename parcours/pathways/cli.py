"""``parcours pathway …``: inspect builtin pathway definitions and check transitions. Pure: no Django.

    parcours pathway list
    parcours pathway show KEY [--version N] [--json]
    parcours pathway check KEY STATE --facts facts.json [--now ISO] [--entered-at ISO] [--version N]
    parcours pathway validate FILE [FILE …]

``check`` prints JSON: every transition leaving STATE, allowed or not, with its unmet guards (and the
state's timers when ``--entered-at`` is given). Exit codes: 0 success, 1 invalid definition file (validate),
2 bad arguments (unknown pathway, version or state; unreadable facts).
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime
from typing import Any

from parcours.pathways.engine import (
    DefinitionError,
    Label,
    PathwayDefinition,
    check_transitions,
    due_timers,
    load_builtin_definitions,
    load_definition_file,
    required_facts,
)


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("pathway", help="pathway definitions: list, show, check transitions")
    parser.set_defaults(func=lambda ns: _usage(parser))
    actions = parser.add_subparsers(dest="pathway_action", metavar="ACTION")

    p_list = actions.add_parser("list", help="list the builtin pathway definitions")
    p_list.set_defaults(func=cmd_list)

    p_show = actions.add_parser("show", help="states, transitions and guards of a pathway")
    p_show.add_argument("key")
    p_show.add_argument("--version", type=int, default=None, help="default: the latest version")
    p_show.add_argument("--json", action="store_true", help="machine-readable output")
    p_show.set_defaults(func=cmd_show)

    p_check = actions.add_parser("check", help="which transitions are allowed from STATE given facts (JSON)")
    p_check.add_argument("key")
    p_check.add_argument("state")
    p_check.add_argument("--facts", required=True, help="JSON file with a flat object of facts ('-' = stdin)")
    p_check.add_argument("--now", default=None, help="ISO datetime (default: now, UTC)")
    p_check.add_argument(
        "--entered-at", default=None, help="ISO datetime the state was entered (adds timers)"
    )
    p_check.add_argument("--version", type=int, default=None, help="default: the latest version")
    p_check.set_defaults(func=cmd_check)

    p_validate = actions.add_parser("validate", help="validate pathway definition JSON files")
    p_validate.add_argument("files", nargs="+")
    p_validate.set_defaults(func=cmd_validate)


def _usage(parser: argparse.ArgumentParser) -> int:
    parser.print_help()
    return 0


def _error(message: str) -> int:
    print(f"parcours pathway: {message}", file=sys.stderr)
    return 2


def _find(key: str, version: int | None) -> PathwayDefinition | None:
    defs = load_builtin_definitions()
    versions = sorted(v for (k, v) in defs if k == key)
    if not versions:
        _error(f"unknown pathway {key!r} (known: {', '.join(sorted({k for k, _ in defs}))})")
        return None
    chosen = versions[-1] if version is None else version
    if (key, chosen) not in defs:
        _error(f"pathway {key!r} has no version {chosen} (versions: {', '.join(map(str, versions))})")
        return None
    return defs[(key, chosen)]


def _label(label: Label | None) -> dict[str, str] | None:
    return None if label is None else {"fr": label.fr, "en": label.en}


def _parse_dt(text: str) -> datetime:
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment


def cmd_list(ns: argparse.Namespace) -> int:
    for (key, version), defn in sorted(load_builtin_definitions().items()):
        counts = f"{len(defn.states)} states\t{len(defn.transitions)} transitions"
        print(f"{key}\tv{version}\t{counts}\t{defn.name.fr}")
    return 0


def definition_as_dict(defn: PathwayDefinition) -> dict[str, Any]:
    return {
        "key": defn.key,
        "version": defn.version,
        "name": _label(defn.name),
        "source": defn.source,
        "description": _label(defn.description),
        "states": [
            {
                "id": s.id,
                "kind": s.kind,
                "label": _label(s.label),
                "expected_duration_days": s.expected_duration_days,
                "description": _label(s.description),
                "timers": [
                    {"id": t.id, "label": _label(t.label), "after_days": t.after_days} for t in s.timers
                ],
            }
            for s in defn.states
        ],
        "transitions": [
            {
                "id": t.id,
                "label": _label(t.label),
                "sources": "*" if t.from_any else sorted(t.sources),
                "expanded_sources": sorted(t.sources),
                "target": t.target,
                "guards": list(t.guards),
                "requires_reason": t.requires_reason,
                "reason_choices": [{"id": c.id, "label": _label(c.label)} for c in t.reason_choices],
            }
            for t in defn.transitions
        ],
        "guards": [
            {"id": g.id, "label": _label(g.label), "expr": json.loads(g.expr.source)}
            for g in defn.guards.values()
        ],
        "checklist": [{"id": c.id, "order": c.order, "label": _label(c.label)} for c in defn.checklist],
        "required_facts": sorted(required_facts(defn)),
    }


def cmd_show(ns: argparse.Namespace) -> int:
    defn = _find(ns.key, ns.version)
    if defn is None:
        return 2
    if ns.json:
        print(json.dumps(definition_as_dict(defn), ensure_ascii=False, indent=2))
        return 0
    print(f"{defn.key} v{defn.version} — {defn.name.fr}")
    print(f"source: {defn.source}")
    print("\nstates:")
    for s in defn.states:
        duration = f", {s.expected_duration_days} d" if s.expected_duration_days else ""
        print(f"  {s.id:<12} [{s.kind}{duration}] {s.label.fr}")
        for timer in s.timers:
            print(f"  {'':<12}   timer {timer.id} after {timer.after_days} d: {timer.label.fr}")
    print("\ntransitions:")
    for t in defn.transitions:
        sources = "*" if t.from_any else ",".join(sorted(t.sources))
        extra = " (motif requis)" if t.requires_reason else ""
        print(f"  {t.id:<22} {sources} -> {t.target}{extra}: {t.label.fr}")
        if t.guards:
            print(f"  {'':<22}   guards: {', '.join(t.guards)}")
    print("\nguards:")
    for g in defn.guards.values():
        print(f"  {g.id:<26} {g.label.fr}  {g.expr.source}")
    if defn.checklist:
        print("\nchecklist:")
        for c in defn.checklist:
            print(f"  {c.order}. {c.id:<22} {c.label.fr}")
    print(f"\nfacts: {', '.join(sorted(required_facts(defn)))}")
    return 0


def cmd_check(ns: argparse.Namespace) -> int:
    defn = _find(ns.key, ns.version)
    if defn is None:
        return 2
    if not defn.has_state(ns.state):
        return _error(
            f"pathway {defn.key!r} has no state {ns.state!r} ({', '.join(s.id for s in defn.states)})"
        )
    try:
        if ns.facts == "-":
            facts = json.load(sys.stdin)
        else:
            with open(ns.facts, encoding="utf-8") as fh:
                facts = json.load(fh)
    except (OSError, json.JSONDecodeError) as exc:
        return _error(f"cannot read facts: {exc}")
    if not isinstance(facts, dict):
        return _error("facts must be a JSON object of fact name -> value")
    try:
        now = _parse_dt(ns.now) if ns.now else datetime.now(UTC)
        entered_at = _parse_dt(ns.entered_at) if ns.entered_at else None
    except ValueError as exc:
        return _error(f"bad datetime: {exc}")
    out: dict[str, Any] = {
        "pathway": defn.key,
        "version": defn.version,
        "state": ns.state,
        "now": now.isoformat(),
        "transitions": [
            {
                "id": c.transition.id,
                "label": _label(c.transition.label),
                "target": c.transition.target,
                "allowed": c.allowed,
                "requires_reason": c.transition.requires_reason,
                "unmet": [{"id": u.id, "label": _label(u.label)} for u in c.unmet],
            }
            for c in check_transitions(defn, ns.state, facts, now)
        ],
    }
    if entered_at is not None:
        out["timers"] = [
            {"id": t.id, "label": _label(t.label), "due_at": due.isoformat(), "overdue": overdue}
            for t, due, overdue in due_timers(defn, ns.state, entered_at, now)
        ]
    print(json.dumps(out, ensure_ascii=False, indent=2))
    return 0


def cmd_validate(ns: argparse.Namespace) -> int:
    code = 0
    for path in ns.files:
        try:
            defn = load_definition_file(path)
        except OSError as exc:
            print(f"{path}: cannot read: {exc}", file=sys.stderr)
            code = 1
            continue
        except DefinitionError as exc:
            print(f"INVALID {exc}", file=sys.stderr)
            code = 1
            continue
        counts = f"{len(defn.states)} states, {len(defn.transitions)} transitions"
        print(f"{path}: ok ({defn.key} v{defn.version}, {counts})")
    return code
