"""Resident ID-card numbers (GB 11643-1999): 6-digit region, 8-digit birth date,
3-digit sequence (odd = male), and an ISO 7064 MOD 11-2 check character."""

from dataclasses import dataclass
from datetime import date

from django.utils.translation import gettext as _

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK_CHARS = "10X98765432"
# Province-level codes (first two digits) in use.
PROVINCES = frozenset(
    "11 12 13 14 15 21 22 23 31 32 33 34 35 36 37 41 42 43 44 45 46 "
    "50 51 52 53 54 61 62 63 64 65 71 81 82".split()
)


class InvalidIdNumber(ValueError):
    pass


@dataclass(frozen=True)
class IdNumber:
    value: str
    birth_date: date
    gender: str  # "male" | "female"

    @property
    def masked(self) -> str:
        return mask(self.value)


def check_char(first17: str) -> str:
    total = sum(int(d) * w for d, w in zip(first17, WEIGHTS, strict=True))
    return CHECK_CHARS[total % 11]


def normalize(raw: str) -> str:
    return str(raw).strip().replace(" ", "").upper()


def parse(raw: str, *, today: date | None = None) -> IdNumber:
    """Return the parsed number or raise InvalidIdNumber with a Chinese reason."""
    value = normalize(raw)
    if len(value) != 18:
        raise InvalidIdNumber(_("身份证号应为18位"))
    if not value[:17].isdigit() or not (value[17].isdigit() or value[17] == "X"):
        raise InvalidIdNumber(_("身份证号前17位应为数字，末位为数字或X"))
    if value[:2] not in PROVINCES:
        raise InvalidIdNumber(_("身份证号的地区码无效"))
    try:
        born = date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError as exc:
        raise InvalidIdNumber(_("身份证号中的出生日期无效")) from exc
    if born.year < 1900 or (today is not None and born > today):
        raise InvalidIdNumber(_("身份证号中的出生日期无效"))
    if check_char(value[:17]) != value[17]:
        raise InvalidIdNumber(_("身份证号校验位错误"))
    gender = "male" if int(value[16]) % 2 == 1 else "female"
    return IdNumber(value=value, birth_date=born, gender=gender)


def mask(value: str) -> str:
    return f"{value[:4]}{'*' * (len(value) - 8)}{value[-4:]}"


def make(region: str, born: date, sequence: int) -> str:
    """Build a valid number; used by the seeder and tests."""
    first17 = f"{region}{born:%Y%m%d}{sequence:03d}"
    return first17 + check_char(first17)
