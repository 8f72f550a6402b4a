"""Check digits of the identity numbers an applicant gives (申请人证件号码).

A typo in a 居民身份证号码 (GB 11643) or a 统一社会信用代码 (GB 32100) would reach every
department and the certificate, so both are checked where an applicant is taken; python-stdnum
implements both standards' check digits. A resident ID's first six digits are not looked up: its
region table lags behind county re-zoning (and knows nothing of the demo county 339901), and a
stale table would turn away real people. Other document types (护照, 港澳通行证) carry no check
digit and pass as given.
"""

from __future__ import annotations

from stdnum.cn import ric, uscc
from stdnum.exceptions import ValidationError

ID_CARD_TYPES = frozenset({"居民身份证", "身份证"})
CREDIT_CODE_TYPES = frozenset({"统一社会信用代码"})


def id_number_problem(id_type: str, id_number: str) -> str | None:
    """Why ``id_number`` cannot be of ``id_type``; None when it can be (or is not checked)."""
    try:
        if id_type in ID_CARD_TYPES:
            _validate_resident_id(id_number)
        elif id_type in CREDIT_CODE_TYPES:
            uscc.validate(id_number)
    except ValidationError:
        label = "居民身份证号码" if id_type in ID_CARD_TYPES else "统一社会信用代码"
        return f"{label}不正确（长度、格式或校验位不符）"
    return None


def _validate_resident_id(id_number: str) -> None:
    """GB 11643 without the region lookup: 18 characters, a real birth date, the check digit."""
    number = ric.compact(id_number)
    if len(number) != 18 or not number[:-1].isdigit():
        raise ValidationError()
    ric.get_birth_date(number)
    if number[-1] != ric.calc_check_digit(number):
        raise ValidationError()
