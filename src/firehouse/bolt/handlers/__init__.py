"""What each `/incident` subcommand, button and form does: call its use case, and say what happened.

A handler takes the parsed command (or a button's value, or a form's reading) and the request, and returns
the private reply, or None when it already answered, e.g. by opening a form. Errors are turned into replies
by the listener that called it. One module per area; handlers never call the gateway, they open forms and
share charts through the use cases' outbound port.
"""

from __future__ import annotations

from firehouse.bolt.handlers.incidents import list_incidents
from firehouse.bolt.handlers.request import Form, Request, Services

__all__ = ["Form", "Request", "Services", "list_incidents"]
