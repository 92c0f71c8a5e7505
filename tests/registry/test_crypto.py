from datetime import date

import pytest
from cryptography.fernet import Fernet
from django.db import connection

from dangjian.registry import crypto, services
from dangjian.registry.models import Member
from tests.factories import make_member

pytestmark = pytest.mark.django_db
BORN = date(1990, 1, 1)


@pytest.fixture
def keys(settings):
    """Point FIELD_ENCRYPTION_KEYS at keys of the test's choosing; the cached MultiFernet is
    dropped before and after so that no other test sees these keys."""

    def use(*values: str) -> None:
        settings.FIELD_ENCRYPTION_KEYS = list(values)
        crypto.reset_caches()

    crypto.reset_caches()
    yield use
    crypto.reset_caches()


def _raw_rows(table: str) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608
        return cursor.fetchall()


def _tables_containing(text: str) -> list[str]:
    found = []
    for table in connection.introspection.table_names():
        if any(text in str(value) for row in _raw_rows(table) for value in row):
            found.append(table)
    return found


def test_the_id_number_is_in_no_column_of_the_member_table_nor_the_audit_log(world):
    clear = "610702199001011234"
    member = make_member(world.a.branch_admin, world.a.branch, id_number=clear, birth_date=BORN)
    new_clear = "610702199001011250"
    services.update_member(actor=world.a.admin, member=member, id_number=new_clear)

    member_rows = _raw_rows("registry_member")
    assert len(member_rows) == Member.objects.count()
    for row in member_rows:
        for value in row:
            assert clear not in str(value)
            assert new_clear not in str(value)
    with connection.cursor() as cursor:
        cursor.execute("SELECT before, after FROM audit_auditentry")
        audit_rows = cursor.fetchall()
    assert audit_rows
    for before, after in audit_rows:
        assert clear not in str(before) and clear not in str(after)
        assert new_clear not in str(before) and new_clear not in str(after)
    # Nor anywhere else in the database.
    assert _tables_containing(clear) == []
    assert _tables_containing(new_clear) == []
    # What is stored still gives the number back to those allowed to see it.
    member.refresh_from_db()
    assert member.id_number_masked == "6107**********1250"
    assert services.reveal_id_number(actor=world.a.admin, member=member) == new_clear


def test_the_ciphertext_differs_each_time_but_the_keyed_hash_is_stable():
    clear = "610702199001011234"
    assert crypto.encrypt(clear) != crypto.encrypt(clear)
    assert crypto.decrypt(crypto.encrypt(clear)) == clear
    assert crypto.keyed_hash(clear) == crypto.keyed_hash(clear)
    assert crypto.keyed_hash(clear) != crypto.keyed_hash("610702199001011242")
    assert clear not in crypto.keyed_hash(clear)


def test_a_value_encrypted_under_an_old_key_decrypts_after_a_new_first_key_is_added(keys):
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    keys(old)
    token = crypto.encrypt("610702199001011234")

    keys(new, old)
    assert crypto.decrypt(token) == "610702199001011234"
    # New values are written under the new key: the old key alone cannot read them.
    fresh = crypto.encrypt("610702199001011242")
    rotated = crypto.rotate(token)

    keys(new)
    assert crypto.decrypt(fresh) == "610702199001011242"
    assert crypto.decrypt(rotated) == "610702199001011234"
    with pytest.raises(ValueError, match="cannot decrypt"):
        crypto.decrypt(token)
    keys(old)
    with pytest.raises(ValueError, match="cannot decrypt"):
        crypto.decrypt(fresh)


def test_a_member_stored_before_a_key_rotation_is_still_revealed_and_found(world, keys):
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    keys(old)
    clear = "610702199001011277"
    member = make_member(world.a.admin, world.a.branch, id_number=clear, birth_date=BORN)

    keys(new, old)
    member = Member.objects.get(pk=member.pk)
    assert member.reveal_id_number() == clear
    # The keyed hash does not depend on the encryption keys: exact look-up keeps working.
    assert Member.objects.by_id_number(clear).get() == member
