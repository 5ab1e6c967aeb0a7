"""Checks on uploaded exam reports. Pure: bytes in, a verdict out.

The type comes from the file's first bytes (never from its name or the browser's claim): PDF, JPEG or PNG
only. PDFs carrying active content (JavaScript, launch actions, embedded files) are refused, as are files
that are too large or empty.
"""

from __future__ import annotations

from dataclasses import dataclass

MAX_BYTES = 10 * 1024 * 1024
MAX_FILES = 5

_MAGIC: tuple[tuple[bytes, str, str], ...] = (
    (b"%PDF-", "application/pdf", "pdf"),
    (b"\xff\xd8\xff", "image/jpeg", "jpg"),
    (b"\x89PNG\r\n\x1a\n", "image/png", "png"),
)
# PDF name objects that run or carry code.
_ACTIVE_PDF = (b"/JavaScript", b"/JS", b"/Launch", b"/EmbeddedFile", b"/RichMedia", b"/XFA", b"/OpenAction")


@dataclass(frozen=True)
class UploadVerdict:
    ok: bool
    content_type: str = ""
    extension: str = ""
    reason_fr: str = ""
    reason_en: str = ""


def sniff(content: bytes) -> tuple[str, str] | None:
    for magic, mime, ext in _MAGIC:
        if content.startswith(magic):
            return mime, ext
    return None


def check_upload(content: bytes, *, max_bytes: int = MAX_BYTES) -> UploadVerdict:
    if not content:
        return UploadVerdict(False, reason_fr="Le fichier est vide.", reason_en="The file is empty.")
    if len(content) > max_bytes:
        mb = max_bytes // (1024 * 1024)
        return UploadVerdict(
            False,
            reason_fr=f"Le fichier dépasse {mb} Mo.",
            reason_en=f"The file is larger than {mb} MB.",
        )
    kind = sniff(content)
    if kind is None:
        return UploadVerdict(
            False,
            reason_fr="Type de fichier refusé : seuls les PDF, JPEG et PNG sont acceptés.",
            reason_en="File type refused: only PDF, JPEG and PNG are accepted.",
        )
    mime, ext = kind
    if mime == "application/pdf" and any(token in content for token in _ACTIVE_PDF):
        return UploadVerdict(
            False,
            reason_fr="PDF refusé : il contient du contenu actif (script, action ou fichier joint).",
            reason_en="PDF refused: it holds active content (script, action or embedded file).",
        )
    return UploadVerdict(True, content_type=mime, extension=ext)
