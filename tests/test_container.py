"""The container: the Dockerfile runs Firehouse unprivileged with its SQLite database in a volume and a health
check that works; compose.yaml scales it out on PostgreSQL. Read as files (no Docker daemon needed); where
`docker compose` is installed, it validates compose.yaml too."""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from botprocess import BotProcess
from fakeslack import FakeSlack

ROOT = Path(__file__).resolve().parents[1]


def instructions() -> list[tuple[str, str]]:
    """The Dockerfile's final stage as (INSTRUCTION, arguments), continuation lines joined."""
    text = (ROOT / "Dockerfile").read_text().replace("\\\n", " ")
    found = [(line.split(None, 1)[0].upper(), line.split(None, 1)[1].strip() if " " in line.strip() else "")
             for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    last_from = max(i for i, (op, _) in enumerate(found) if op == "FROM")
    return found[last_from:]


def one(op: str) -> str:
    [value] = [args for name, args in instructions() if name == op]
    return value


def env() -> dict[str, str]:
    pairs = [pair for name, args in instructions() if name == "ENV" for pair in shlex.split(args)]
    return dict(pair.split("=", 1) for pair in pairs)


def test_the_image_is_slim_python_and_installs_the_package_with_postgres_support():
    assert one("FROM").startswith("python:3.") and one("FROM").endswith("-slim")
    installs = [args for name, args in instructions() if name == "RUN" and "pip install" in args]
    assert installs and "firehouse-*.whl" in installs[0] and "[postgres]" in installs[0]
    assert "pip wheel" in (ROOT / "Dockerfile").read_text()  # built from this checkout, not fetched by name


def test_the_process_runs_as_an_unprivileged_user_set_before_the_command():
    ops = [name for name, _ in instructions()]
    user = one("USER").split(":")[0]
    assert user not in ("root", "0", "")
    assert ops.index("USER") < ops.index("CMD")
    assert "useradd" in next(args for name, args in instructions() if name == "RUN" and "useradd" in args)


def test_the_sqlite_database_lives_in_the_data_volume_owned_by_that_user():
    assert json.loads(one("VOLUME")) == ["/data"]
    assert env()["FIREHOUSE_DATABASE_URL"] == "sqlite:////data/firehouse.db"
    assert "chown firehouse:firehouse /data" in next(args for name, args in instructions() if "chown" in args)


def test_the_command_serves_on_the_port_the_health_check_asks():
    assert json.loads(one("CMD")) == ["firehouse", "serve", "--port", "3000"]
    assert one("EXPOSE") == "3000" and env()["FIREHOUSE_HEALTH_PORT"] == "3000"
    assert "/healthz" in one("HEALTHCHECK") and "CMD" in one("HEALTHCHECK")


def test_the_health_check_command_passes_against_a_serving_firehouse_and_fails_without_one(tmp_path):
    check = json.loads(one("HEALTHCHECK").split("CMD", 1)[1])
    assert check[0] == "python"
    command = [sys.executable, *check[1:]]
    with FakeSlack() as fake, BotProcess(fake=fake, workdir=tmp_path) as bot:
        healthy = subprocess.run(command, env={**os.environ, "FIREHOUSE_HEALTH_PORT": str(bot.port)},
                                 capture_output=True, timeout=30)
        assert healthy.returncode == 0, healthy.stderr
        port = bot.port
    stopped = subprocess.run(command, env={**os.environ, "FIREHOUSE_HEALTH_PORT": str(port)},
                             capture_output=True, timeout=30)
    assert stopped.returncode != 0


def test_the_build_context_leaves_out_secrets_databases_and_the_repository():
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert {".git", ".env", "*.db", "tests", "firehouse.toml"} <= set(ignored)


# --- compose.yaml: PostgreSQL and two replicas ----------------------------------------------------------------


@pytest.fixture
def compose() -> dict:
    return yaml.safe_load((ROOT / "compose.yaml").read_text())


def test_compose_runs_two_replicas_of_the_image_on_postgresql(compose):
    firehouse = compose["services"]["firehouse"]
    assert firehouse["build"] == "." and firehouse["deploy"]["replicas"] == 2
    assert firehouse["env_file"] == ".env"
    url = firehouse["environment"]["FIREHOUSE_DATABASE_URL"]
    assert url.startswith("postgresql+psycopg://") and "@postgres:5432/" in url
    assert firehouse["environment"]["SLACK_APP_TOKEN"] == ""  # HTTP mode: the replicas share the load
    assert firehouse["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert firehouse["ports"] == ["3000-3001:3000"]  # one host port per replica, no fixed port to fight over


def test_compose_keeps_postgresql_in_a_named_volume_and_checks_it_is_ready(compose):
    postgres = compose["services"]["postgres"]
    assert postgres["image"].startswith("postgres:")
    [volume] = postgres["volumes"]
    name, target = volume.split(":")
    assert target == "/var/lib/postgresql/data" and name in compose["volumes"]
    assert "pg_isready" in " ".join(postgres["healthcheck"]["test"])
    assert "POSTGRES_PASSWORD" in postgres["environment"]


def test_compose_mounts_the_settings_file_read_only_and_refuses_a_missing_one(compose):
    [mount] = compose["services"]["firehouse"]["volumes"]
    assert mount["target"] == "/etc/firehouse/firehouse.toml" and mount["read_only"] is True
    assert mount["bind"]["create_host_path"] is False  # else Docker makes a directory of that name


@pytest.mark.skipif(shutil.which("docker") is None or subprocess.run(
    ["docker", "compose", "version"], capture_output=True).returncode != 0, reason="docker compose is not installed")
def test_docker_compose_accepts_the_file(tmp_path):
    (tmp_path / ".env").write_text("POSTGRES_PASSWORD=example\nSLACK_BOT_TOKEN=xoxb-1\nSLACK_SIGNING_SECRET=s\n")
    (tmp_path / "firehouse.toml").write_text("")
    shutil.copy(ROOT / "compose.yaml", tmp_path / "compose.yaml")
    done = subprocess.run(["docker", "compose", "config", "--quiet"], cwd=tmp_path, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
