"""The list of issued initial passwords as a CSV file for Excel (CP932, CRLF).

Built in the same response that issues the passwords, since they are never shown again.
Cells a spreadsheet would run as formulas get a leading ``'`` (``neutralise_formula``);
a character CP932 cannot hold (a rare 異体字 in a name) becomes ``?`` and ``lossy`` says so
(the password itself is ASCII and always exact).
"""

from __future__ import annotations

import csv
import io

from subgraphs.core.spreadsheet import neutralise_formula
from subgraphs.people.actions import IssuedPassword

HEADERS = ("ログインID", "氏名", "所属", "初期パスワード")
ENCODING = "cp932"


def issued_passwords_csv(issued: list[IssuedPassword]) -> tuple[bytes, bool]:
    """The CSV's bytes and whether any character had to be replaced."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(HEADERS)
    for item in issued:
        person = item.person
        department = person.department.name if person.department else ""
        writer.writerow(
            neutralise_formula(cell)
            for cell in (person.login_id, person.name, department, item.password)
        )
    text = buffer.getvalue()
    try:
        return text.encode(ENCODING), False
    except UnicodeEncodeError:
        return text.encode(ENCODING, errors="replace"), True
