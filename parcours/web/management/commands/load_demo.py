from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from parcours.web.demo import DEMO_PASSWORD, load_demo


class Command(BaseCommand):
    help = "Load synthetic demo data (hospitals, HAD, ≥ 60 professionals, ≥ 300 patients) into an empty database."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--patients", type=int, default=320)
        parser.add_argument("--events", type=int, default=0, help="approximate number of timeline events")
        parser.add_argument("--scale", type=int, default=1, help="multiply the number of professionals")
        parser.add_argument("--seed", type=int, default=20261123)
        parser.add_argument("--if-empty", action="store_true", help="do nothing if patients already exist")

    def handle(self, *args: Any, **opts: Any) -> None:
        from parcours.patients.models import Patient

        if opts["patients"] < 1:
            raise CommandError("--patients must be at least 1")
        if opts["if_empty"] and Patient.objects.exists():
            self.stdout.write("Demo data already loaded.")
            return
        try:
            summary = load_demo(
                patients=opts["patients"],
                events=opts["events"],
                seed=opts["seed"],
                scale=opts["scale"],
                progress=lambda m: self.stdout.write(f"  … {m}"),
            )
        except RuntimeError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo loaded: {summary.organisations} organisations, {summary.professionals} professionals, "
                f"{summary.patients} patients, {summary.timeline_events} timeline events."
            )
        )
        self.stdout.write(f"Demo logins (password: {DEMO_PASSWORD}):")
        for role, login in summary.logins.items():
            self.stdout.write(f"  {role:16} {login}")
