"""The base of every service's response models: what a route returns, for the OpenAPI
document (and the web app's types generated from it) and for FastAPI's response check."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

# extra="forbid": a field a route sends but its model lacks fails loudly (a 500 in tests)
# instead of being dropped silently. Fields with defaults are still always sent, so the
# document marks them required and clients need no `?` for them.
RESPONSE_CONFIG = ConfigDict(extra="forbid", json_schema_serialization_defaults_required=True)


class ResponseModel(BaseModel):
    model_config = RESPONSE_CONFIG
