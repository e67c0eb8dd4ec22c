"""Slack's Block Kit limits, checked by one function before anything is sent.

`fit_message` (chat.postMessage, chat.update, unfurls, response_url answers) and `fit_view`
(views.open, views.publish, a modal's `update`) walk the payload against Slack's documented
limits (block and element counts, text lengths, ids, values, URLs, input lengths). What is
a text for people to read is trimmed when too long (on a character boundary that does not
cut a `<link|label>` or an `&amp;` in two); anything else that breaks a limit (too many
blocks or options, an over-long value, URL, id or `private_metadata`, a `max_length` past
3000, an unknown block) would be refused by Slack with `invalid_blocks` or
`invalid_arguments`: it raises `BlockKitError`, loudly, before the call.

The limits are Slack's (api.slack.com/reference/block-kit); slack-sdk's models check only
some of them (not, for example, a plain-text input's `max_length`), hence this one place."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

MESSAGE_BLOCKS = 50
VIEW_BLOCKS = 100
MESSAGE_TEXT = 40_000

# (block or element type) → {field: limit} of plain texts that may be trimmed
TEXT_LIMITS: dict[str, dict[str, int]] = {
    "section": {"text": 3000},
    "header": {"text": 150},
    "input": {"label": 2000, "hint": 2000},
    "button": {"text": 75},
    "plain_text_input": {"placeholder": 150},
    "static_select": {"placeholder": 150},
    "image": {"alt_text": 2000, "title": 2000},
}
BLOCK_TYPES = {"section", "context", "actions", "divider", "header", "input", "image"}
ELEMENT_TYPES = {"button", "plain_text_input", "static_select", "image", "mrkdwn", "plain_text"}


class BlockKitError(ValueError):
    """A payload Slack would refuse; `where` is the path inside it."""

    def __init__(self, where: str, problem: str) -> None:
        super().__init__(f"{where}: {problem}")
        self.where = where
        self.problem = problem


def trim(text: str, limit: int) -> str:
    """`text` in at most `limit` characters, ending in `…`, never inside `<…>` or `&…;`."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    opened, closed = cut.rfind("<"), cut.rfind(">")
    if opened > closed:
        cut = cut[:opened]
    amp = cut.rfind("&")
    if amp != -1 and ";" not in cut[amp:]:
        cut = cut[:amp]
    return cut.rstrip() + "…"


def _text_object(obj: Any, where: str, limit: int) -> None:
    if not isinstance(obj, dict) or obj.get("type") not in ("plain_text", "mrkdwn"):
        raise BlockKitError(where, "a text object needs type plain_text or mrkdwn")
    text = obj.get("text")
    if not isinstance(text, str) or not text.strip():
        raise BlockKitError(where, "a text must not be empty")
    obj["text"] = trim(text, limit)


def _at_most(value: Any, limit: int, where: str, what: str) -> None:
    if value is not None and len(str(value)) > limit:
        raise BlockKitError(where, f"{what} is {len(str(value))} characters; Slack allows {limit}")


def _element(el: Any, where: str) -> None:
    if not isinstance(el, dict) or el.get("type") not in ELEMENT_TYPES:
        raise BlockKitError(where, f"unknown element {el.get('type') if isinstance(el, dict) else el!r}")
    kind = el["type"]
    _at_most(el.get("action_id"), 255, where, "action_id")
    for name, limit in TEXT_LIMITS.get(kind, {}).items():
        if name in el:
            if isinstance(el[name], str):
                el[name] = trim(el[name], limit)
            else:
                _text_object(el[name], f"{where}.{name}", limit)
    if kind in _ELEMENT_RULES:
        _ELEMENT_RULES[kind](el, where)


def _button(el: dict[str, Any], where: str) -> None:
    _at_most(el.get("value"), 2000, where, "a button's value")
    _at_most(el.get("url"), 3000, where, "a button's url")
    if el.get("style") not in (None, "primary", "danger"):
        raise BlockKitError(where, "a button's style is primary or danger")


def _text_input(el: dict[str, Any], where: str) -> None:
    max_length = el.get("max_length")
    if max_length is not None and not (isinstance(max_length, int) and 0 < max_length <= 3000):
        raise BlockKitError(where, f"max_length is {max_length}; Slack allows 1 to 3000")
    _at_most(el.get("initial_value"), max_length or 3000, where, "initial_value")


def _select(el: dict[str, Any], where: str) -> None:
    options = el.get("options") or []
    if not 1 <= len(options) <= 100:
        raise BlockKitError(where, f"a select has {len(options)} options; Slack allows 1 to 100")
    for i, option in enumerate(options):
        _text_object(option.get("text"), f"{where}.options[{i}].text", 75)
        _at_most(option.get("value"), 150, f"{where}.options[{i}]", "an option's value")
    initial = el.get("initial_option")
    if initial is not None and initial.get("value") not in {o.get("value") for o in options}:
        raise BlockKitError(where, "initial_option is not one of the options")


def _text_element(el: dict[str, Any], where: str) -> None:
    _text_object(el, where, 3000)


