"""What clients may send (contract §4), checked before anything reaches okr: a malformed
or oversized message gets `{ok: false, error}`, never an exception."""

from __future__ import annotations

import json
from typing import Any

from boost_contracts.messages import EditRequest
from pydantic import ValidationError

MAX_EDIT_BYTES = 64 * 1024  # a 5,000-character description and its base, in Korean, escaped, fit


class EditRejected(Exception):
    def __init__(self, error: str, status: int) -> None:
        super().__init__(error)
        self.error = error
        self.status = status

    def ack(self) -> dict[str, Any]:
        return {"ok": False, "error": self.error, "status": self.status}


def parse_edit(data: Any) -> EditRequest:
    if not isinstance(data, dict):
        raise EditRejected("an edit is an object {entity, id, changes, base?, version, op_id}", 400)
    try:
        size = len(json.dumps(data, ensure_ascii=False, default=str).encode())
    except (TypeError, ValueError) as exc:
        raise EditRejected("the edit is not JSON", 400) from exc
    if size > MAX_EDIT_BYTES:
        raise EditRejected(f"the edit is too large ({size} bytes; at most {MAX_EDIT_BYTES})", 413)
    try:
        return EditRequest.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise EditRejected(f"invalid edit: {where}: {first['msg']}" if where else f"invalid edit: {first['msg']}",
                           422) from exc


def room_of(data: Any) -> Any:
    return data.get("room") if isinstance(data, dict) else None
