"""The background worker lowers its own CPU priority when it starts (PARCOURS_WORKER_NICE)."""

from __future__ import annotations

import multiprocessing
import os

import pytest
from django.test import override_settings

from parcours.core.tasks import lower_worker_priority


def _niceness_after_startup(conn) -> None:  # type: ignore[no-untyped-def]
    lower_worker_priority()
    conn.send(os.nice(0))
    conn.close()


@pytest.mark.parametrize("step", [0, 10])
def test_the_worker_runs_its_tasks_below_the_web_processes_priority(step: int) -> None:
    start = os.nice(0)
    ctx = multiprocessing.get_context("fork")
    parent, child = ctx.Pipe(duplex=False)
    with override_settings(PARCOURS_WORKER_NICE=step):
        proc = ctx.Process(target=_niceness_after_startup, args=(child,))
        proc.start()
        proc.join(10)
    assert parent.recv() == min(start + step, 19)
    assert os.nice(0) == start  # the caller's own priority is untouched


def test_a_bad_worker_priority_setting_stops_start_up_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from django.core.exceptions import ImproperlyConfigured

    from config.settings.env import env_int

    monkeypatch.setenv("PARCOURS_WORKER_NICE", "beaucoup")
    with pytest.raises(ImproperlyConfigured, match="PARCOURS_WORKER_NICE: expected a whole number"):
        env_int("PARCOURS_WORKER_NICE", 10, low=0, high=19)
    monkeypatch.setenv("PARCOURS_WORKER_NICE", "25")
    with pytest.raises(ImproperlyConfigured, match="from 0 to 19"):
        env_int("PARCOURS_WORKER_NICE", 10, low=0, high=19)
    monkeypatch.setenv("PARCOURS_WORKER_NICE", " 5 ")
    assert env_int("PARCOURS_WORKER_NICE", 10, low=0, high=19) == 5


def test_the_cache_is_redis_when_a_redis_url_is_given_else_one_per_process(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from config.settings import base

    monkeypatch.delenv("PARCOURS_REDIS_URL", raising=False)
    assert base._caches()["default"]["BACKEND"] == "django.core.cache.backends.locmem.LocMemCache"
    monkeypatch.setenv("PARCOURS_REDIS_URL", "redis://127.0.0.1:6379/3")
    cache = base._caches()["default"]
    assert cache["BACKEND"] == "django.core.cache.backends.redis.RedisCache"
    assert cache["LOCATION"] == "redis://127.0.0.1:6379/3"