# What each kind of element must also satisfy, beyond its action_id and texts.
_ELEMENT_RULES: dict[str, Callable[[dict[str, Any], str], None]] = {
    "button": _button, "plain_text_input": _text_input, "static_select": _select,
    "mrkdwn": _text_element, "plain_text": _text_element,
}


def _block(block: Any, where: str) -> None:
    if not isinstance(block, dict) or block.get("type") not in BLOCK_TYPES:
        raise BlockKitError(where, f"unknown block {block.get('type') if isinstance(block, dict) else block!r}")
    kind = block["type"]
    _at_most(block.get("block_id"), 255, where, "block_id")
    for name, limit in TEXT_LIMITS.get(kind, {}).items():
        if name in block:
            _text_object(block[name], f"{where}.{name}", limit)
    if kind in _BLOCK_RULES:
        _BLOCK_RULES[kind](block, where)


def _section(block: dict[str, Any], where: str) -> None:
    if "text" not in block and not block.get("fields"):
        raise BlockKitError(where, "a section needs text or fields")
    fields = block.get("fields") or []
    if len(fields) > 10:
        raise BlockKitError(where, f"a section has {len(fields)} fields; Slack allows 10")
    for i, f in enumerate(fields):
        _text_object(f, f"{where}.fields[{i}]", 2000)
    if block.get("accessory") is not None:
        _element(block["accessory"], f"{where}.accessory")


def _elements(block: dict[str, Any], where: str) -> None:
    kind = block["type"]
    elements = block.get("elements") or []
    most = 10 if kind == "context" else 25
    if not 1 <= len(elements) <= most:
        raise BlockKitError(where, f"{kind} has {len(elements)} elements; Slack allows 1 to {most}")
    for i, el in enumerate(elements):
        _element(el, f"{where}.elements[{i}]")


def _input(block: dict[str, Any], where: str) -> None:
    if "label" not in block or "element" not in block:
        raise BlockKitError(where, "an input needs a label and an element")
    _element(block["element"], f"{where}.element")


def _image(block: dict[str, Any], where: str) -> None:
    _at_most(block.get("image_url"), 3000, where, "image_url")


# What each kind of block must also satisfy, beyond its block_id and texts.
_BLOCK_RULES: dict[str, Callable[[dict[str, Any], str], None]] = {
    "section": _section, "context": _elements, "actions": _elements, "input": _input, "image": _image,
}


def _blocks(blocks: Any, most: int, where: str) -> None:
    if not isinstance(blocks, list):
        raise BlockKitError(where, "blocks is a list")
    if len(blocks) > most:
        raise BlockKitError(where, f"{len(blocks)} blocks; Slack allows {most}")
    for i, block in enumerate(blocks):
        _block(block, f"{where}[{i}]")


def fit_blocks(blocks: list[dict[str, Any]] | None, most: int = MESSAGE_BLOCKS) -> list[dict[str, Any]]:
    """A message's blocks within Slack's limits (a trimmed copy), or BlockKitError."""
    out = copy.deepcopy(blocks or [])
    _blocks(out, most, "blocks")
    return out


def fit_message(text: str, blocks: list[dict[str, Any]] | None) -> tuple[str, list[dict[str, Any]]]:
    return trim(text or "", MESSAGE_TEXT), fit_blocks(blocks)


def fit_view(view: dict[str, Any]) -> dict[str, Any]:
    """A modal or App Home view within Slack's limits (a trimmed copy), or BlockKitError."""
    out = copy.deepcopy(view)
    if out.get("type") not in ("modal", "home"):
        raise BlockKitError("view", "type is modal or home")
    for name in ("title", "submit", "close"):
        if name in out:
            _text_object(out[name], f"view.{name}", 24)
    if out["type"] == "modal" and "title" not in out:
        raise BlockKitError("view", "a modal needs a title")
    _at_most(out.get("private_metadata"), 3000, "view", "private_metadata")
    _at_most(out.get("callback_id"), 255, "view", "callback_id")
    _at_most(out.get("external_id"), 255, "view", "external_id")
    blocks = out.get("blocks") or []
    if out["type"] == "modal" and not blocks:
        raise BlockKitError("view", "a modal needs at least one block")
    if any(b.get("type") == "input" for b in blocks if isinstance(b, dict)) and "submit" not in out:
        raise BlockKitError("view", "a modal with inputs needs a submit button")
    _blocks(blocks, VIEW_BLOCKS, "view.blocks")
    return out


def fit_answer(body: dict[str, Any]) -> dict[str, Any]:
    """A slash command's or `response_url` answer (text and optional blocks)."""
    out = dict(body)
    if "text" in out:
        out["text"] = trim(str(out["text"]), MESSAGE_TEXT)
    if "blocks" in out:
        out["blocks"] = fit_blocks(out["blocks"])
    return out


def fit_unfurls(unfurls: dict[str, Any]) -> dict[str, Any]:
    return {url: {**card, "blocks": fit_blocks(card.get("blocks"))} if "blocks" in card else card
            for url, card in unfurls.items()}
