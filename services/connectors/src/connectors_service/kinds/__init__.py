"""The source kinds (contract §9). Adding a kind: one module implementing `base.Kind`,
and one line here."""

from __future__ import annotations

from .base import FetchError, Kind, SourceSpec
from .github import GithubKind
from .http_json import HttpJsonKind
from .jira import JiraKind
from .prometheus import PrometheusKind
from .sql import SqlKind
from .webhook import WebhookKind


def all_kinds() -> dict[str, Kind]:
    kinds: list[Kind] = [SqlKind(), PrometheusKind(), HttpJsonKind(), GithubKind(), JiraKind(), WebhookKind()]
    return {k.name: k for k in kinds}


KIND_NAMES = ("sql", "prometheus", "http_json", "github", "jira", "webhook")

__all__ = ["KIND_NAMES", "FetchError", "Kind", "SourceSpec", "all_kinds"]
