"""Rows of one model written in one INSERT at the end of a block (append-only records on hot paths)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Generic, TypeVar

from django.db import models

M = TypeVar("M", bound=models.Model)


class InsertBatch(Generic[M]):
    """``add`` saves a row at once, or, inside ``collect()``, keeps it for one ``bulk_create`` when the block
    ends. Use the block *inside* the caller's transaction, so that the rows commit or roll back with the rest;
    if the block raises, its rows are dropped; a nested block joins the outermost one. Rows kept for the batch
    have no primary key until the block ends. One instance per model (``audit_batch``, ``timeline_batch``)."""

    def __init__(self, model: type[M]) -> None:
        self._model = model
        self._rows: ContextVar[list[M] | None] = ContextVar(
            f"parcours_batch_{model._meta.label}", default=None
        )

    @contextmanager
    def collect(self) -> Iterator[None]:
        if self._rows.get() is not None:
            yield
            return
        rows: list[M] = []
        token = self._rows.set(rows)
        try:
            yield
        finally:
            self._rows.reset(token)
        if rows:
            self._model._default_manager.bulk_create(rows)

    def add(self, row: M) -> None:
        rows = self._rows.get()
        if rows is None:
            row.save(force_insert=True)
        else:
            rows.append(row)
