"""The required items' codes and the evidence each needs, as tables of cases (no database)."""

import pytest

from dangjian.orglife.items import FIELDS, Facts, has_evidence, may_mark_done, text_label
from dangjian.themedays import items
from dangjian.themedays.models import DEFAULT_REQUIRED_ITEMS


def test_the_six_default_labels_have_the_six_codes_in_their_order():
    assert [items.code_of(label) for label in DEFAULT_REQUIRED_ITEMS] == [
        "charter",
        "dues",
        "study",
        "org_life",
        "deliberation",
        "disclosure",
    ]


@pytest.mark.parametrize(
    ("labels", "codes"),
    [
        ([], []),
        (None, []),
        (["红色教育", "义务劳动"], []),
        (["实行民主公开", " 诵读党章 ", "诵读党章"], ["charter", "disclosure"]),
        (["缴纳党费", 7, None], ["dues"]),
    ],
)
def test_an_agenda_gives_the_codes_of_its_standard_items_once_in_order(labels, codes):
    assert items.codes_of(labels) == codes


TEXT = Facts(has_text=True)
PHOTO = Facts(has_photo=True)
PACKAGE = Facts(has_package=True)
DUES = Facts(has_dues=True)
MATTERS = Facts(has_matters=True)
DECIDED = Facts(has_matters=True, has_decisions=True)
NOTHING = Facts()


@pytest.mark.parametrize(
    ("item", "facts", "expected"),
    [
        ("charter", TEXT, True),
        ("charter", PHOTO, True),
        ("charter", PACKAGE, False),
        ("charter", NOTHING, False),
        ("dues", DUES, True),
        ("dues", TEXT, False),
        ("dues", Facts(has_text=True, has_photo=True), False),
        ("study", TEXT, True),
        ("study", PHOTO, True),
        ("study", PACKAGE, True),
        ("study", DUES, False),
        ("org_life", TEXT, True),
        ("org_life", PHOTO, False),
        ("deliberation", MATTERS, False),
        ("deliberation", Facts(has_decisions=True), False),
        ("deliberation", DECIDED, True),
        ("deliberation", TEXT, False),
        ("disclosure", TEXT, True),
        ("disclosure", PHOTO, True),
        ("disclosure", NOTHING, False),
    ],
)
def test_each_item_has_its_evidence_only_from_what_it_needs(item, facts, expected):
    assert has_evidence(item, facts) is expected


@pytest.mark.parametrize(
    ("facts", "required", "allowed"),
    [(NOTHING, True, False), (NOTHING, False, True), (TEXT, True, True), (TEXT, False, True)],
)
def test_an_item_is_marked_done_without_evidence_only_where_policy_does_not_require_it(
    facts, required, allowed
):
    assert may_mark_done("org_life", facts, required=required) is allowed


def test_an_unknown_item_is_an_error():
    with pytest.raises(ValueError):
        has_evidence("singing", TEXT)


FACT_OF_FIELD = {
    "text": "has_text",
    "matters": "has_matters",
    "decisions": "has_decisions",
    "photos": "has_photo",
    "package": "has_package",
}


@pytest.mark.parametrize("item", list(items.RequiredItem))
def test_the_pages_ask_each_item_for_exactly_the_evidence_it_is_judged_by(item):
    fields = FIELDS[item]
    written = Facts(**{FACT_OF_FIELD[f]: True for f in fields})
    everything_else = Facts(**{fact: True for f, fact in FACT_OF_FIELD.items() if f not in fields})
    # What the page asks for is enough (dues are shown by the register, not the form) ...
    assert has_evidence(item, written) is (item != items.RequiredItem.DUES)
    # ... and nothing the page does not ask for counts.
    assert not has_evidence(item, everything_else)


@pytest.mark.parametrize(
    ("item", "label"),
    [
        (items.RequiredItem.ORG_LIFE, "会议记录"),
        (items.RequiredItem.DISCLOSURE, "公开内容"),
        (items.RequiredItem.CHARTER, "文字记录"),
        (items.RequiredItem.STUDY, "文字记录"),
    ],
)
def test_an_items_text_is_named_for_what_it_records(item, label):
    assert text_label(item) == label
