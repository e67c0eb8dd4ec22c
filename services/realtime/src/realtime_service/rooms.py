"""Room and presence-field names (contract §4). Anything else is refused, so a client
can't make the server keep arbitrary strings or join rooms no event is ever sent to."""

from __future__ import annotations

import re

_CYCLE = r"[0-9]{4}-Q[1-4]"
_ID = r"[1-9][0-9]{0,17}"
_ROOM = re.compile(
    rf"(?:cycle:{_CYCLE}|team:{_ID}:{_CYCLE}|objective:{_ID}|thread:[A-Za-z0-9][A-Za-z0-9:_.\-]{{0,199}})"
)
# feedback:{id}:{field}: a retrospective's fields (issue 21); "typing": writing in a thread's chat.
_FIELD = re.compile(rf"(?:(?:objective|key_result|feedback):{_ID}:[a-z_]{{1,40}}|typing)")


def is_room(value: object) -> bool:
    return isinstance(value, str) and bool(_ROOM.fullmatch(value))


def is_field(value: object) -> bool:
    """A presence field is `"{entity}:{id}:{field}"`, `"typing"` (in a chat) or null."""
    return value is None or (isinstance(value, str) and bool(_FIELD.fullmatch(value)))
