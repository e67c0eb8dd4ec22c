"""RFC 9457 problem+json for every error a service answers."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

import sqlalchemy.exc
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from .logging import get_logger

PROBLEM_JSON = "application/problem+json"
log = get_logger("boost.problems")


class Problem(Exception):
    """A domain error with its HTTP status; views raise it, the handler renders it."""

    def __init__(
        self,
        status: int,
        detail: str = "",
        *,
        title: str | None = None,
        type: str = "about:blank",
        errors: list[dict[str, Any]] | None = None,
        current: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail or title or "")
        self.status = status
        self.title = title or HTTPStatus(status).phrase
        self.detail = detail
        self.type = type
        self.errors = errors
        self.current = current
        self.headers = headers

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {"type": self.type, "title": self.title, "status": self.status, "detail": self.detail}
        if self.errors is not None:
            body["errors"] = self.errors
        if self.current is not None:
            body["current"] = self.current
        return body

    @classmethod
    def from_body(cls, body: dict[str, Any]) -> Problem:
        return cls(int(body.get("status", 500)), body.get("detail", ""), title=body.get("title"),
                   errors=body.get("errors"), current=body.get("current"))


def not_found(what: str) -> Problem:
    return Problem(404, f"{what} was not found")


def forbidden(detail: str = "You are not allowed to do this.") -> Problem:
    return Problem(403, detail)


def conflict(detail: str, current: dict[str, Any] | None = None) -> Problem:
    return Problem(409, detail, current=current)


def invalid(detail: str, field: str | None = None) -> Problem:
    errors = [{"loc": ["body", field] if field else ["body"], "msg": detail, "type": "value_error"}]
    return Problem(422, detail, title="Unprocessable Content", errors=errors)


def database_unavailable(exc: BaseException) -> bool:
    """The database is down or unreachable (refused, gone away, lost mid-query, pool
    exhausted): the caller should retry later, so it is a 503, not a bug of ours."""
    if isinstance(exc, sqlalchemy.exc.TimeoutError | sqlalchemy.exc.InterfaceError):
        return True
    if isinstance(exc, sqlalchemy.exc.DBAPIError):
        return exc.connection_invalidated or isinstance(exc, sqlalchemy.exc.OperationalError)
    return False


UNAVAILABLE = Problem(503, "The database is unavailable; try again in a moment.", title="Service Unavailable",
                      headers={"Retry-After": "2"})


def problem_response(problem: Problem) -> JSONResponse:
    return JSONResponse(problem.body(), status_code=problem.status, media_type=PROBLEM_JSON, headers=problem.headers)


def _jsonable_errors(errors: Any) -> list[dict[str, Any]]:
    out = []
    for err in errors:
        item = {"loc": list(err.get("loc", [])), "msg": str(err.get("msg", "")), "type": str(err.get("type", ""))}
        out.append(item)
    return out


def install_problem_handlers(app: FastAPI) -> None:
    @app.exception_handler(Problem)
    async def _problem(_: Request, exc: Problem) -> JSONResponse:
        return problem_response(exc)

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = _jsonable_errors(exc.errors())
        first = errors[0] if errors else {"loc": [], "msg": "invalid request"}
        where = ".".join(str(p) for p in first["loc"][1:]) or "request"
        return problem_response(
            Problem(422, f"{where}: {first['msg']}", title="Unprocessable Content", errors=errors)
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        detail = exc.detail if isinstance(exc.detail, str) else ""
        return problem_response(Problem(exc.status_code, detail, headers=getattr(exc, "headers", None)))

    @app.exception_handler(sqlalchemy.exc.SQLAlchemyError)
    async def _database(request: Request, exc: sqlalchemy.exc.SQLAlchemyError) -> JSONResponse:
        if database_unavailable(exc):
            log.warning("database unavailable", path=request.url.path, error=repr(exc)[:200])
            return problem_response(UNAVAILABLE)
        return await _unhandled(request, exc)

    @app.exception_handler(Exception)
    async def _unhandled(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error", path=request.url.path)
        return problem_response(Problem(500, "Something went wrong on our side; it has been logged."))
