"""Firehouse: a self-hosted Slack bot that runs the war room for AI incidents."""

__version__ = "0.1.0"
