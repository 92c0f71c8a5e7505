"""core.locking.refused_on_conflict: a write that breaks a unique key becomes the service's
refusal, and the transaction around it goes on."""

import pytest
from django.db import transaction

from dangjian.core.errors import DomainError
from dangjian.core.locking import refused_on_conflict
from dangjian.registry.models import User
from tests.factories import next_phone

pytestmark = pytest.mark.django_db


def test_a_unique_key_already_taken_is_refused_and_the_transaction_goes_on():
    phone = next_phone()
    with transaction.atomic():
        User.objects.create_user(phone=phone, name="甲")
        conflict = refused_on_conflict("duplicate_phone", "该手机号已被使用", field="phone")
        with pytest.raises(DomainError) as refused, conflict:
            User.objects.create_user(phone=phone, name="乙")
        assert refused.value.as_dict() == {
            "code": "duplicate_phone",
            "message": "该手机号已被使用",
            "field": "phone",
        }
        assert User.objects.filter(phone=phone).count() == 1


def test_writes_that_break_nothing_pass_through():
    with refused_on_conflict("duplicate_phone", "该手机号已被使用"):
        user = User.objects.create_user(phone=next_phone(), name="丙")
    assert User.objects.filter(pk=user.pk).exists()
