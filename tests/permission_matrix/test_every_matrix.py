"""Every table of the permission matrix has exactly one row for each role (for each role
and object, in the tables with an object column), the roles in the order of ROLES, so that
no role's answers are left out of any part of the matrix."""

import pytest

from tests.permission_matrix import test_interaction as interaction
from tests.permission_matrix import test_orglife as orglife
from tests.permission_matrix import test_registry as registry
from tests.permission_matrix import test_scoring as scoring
from tests.permission_matrix import test_supervision as supervision
from tests.permission_matrix.cases import ROLES, row_key

# name: (table, its actions, the objects each role has a row for where it has an object column)
MATRICES = {
    "object": (registry.MATRIX, registry.ACTIONS, registry.objects_of),
    "policy": (scoring.POLICY_MATRIX, scoring.POLICY_ACTIONS, None),
    "record_review": (supervision.RECORD_REVIEW_MATRIX, supervision.RECORD_REVIEW_ACTIONS, None),
    "monthly_sheet": (supervision.MONTHLY_SHEET_MATRIX, supervision.MONTHLY_SHEET_ACTIONS, None),
    "appraisal": (supervision.APPRAISAL_MATRIX, supervision.APPRAISAL_ACTIONS, None),
    "bulletin": (supervision.BULLETIN_MATRIX, supervision.BULLETIN_ACTIONS, None),
    "award": (supervision.AWARD_MATRIX, supervision.AWARD_ACTIONS, None),
    "ledger": (orglife.LEDGER_MATRIX, orglife.LEDGER_ACTIONS, None),
    "orglife": (orglife.ORGLIFE_MATRIX, orglife.ORGLIFE_ACTIONS, None),
    "photo": (interaction.PHOTO_MATRIX, interaction.PHOTO_ACTIONS, None),
}


@pytest.mark.parametrize("matrix, actions, objects_of", MATRICES.values(), ids=MATRICES)
def test_the_matrix_covers_every_role_once(matrix, actions, objects_of):
    assert list(dict.fromkeys(row[0] for row in matrix)) == list(ROLES)
    for role in ROLES:
        keys = sorted(row_key(row, actions) for row in matrix if row[0] == role)
        expected = [()] if objects_of is None else sorted((obj,) for obj in objects_of(role))
        assert keys == expected, role
