import pytest
from parcours.web import demo as base_demo
from parcours.fasttrack.models import Referral
pytestmark = pytest.mark.django_db
def test_full():
    msgs=[]
    base_demo.load_demo(patients=30, plan_days=0, seed=7, progress=msgs.append)
    print(msgs)
    assert Referral.objects.count() > 40
