"""What the required item's form (console and phone alike) gives record_item."""

from django.http import QueryDict

from dangjian.core.item_evidence import posted_evidence


def test_a_filled_form_gives_every_field():
    post = QueryDict(mutable=True)
    post.update({"is_done": "1", "text": "t", "matters": "m", "decisions": "d"})
    post["package_id"] = "7"
    post.setlist("photo_ids", ["3", "4"])

    assert posted_evidence(post) == {
        "is_done": True,
        "text": "t",
        "matters": "m",
        "decisions": "d",
        "package_id": "7",
        "photo_ids": ["3", "4"],
    }


def test_an_empty_form_marks_the_item_not_done_without_evidence():
    assert posted_evidence(QueryDict()) == {
        "is_done": False,
        "text": "",
        "matters": "",
        "decisions": "",
        "package_id": None,
        "photo_ids": [],
    }


def test_only_a_ticked_box_marks_it_done_and_no_package_is_none():
    post = QueryDict("is_done=on&package_id=")

    evidence = posted_evidence(post)

    assert evidence["is_done"] is False
    assert evidence["package_id"] is None


def test_photo_ids_that_are_not_numbers_are_dropped():
    post = QueryDict("photo_ids=5&photo_ids=x&photo_ids=-1&photo_ids=6")

    assert posted_evidence(post)["photo_ids"] == ["5", "6"]


def test_photo_ids_that_are_not_plain_digits_are_dropped():
    post = QueryDict(mutable=True)
    post.setlist("photo_ids", ["3", "²", "x", "-1"])

    assert posted_evidence(post)["photo_ids"] == ["3"]
