"""core.subqueries.count_per: related rows counted per row in the same query, 0 for none."""

from datetime import timedelta

import pytest
from django.db.models import OuterRef

from dangjian.core import clock
from dangjian.core.subqueries import count_per
from dangjian.registry.models import ApiToken, User
from tests.factories import next_phone

pytestmark = pytest.mark.django_db


def test_each_row_gets_its_own_count_and_a_row_without_any_gets_zero():
    busy, idle = (User.objects.create_user(phone=next_phone(), name=n) for n in ("甲", "乙"))
    expires = clock.now() + timedelta(days=1)
    for n in range(3):
        ApiToken.objects.create(user=busy, key_hash=f"{busy.pk}-{n}", expires_at=expires)
    ApiToken.objects.create(user=idle, key_hash=f"{idle.pk}-expired", expires_at=clock.now())

    live = ApiToken.objects.filter(user_id=OuterRef("pk"), expires_at__gt=clock.now())
    counted = User.objects.filter(pk__in=[busy.pk, idle.pk]).annotate(
        n_tokens=count_per(live, "user_id")
    )

    assert dict(counted.values_list("pk", "n_tokens")) == {busy.pk: 3, idle.pk: 0}
