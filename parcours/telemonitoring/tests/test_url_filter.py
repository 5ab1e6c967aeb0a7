import uuid

import pytest
from django.urls import reverse

from parcours.telemonitoring.templatetags.telemonitoring_urls import ROUTES, tm_url


@pytest.mark.parametrize("name", sorted(ROUTES))
def test_the_queue_url_filter_gives_the_same_url_as_reverse(name):
    some_id = uuid.uuid4()
    assert tm_url(some_id, name) == reverse(f"telemonitoring:{name}", args=[some_id])
    assert tm_url(str(some_id), name) == reverse(f"telemonitoring:{name}", args=[some_id])


def test_the_queue_url_filter_refuses_a_route_it_does_not_know():
    with pytest.raises(ValueError):
        tm_url(uuid.uuid4(), "answer")
