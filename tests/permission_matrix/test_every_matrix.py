"""Every table of the permission matrix has exactly one row for each of its roles (for each
role and object, in the tables with an object column), the roles in the order of its ROLES
(cases.ROLES, or cases.WIDER_ROLES for attendance's and learning's), so that no role's
answers are left out of any part of the matrix."""

import pytest

from tests.attendance import test_permission_matrix as attendance
from tests.learning import test_permission_matrix as learning
from tests.learning import test_quiz_permission_matrix as quizzes
from tests.permission_matrix import test_interaction as interaction
from tests.permission_matrix import test_orglife as orglife
from tests.permission_matrix import test_registry as registry
from tests.permission_matrix import test_scoring as scoring
from tests.permission_matrix import test_supervision as supervision
from tests.permission_matrix.cases import ROLES, WIDER_ROLES, row_key

# name: (table, its actions, the objects each role has a row for where it has an object
# column, its roles)
MATRICES = {
    "object": (registry.MATRIX, registry.ACTIONS, registry.objects_of, ROLES),
    "policy": (scoring.POLICY_MATRIX, scoring.POLICY_ACTIONS, None, ROLES),
    "record_review": (
        supervision.RECORD_REVIEW_MATRIX,
        supervision.RECORD_REVIEW_ACTIONS,
        None,
        ROLES,
    ),
    "monthly_sheet": (
        supervision.MONTHLY_SHEET_MATRIX,
        supervision.MONTHLY_SHEET_ACTIONS,
        None,
        ROLES,
    ),
    "appraisal": (supervision.APPRAISAL_MATRIX, supervision.APPRAISAL_ACTIONS, None, ROLES),
    "bulletin": (supervision.BULLETIN_MATRIX, supervision.BULLETIN_ACTIONS, None, ROLES),
    "award": (supervision.AWARD_MATRIX, supervision.AWARD_ACTIONS, None, ROLES),
    "ledger": (orglife.LEDGER_MATRIX, orglife.LEDGER_ACTIONS, None, ROLES),
    "orglife": (orglife.ORGLIFE_MATRIX, orglife.ORGLIFE_ACTIONS, None, ROLES),
    "photo": (interaction.PHOTO_MATRIX, interaction.PHOTO_ACTIONS, None, ROLES),
    "attendance": (attendance.API_MATRIX, attendance.API_ACTIONS, None, WIDER_ROLES),
    "attendance_correction": (
        attendance.CORRECTION_MATRIX,
        attendance.CORRECTION_ACTIONS,
        None,
        WIDER_ROLES,
    ),
    "learning": (learning.API_MATRIX, learning.API_ACTIONS, None, WIDER_ROLES),
    "learning_pages": (learning.PAGE_MATRIX, learning.PAGE_ACTIONS, None, WIDER_ROLES),
    "quiz": (quizzes.API_MATRIX, quizzes.API_ACTIONS, None, WIDER_ROLES),
    "quiz_submission": (quizzes.SUBMIT_MATRIX, quizzes.SUBMIT_ACTIONS, None, WIDER_ROLES),
}


@pytest.mark.parametrize("matrix, actions, objects_of, roles", MATRICES.values(), ids=MATRICES)
def test_the_matrix_covers_every_role_once(matrix, actions, objects_of, roles):
    assert list(dict.fromkeys(row[0] for row in matrix)) == list(roles)
    for role in roles:
        keys = sorted(row_key(row, actions) for row in matrix if row[0] == role)
        expected = [()] if objects_of is None else sorted((obj,) for obj in objects_of(role))
        assert keys == expected, role
