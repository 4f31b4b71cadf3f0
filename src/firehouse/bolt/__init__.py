"""Inbound from Slack: the command table, the handlers of commands, buttons and forms, and the listeners."""
