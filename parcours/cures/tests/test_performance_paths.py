"""The fast paths of the board and of the day's syntheses (issue 3 figures) keep the rules of the slow ones:
the OK section filtered in SQL by the convention, the cures closed in one batch through the machine, the PDF
laid out with the small user-agent stylesheet."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from parcours.audit.models import AuditEvent
from parcours.cures import pdf, selectors, services, synthesis
from parcours.cures.models import Cure, CureEvent
from parcours.cures.tests.conftest import T0, TODAY, CureWorld, administer, lab_items, run_to_delivered

pytestmark = pytest.mark.django_db


def _oks(user: object) -> dict[str, tuple[str, ...]]:
    board = selectors.board(user=user, day=TODAY)  # type: ignore[arg-type]
    section = board.section("oks")
    assert section is not None
    assert section.total == len(section.items)
    return {str(i.cure.external_id): i.missing_ok for i in section.items}


def test_the_ok_section_lists_only_the_oks_the_users_party_may_give(cw: CureWorld) -> None:
    cure = cw.first_cure(cw.plan())
    services.cure_labs_record(actor=cw.idec, cure=cure, items=lab_items(T0 - dt.timedelta(hours=3)))
    key = str(cure.external_id)
    # default convention: the hospital gives the whole-cycle OK, the HAD the day-of-cure OK
    assert _oks(cw.oncologist) == {key: ("cycle",)}
    assert _oks(cw.had_physician) == {key: ("day_of_cure",)}
    assert _oks(cw.idec) == {key: ("cycle", "day_of_cure")}  # the coordinator sees what is missing
    services.cure_ok_give(actor=cw.oncologist, cure=cure, kind="cycle")
    assert _oks(cw.oncologist) == {}
    assert _oks(cw.had_physician) == {key: ("day_of_cure",)}
    assert _oks(cw.idec) == {key: ("day_of_cure",)}


def test_the_board_counts_every_section_in_sql_and_pages_the_rows(cw: CureWorld) -> None:
    cw.other_patient.had = cw.had  # both patients in the HAD
    cw.other_patient.save()
    cw.plan()
    cw.plan(patient=cw.other_patient)
    board = selectors.board(user=cw.nurse, day=TODAY, limit=1)  # the HAD's nurse sees the HAD's cures
    labs = board.section("labs")
    assert labs is not None and labs.total == 2 and len(labs.items) == 1 and labs.more == 1


def test_closing_in_batch_goes_through_the_machine_and_leaves_other_cures_alone(cw: CureWorld, clock) -> None:  # type: ignore[no-untyped-def]
    plan = cw.plan()
    cure = run_to_delivered(cw, cw.first_cure(plan), clock)
    administer(cw, cure, clock)
    later = Cure.objects.filter(plan=plan).order_by("number")[1]
    assert services.cures_close(actor=None, cure_ids=[cure.pk, later.pk]) == 1
    cure.refresh_from_db()
    later.refresh_from_db()
    assert (cure.status, later.status) == ("closed", "planned")
    last = CureEvent.objects.filter(cure=cure).last()
    assert last is not None and (last.event, last.from_status, last.to_status) == (
        "close",
        "administered",
        "closed",
    )
    assert AuditEvent.objects.filter(
        object_type="cure", object_id=str(cure.external_id), action="transition", detail__event="close"
    ).exists()
    assert services.cures_close(actor=None, cure_ids=[cure.pk]) == 0  # already closed: nothing to do


def test_the_pdf_is_one_page_holding_what_was_done(cw: CureWorld, clock) -> None:  # type: ignore[no-untyped-def]
    cure = run_to_delivered(cw, cw.first_cure(cw.plan()), clock)
    administer(cw, cure, clock, reaction_grade=2, immediate_actions="Arrêt de la perfusion")
    (doc,) = synthesis._documents([cw.patient.pk], TODAY)
    fonts, style, _ua = pdf._resources()
    rendered = pdf._document_class()(string=doc.html).render(stylesheets=[style], font_config=fonts)
    texts: list[str] = []

    def walk(box: object) -> None:
        if getattr(box, "text", None):
            texts.append(box.text)  # type: ignore[attr-defined]
        for child in getattr(box, "children", None) or []:
            walk(child)

    walk(rendered.pages[0]._page_box)
    text = " ".join(texts)
    assert len(rendered.pages) == 1
    assert "LOT-42" in text and "pembrolizumab" in text and "36,9" in text
    assert "Arrêt de la perfusion" in text and "Pompe et pied" in text
    assert pdf.html_to_pdf(doc.html).startswith(b"%PDF")


def test_a_home_administration_schedules_the_idec_follow_up_call_at_d10(
    cw: CureWorld,
    clock,
    django_capture_on_commit_callbacks,  # type: ignore[no-untyped-def]
) -> None:
    from parcours.telemonitoring.models import WorkTask

    cure = run_to_delivered(cw, cw.first_cure(cw.plan()), clock)
    assert cure.place == "home"
    with django_capture_on_commit_callbacks(execute=True):
        administer(cw, cure, clock)
    (task,) = WorkTask.objects.filter(patient=cw.patient, kind="followup_call")
    assert timezone.localtime(task.due_at).date() == TODAY + dt.timedelta(days=10)
    with django_capture_on_commit_callbacks(execute=True):  # the same day again: still one task
        from parcours.telemonitoring.schedules import followup_call_schedule

        followup_call_schedule(patient=cw.patient, administered_at=T0)
    assert WorkTask.objects.filter(patient=cw.patient, kind="followup_call").count() == 1


def test_the_pdf_pool_renders_in_spawned_worker_processes(settings) -> None:  # type: ignore[no-untyped-def]
    settings.PARCOURS_PDF_WORKERS = 2
    with synthesis.pdf_pool(20) as pool:
        assert pool is not None
        out = synthesis.render_pdfs(["<h1>Synthèse</h1><p>LOT-42</p>"] * 4, pool=pool)
    assert len(out) == 4 and all(o.startswith(b"%PDF") for o in out)
