"""okr, as the notifier sees it: the queries and commands of contract §5 over the bus.

The notifier acts as `service:notifier` for what is named for it (reminder targets,
directory upserts) and for reads; everything a person does from Slack (check-ins,
approvals) is sent as that person's Boost user, so okr authorises it like the REST call."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from typing import Any

from boost_bus import Bus, BusReplyError

SERVICE = "service:notifier"


class Okr:
    def __init__(self, bus: Bus, default_locale: str = "en") -> None:
        self.bus = bus
        self.names = bus.names
        self.default_locale = default_locale
        self._slack_users: dict[str, tuple[float, dict[str, Any] | None]] = {}
        self._users: dict[int, tuple[float, dict[str, Any] | None]] = {}

    async def query(self, name: str, body: dict[str, Any], timeout: float = 5.0) -> Any:
        return await self.bus.request(self.names.query("okr", name), {"actor_id": SERVICE, **body}, timeout=timeout)

    async def command(self, name: str, body: dict[str, Any], timeout: float = 5.0) -> Any:
        return await self.bus.request(self.names.cmd("okr", name), body, timeout=timeout)

    # ------------------------------------------------------------------ people
    async def user(self, user_id: int, *, fresh: bool = False, timeout: float = 5.0) -> dict[str, Any] | None:
        cached = self._users.get(user_id)
        if cached and not fresh and time.monotonic() - cached[0] < 30:
            return cached[1]
        try:
            user = await self.query("user", {"id": user_id}, timeout=timeout)
        except BusReplyError as exc:
            if exc.error.get("status") != 404:
                raise
            user = None
        self._users[user_id] = (time.monotonic(), user)
        return user

    async def user_by_slack(self, slack_user_id: str, timeout: float = 5.0) -> dict[str, Any] | None:
        """The Boost user of a Slack user (cached a minute: every Slack request needs it)."""
        cached = self._slack_users.get(slack_user_id)
        if cached and time.monotonic() - cached[0] < 60:
            return cached[1]
        try:
            user = await self.query("user", {"slack_user_id": slack_user_id}, timeout=timeout)
        except BusReplyError as exc:
            if exc.error.get("status") != 404:
                raise
            user = None
        if user is not None and not user.get("active", True):
            user = None
        self._slack_users[slack_user_id] = (time.monotonic(), user)
        if len(self._slack_users) > 5000:
            self._slack_users.clear()
        return user

    def locale_of(self, user: dict[str, Any] | None) -> str:
        locale = (user or {}).get("locale")
        return locale if locale in ("ko", "en") else self.default_locale

    async def target(self, user_id: int, kind: str) -> dict[str, Any] | None:
        """A person as a reminder target (the shape of `okr.query.reminder_targets` items)."""
        user = await self.user(user_id)
        if user is None or not user.get("active", True):
            return None
        return {"user_id": user["id"], "slack_user_id": user.get("slack_user_id"), "name": user.get("name"),
                "locale": self.locale_of(user), "timezone": user.get("timezone"),
                "muted": kind in (user.get("muted_reminders") or []), "team_ids": [t["id"] for t in user.get("teams", [])],
                "key_result_ids": [], "objective_ids": []}

    async def targets(self, kind: str, cycle: str, objective_id: int | None = None,
                      limit: int = 1000) -> AsyncIterator[list[dict[str, Any]]]:
        after: int | None = None
        while True:
            body: dict[str, Any] = {"kind": kind, "cycle": cycle, "limit": limit}
            if objective_id is not None:
                body["objective_id"] = objective_id
            if after is not None:
                body["after"] = after
            page = await self.query("reminder_targets", body, timeout=30)
            yield page["items"]
            after = page.get("next")
            if after is None:
                return

    # ------------------------------------------------------------------ the org
    async def org(self, timeout: float = 5.0) -> dict[str, Any]:
        """The org's settings (its timezone sets when a team digest is due)."""
        return await self.query("org", {}, timeout=timeout)  # type: ignore[no-any-return]

    # ------------------------------------------------------------------ OKRs
    async def objective(self, objective_id: int, timeout: float = 5.0) -> dict[str, Any] | None:
        try:
            return await self.query("objective", {"id": objective_id}, timeout=timeout)  # type: ignore[no-any-return]
        except BusReplyError as exc:
            if exc.error.get("status") == 404:
                return None
            raise

    async def key_results_by_id(self, ids: list[int], cycle: str | None) -> dict[int, dict[str, Any]]:
        out: dict[int, dict[str, Any]] = {}
        for start in range(0, len(ids), 500):
            chunk = ids[start:start + 500]
            body: dict[str, Any] = {"ids": chunk}
            if cycle:
                body["cycle"] = cycle
            for kr in await self.query("key_results", body, timeout=15):
                out[int(kr["id"])] = kr
        return out

    async def my_key_results(self, user_id: int, cycle: str = "current", timeout: float = 5.0) -> list[dict[str, Any]]:
        body = {"actor_id": user_id, "owner_id": "me", "cycle": cycle}
        return await self.bus.request(self.names.query("okr", "key_results"), body, timeout=timeout)  # type: ignore[no-any-return]

    async def teams(self, timeout: float = 5.0) -> list[dict[str, Any]]:
        return await self.query("teams", {}, timeout=timeout)  # type: ignore[no-any-return]

    async def dashboard(self, cycle: str, team_id: int | None, timeout: float = 10.0) -> dict[str, Any]:
        return await self.query("dashboard", {"cycle": cycle, "team_id": team_id}, timeout=timeout)  # type: ignore[no-any-return]

    # ------------------------------------------------------------------ commands, as the person
    async def check_in(self, actor_id: int, key_result_id: int, value: float, confidence: int | None, note: str,
                       timeout: float = 10.0) -> dict[str, Any]:
        return await self.command("check_in", {"actor_id": actor_id, "key_result_id": key_result_id, "value": value,  # type: ignore[no-any-return]
                                               "confidence": confidence, "note": note}, timeout=timeout)

    async def approve(self, actor_id: int, objective_id: int, timeout: float = 10.0) -> dict[str, Any]:
        return await self.command("approve", {"actor_id": actor_id, "objective_id": objective_id}, timeout=timeout)  # type: ignore[no-any-return]

    async def request_changes(self, actor_id: int, objective_id: int, comment: str, timeout: float = 10.0) -> dict[str, Any]:
        return await self.command("request_changes", {"actor_id": actor_id, "objective_id": objective_id,  # type: ignore[no-any-return]
                                                      "comment": comment}, timeout=timeout)

    async def upsert_users(self, users: list[dict[str, Any]], deactivate_missing: bool) -> dict[str, Any]:
        return await self.command("upsert_users", {"actor_id": SERVICE, "users": users,  # type: ignore[no-any-return]
                                                   "deactivate_missing_slack_users": deactivate_missing}, timeout=60)

    def forget(self, slack_user_id: str | None = None) -> None:
        if slack_user_id:
            self._slack_users.pop(slack_user_id, None)
        else:
            self._slack_users.clear()
            self._users.clear()
