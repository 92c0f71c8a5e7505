from datetime import date

import pytest

from dangjian.registry import idcard


@pytest.mark.parametrize(
    "number, born, gender",
    [
        # The standard's published examples, so the check digit is not only self-consistent.
        ("11010519491231002X", date(1949, 12, 31), "female"),
        ("610702199001011234", date(1990, 1, 1), "male"),
        ("61070219850314004X", date(1985, 3, 14), "female"),
    ],
)
def test_it_accepts_valid_numbers_including_an_x_check_digit(number, born, gender):
    parsed = idcard.parse(number)
    assert parsed.value == number
    assert parsed.birth_date == born
    assert parsed.gender == gender


def test_it_accepts_a_lowercase_x_and_surrounding_spaces():
    assert idcard.parse(" 11010519491231002x ").value == "11010519491231002X"


@pytest.mark.parametrize(
    "number, reason",
    [
        ("610702199001011235", "身份证号校验位错误"),
        ("110105194912310021", "身份证号校验位错误"),
        ("61070219900101123", "身份证号应为18位"),
        ("6107021990010112345", "身份证号应为18位"),
        ("", "身份证号应为18位"),
        ("61070219900101123Y", "身份证号前17位应为数字，末位为数字或X"),
        ("6107021990O1011234", "身份证号前17位应为数字，末位为数字或X"),
        # A valid check digit does not rescue a region or a date that cannot exist.
        (idcard.make("990702", date(1990, 1, 1), 123), "身份证号的地区码无效"),
        (idcard.make("000000", date(1990, 1, 1), 123), "身份证号的地区码无效"),
        ("610702199002301234"[:17] + idcard.check_char("61070219900230123"), "出生日期无效"),
        ("610702199013011234"[:17] + idcard.check_char("61070219901301123"), "出生日期无效"),
        (idcard.make("610702", date(1899, 12, 31), 123), "出生日期无效"),
    ],
)
def test_it_refuses_invalid_numbers_with_a_chinese_reason(number, reason):
    with pytest.raises(idcard.InvalidIdNumber) as refused:
        idcard.parse(number)
    assert reason in str(refused.value)


def test_it_refuses_a_birth_date_in_the_future():
    number = idcard.make("610702", date(2030, 1, 1), 123)
    assert idcard.parse(number).birth_date == date(2030, 1, 1)
    with pytest.raises(idcard.InvalidIdNumber, match="出生日期无效"):
        idcard.parse(number, today=date(2026, 1, 1))


def test_the_mask_keeps_the_first_four_and_last_four_characters():
    assert idcard.mask("610702199001011234") == "6107**********1234"
    assert idcard.mask("11010519491231002X") == "1101**********002X"
    assert idcard.parse("610702199001011234").masked == "6107**********1234"


@pytest.mark.parametrize("sequence", range(120, 130))
def test_the_gender_follows_the_parity_of_the_seventeenth_digit(sequence):
    number = idcard.make("610702", date(1990, 1, 1), sequence)
    expected = "male" if sequence % 2 else "female"
    assert idcard.parse(number).gender == expected
