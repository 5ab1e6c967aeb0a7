"""Bridge between the programme versions stored in the database and the pure ``parcours.education`` core."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from functools import lru_cache
from importlib import resources
from importlib.resources.abc import Traversable
from io import BytesIO, StringIO
from typing import IO, Any

from django.utils.translation import get_language

from parcours.education.common import Label
from parcours.education.programme import (
    PROGRAMMES_PACKAGE,
    Programme,
    builtin_modules_dir,
    latest_builtin_programmes,
    parse_programme,
)
from parcours.learning.models import ProgrammeVersion


def pick(label: Label | dict[str, str] | None) -> str:
    """The text of a bilingual label in the reader's language."""
    if label is None:
        return ""
    en = (get_language() or "fr").startswith("en")
    if isinstance(label, dict):
        return str((label.get("en") if en else None) or label.get("fr") or "")
    return label.en if en else label.fr


class MemoryDir(Traversable):
    """A read-only folder of module texts held in memory (the ``texts`` of a programme version)."""

    def __init__(self, texts: dict[str, str], name: str = "texts", file_text: str | None = None) -> None:
        self._texts = texts
        self._name = name
        self._file_text = file_text

    @property
    def name(self) -> str:
        return self._name

    def iterdir(self) -> Iterator[Traversable]:
        return iter([MemoryDir({}, n, t) for n, t in sorted(self._texts.items())])

    def is_dir(self) -> bool:
        return self._file_text is None

    def is_file(self) -> bool:
        return self._file_text is not None

    def joinpath(self, *descendants: str | os.PathLike[str]) -> Traversable:
        name = "/".join(str(d) for d in descendants)
        return MemoryDir({}, name, self._texts.get(name))

    def __truediv__(self, child: str | os.PathLike[str]) -> Traversable:
        return self.joinpath(child)

    def open(self, mode: str = "r", *args: Any, **kwargs: Any) -> IO[Any]:
        if self._file_text is None:
            raise FileNotFoundError(self._name)
        if "b" in mode:
            return BytesIO(self._file_text.encode("utf-8"))
        return StringIO(self._file_text)

    def read_bytes(self) -> bytes:
        return self.read_text().encode("utf-8")

    def read_text(self, encoding: str | None = None) -> str:
        if self._file_text is None:
            raise FileNotFoundError(self._name)
        return self._file_text

    def __str__(self) -> str:
        return f"<{self._name}>"


def programme_of(version: ProgrammeVersion) -> Programme:
    """The parsed programme of a stored version (cached per row and edit)."""
    return _parse(version.pk, version.lock_version, json.dumps(version.document), json.dumps(version.texts))


@lru_cache(maxsize=64)
def _parse(_pk: int, _lock: int, document: str, texts: str) -> Programme:
    return parse_programme(json.loads(document), modules_dir=MemoryDir(json.loads(texts)))


def builtin_document(key: str) -> tuple[dict[str, Any], dict[str, str]]:
    """The latest builtin programme ``key``: its JSON document and the texts of its module files."""
    programme = latest_builtin_programmes()[key]
    name = f"{programme.key}.v{programme.version}.json"
    document = json.loads(resources.files(PROGRAMMES_PACKAGE).joinpath(name).read_text(encoding="utf-8"))
    folder = builtin_modules_dir()
    texts = {m.file: folder.joinpath(m.file).read_text(encoding="utf-8") for m in programme.modules}
    return document, texts


def builtin_keys() -> list[str]:
    return sorted(latest_builtin_programmes())
