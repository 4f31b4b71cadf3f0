"""Notices and updates: one sandboxed Jinja2 environment over the reviewed templates in files."""
