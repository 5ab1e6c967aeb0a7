"""Pure rules: completeness of a referral, upload checks (no database)."""

from __future__ import annotations

from parcours.fasttrack import completeness, uploads
from parcours.fasttrack.pathways import PATHWAYS
from parcours.fasttrack.tests.conftest import PDF, PNG, make_input


def test_a_full_referral_with_documents_is_complete() -> None:
    data = make_input().as_mapping()
    assert completeness.missing_items("pancreas", data, documents=1) == []
    assert completeness.completeness_percent("pancreas", data, documents=1) == 100


def test_missing_items_name_the_fields_and_the_expected_exams() -> None:
    data = make_input(suspicion="", exams_done=["bloods"], referrer_phone="").as_mapping()
    fields = [m.field for m in completeness.missing_items("pancreas", data, documents=0)]
    assert "suspicion" in fields and "referrer_phone" in fields
    assert "exams_done.ct_tap" in fields and "exams_done.markers" in fields
    assert "documents" in fields  # exams said done, no report attached
    assert completeness.completeness_percent("pancreas", data) < 100


def test_an_empty_form_is_not_zero_division_and_stays_below_100() -> None:
    assert 0 <= completeness.completeness_percent("lung", {}) < 100
    assert completeness.completeness_percent("unknown", {}) < 100


def test_every_pathway_has_an_answer_commitment() -> None:
    assert {"pancreas", "lung", "liver", "thyroid", "lymphoma", "digestive", "glioblastoma"} <= set(PATHWAYS)
    assert all(p.answer_hours in (48, 72) for p in PATHWAYS.values())


def test_uploads_are_typed_by_their_first_bytes() -> None:
    assert uploads.check_upload(PDF).content_type == "application/pdf"
    assert uploads.check_upload(PNG).content_type == "image/png"
    assert uploads.check_upload(b"\xff\xd8\xff\xe0" + b"0" * 10).content_type == "image/jpeg"


def test_executables_scripts_and_renamed_files_are_refused() -> None:
    for content in (b"MZ\x90\x00PE", b"\x7fELF\x02\x01", b"<html><script>", b"PK\x03\x04docx"):
        verdict = uploads.check_upload(content)
        assert not verdict.ok and "PDF, JPEG et PNG" in verdict.reason_fr


def test_pdfs_with_active_content_are_refused() -> None:
    for token in (b"/JavaScript", b"/Launch", b"/EmbeddedFile", b"/OpenAction"):
        verdict = uploads.check_upload(b"%PDF-1.7\n1 0 obj<<" + token + b" 2 0 R>>endobj")
        assert not verdict.ok and "contenu actif" in verdict.reason_fr


def test_empty_and_oversized_files_are_refused() -> None:
    assert not uploads.check_upload(b"").ok
    verdict = uploads.check_upload(b"%PDF-" + b"0" * 2000, max_bytes=1000)
    assert not verdict.ok and "dépasse" in verdict.reason_fr
