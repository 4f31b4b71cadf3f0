"""Fixtures for the domain's unit tests."""

import time

import pytest


@pytest.fixture
def server_in_cet(monkeypatch):
    """The server's local zone is one hour east of UTC: nothing in the domain may depend on it."""
    monkeypatch.setenv("TZ", "CET-1")  # a POSIX zone string: needs no zone database
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()
