"""The real Unleash server the firebreak tests run against: a flag is pulled and restored through its admin API."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import unleashserver
from unleashserver import unleash  # noqa: F401

FLAG = "refund-agent"
TESTS = Path(unleashserver.__file__).resolve().parent
SWITCH = f"/api/admin/projects/default/features/{FLAG}/environments/production"


@pytest.fixture(scope="module")
def flag(unleash):  # noqa: F811
    unleash.create_flag(FLAG, environment="production", enabled=True)
    return FLAG


def test_a_new_flag_is_on_only_where_it_was_enabled(unleash, flag):  # noqa: F811
    assert unleash.is_enabled(flag, environment="production")
    assert not unleash.is_enabled(flag, environment="development")


def test_the_admin_token_turns_the_flag_off_and_on_again(unleash, flag):  # noqa: F811
    status, _ = unleash.request("POST", f"{SWITCH}/off")
    assert status == 200
    assert not unleash.is_enabled(flag, environment="production")

    status, _ = unleash.request("POST", f"{SWITCH}/off")  # pulling a pulled flag is no error
    assert status == 200
    assert not unleash.is_enabled(flag, environment="production")

    status, _ = unleash.request("POST", f"{SWITCH}/on")
    assert status == 200
    assert unleash.is_enabled(flag, environment="production")


@pytest.mark.parametrize("token", ["*:*.not-the-admin-token", ""])
def test_a_wrong_or_missing_token_is_refused_and_changes_nothing(unleash, flag, token):  # noqa: F811
    status, _ = unleash.request("POST", f"{SWITCH}/off", token=token)
    assert status in (401, 403)
    assert unleash.is_enabled(flag, environment="production")


def test_a_client_token_may_not_use_the_admin_api(unleash, flag):  # noqa: F811
    status, created = unleash.request("POST", "/api/admin/api-tokens", {
        "tokenName": "sdk", "type": "client", "environment": "production", "projects": ["*"]})
    assert status == 201, created
    status, _ = unleash.request("POST", f"{SWITCH}/off", token=created["secret"])
    assert status in (401, 403)
    assert unleash.is_enabled(flag, environment="production")


def test_an_unknown_flag_or_environment_is_not_found(unleash, flag):  # noqa: F811
    assert unleash.request("POST", "/api/admin/projects/default/features/no-such-flag/environments/production/off"
                           )[0] == 404
    assert unleash.request("POST", f"/api/admin/projects/default/features/{flag}/environments/staging/off")[0] == 404


def test_it_listens_on_loopback_only(unleash):  # noqa: F811
    assert unleash.url.startswith("http://127.0.0.1:")


def test_the_cache_folder_is_never_inside_the_repository(monkeypatch):
    repo = TESTS.parent
    monkeypatch.setenv("FIREHOUSE_UNLEASH_DIR", str(repo / "node_cache"))
    with pytest.raises(ValueError, match="inside the repository"):
        unleashserver.cache_dir()


def test_the_cache_folder_can_be_chosen(monkeypatch, tmp_path):
    monkeypatch.setenv("FIREHOUSE_UNLEASH_DIR", str(tmp_path / "unleash"))
    assert unleashserver.cache_dir() == (tmp_path / "unleash").resolve()


def _run_pytest_without_node(tmp_path: Path, ci: str | None) -> subprocess.CompletedProcess:
    """A pytest run of its own, in tmp_path, of a test that needs the fixture, with no node on PATH."""
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    (tmp_path / "test_uses_unleash.py").write_text(textwrap.dedent("""
        import pytest
        from unleashserver import unleash  # noqa: F401

        @pytest.fixture(scope="session")
        def postgres_url():
            return "postgresql+psycopg://nobody@127.0.0.1:1/postgres"

        def test_needs_unleash(unleash):
            pass
    """))
    empty = tmp_path / "bin"
    empty.mkdir(exist_ok=True)
    env = {key: value for key, value in os.environ.items() if key not in ("CI", "PYTHONPATH")}
    env.update(PATH=str(empty), PYTHONPATH=str(TESTS), FIREHOUSE_UNLEASH_DIR=str(tmp_path / "cache"))
    if ci is not None:
        env["CI"] = ci
    return subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-rs", str(tmp_path)],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120, check=False)


def test_without_node_the_fixture_skips_outside_ci(tmp_path):
    run = _run_pytest_without_node(tmp_path, ci=None)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "1 skipped" in run.stdout
    assert "Node.js is not installed" in run.stdout


def test_without_node_the_fixture_fails_in_ci(tmp_path):
    run = _run_pytest_without_node(tmp_path, ci="true")
    assert run.returncode == 1, run.stdout + run.stderr
    assert "1 error" in run.stdout
    assert "Unleash is needed in CI: Node.js is not installed" in run.stdout
