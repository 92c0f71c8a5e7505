"""core.errors.refuse_unknown_fields: a partial update names only the fields it edits."""

import pytest

from dangjian.core.errors import DomainError, refuse_unknown_fields


def test_fields_the_service_edits_pass():
    refuse_unknown_fields({"name": "甲", "code": None}, {"name", "code", "kind"})
    refuse_unknown_fields({}, ())


def test_every_other_field_is_refused_and_named_in_order():
    with pytest.raises(DomainError) as refused:
        refuse_unknown_fields({"name": "甲", "path": "0001", "depth": 2}, ("name",))
    assert refused.value.code == "validation_error"
    assert refused.value.message == "不能修改这些字段：depth, path"
