"""Inbound from Slack: the `/incident` grammar, the command table and the listeners."""
