"""How an uploaded CSV is read and refused (people, back-filled check-ins): one way for both."""

from __future__ import annotations

import pytest
from boost_platform.problems import Problem
from okr_service import uploads


def read(raw: bytes, max_rows: int = 3) -> list[dict[str, str]]:
    return uploads.read_rows(raw, required={"email", "name"}, max_rows=max_rows, header_refusal="name the columns",
                             columns=lambda h: uploads.column(h, {"full name": "name"}))


def test_a_spreadsheets_file_reads_as_stripped_rows_by_canonical_column() -> None:
    raw = "\ufeffEmail , Full Name,Team\n a@x.example ,  Ann ,Growth,extra\n".encode()
    assert read(raw) == [{"email": "a@x.example", "name": "Ann", "team": "Growth"}]


@pytest.mark.parametrize(("raw", "words"), [
    ("email,name\nä,b\n".encode("latin-1"), "not UTF-8"),
    (b"mail,name\na,b\n", "name the columns"),
    (b"", "name the columns"),
    (b"email,name\n" + b"a,b\n" * 4, "at most 3 rows"),
])
def test_a_file_that_cannot_be_read_is_refused_with_a_sentence(raw: bytes, words: str) -> None:
    with pytest.raises(Problem) as refused:
        read(raw)
    assert refused.value.status == 422 and words in refused.value.body()["detail"]


def test_bad_rows_are_refused_all_at_once_and_good_files_pass() -> None:
    uploads.refuse([])
    with pytest.raises(Problem) as refused:
        uploads.refuse([{"row": 2, "field": "email", "msg": "not an email"}, {"row": 5, "field": "name", "msg": "empty"}])
    assert refused.value.status == 422
    assert refused.value.body()["detail"] == "2 row(s) need fixing; nothing was imported."
    assert [e["row"] for e in refused.value.body()["errors"]] == [2, 5]
