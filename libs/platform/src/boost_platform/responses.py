"""The base of every service's response models: what a route returns, for the OpenAPI
document (and the web app's types generated from it) and for FastAPI's response check."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import FastAPI
from pydantic import BaseModel, ConfigDict

from .problems import PROBLEM_JSON

# extra="forbid": a field a route sends but its model lacks fails loudly (a 500 in tests)
# instead of being dropped silently. Fields with defaults are still always sent, so the
# document marks them required and clients need no `?` for them.
RESPONSE_CONFIG = ConfigDict(extra="forbid", json_schema_serialization_defaults_required=True)


class ResponseModel(BaseModel):
    model_config = RESPONSE_CONFIG



class Health(ResponseModel):
    status: Literal["ok"]
    service: str


class Readiness(ResponseModel):
    ready: bool
    service: str
    dependencies: dict[str, Literal["up", "down"]]  # e.g. database, nats


class ProblemError(BaseModel):
    """One mistake in a refused request: where (`loc`, or a CSV `row` and `field`) and what."""

    model_config = ConfigDict(extra="allow")
    msg: str
    loc: list[str | int] | None = None
    type: str | None = None
    row: int | None = None
    field: str | None = None


class ProblemDetails(BaseModel):
    """An RFC 9457 problem: what every error answer of every service carries."""

    model_config = ConfigDict(title="Problem")
    type: str = "about:blank"
    title: str
    status: int
    detail: str
    errors: list[ProblemError] | None = None  # a refused request: one entry per mistake
    current: dict[str, Any] | None = None  # a 409: the entity as it is now


def document_problems(app: FastAPI) -> None:
    """FastAPI documents its 422 as `HTTPValidationError` JSON; Boost answers every error as
    problem+json (boost_platform.problems). Say so in the OpenAPI document."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        doc = build()
        schemas = doc.setdefault("components", {}).setdefault("schemas", {})
        for name in ("HTTPValidationError", "ValidationError"):
            schemas.pop(name, None)
        problem_schema = ProblemDetails.model_json_schema(ref_template="#/components/schemas/{model}")
        schemas.update(problem_schema.pop("$defs"))
        schemas["Problem"] = problem_schema
        problem = {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}}
        for operations in doc.get("paths", {}).values():
            for operation in operations.values():
                invalid = operation.get("responses", {}).get("422")
                if invalid is not None:
                    invalid["content"] = problem
        app.openapi_schema = doc
        return doc

    app.openapi = openapi  # type: ignore[method-assign]
