"""Inbound from other systems: alert webhooks from Prometheus Alertmanager and Grafana.

`alerts_app` is the WSGI app for `/alerts/*` (a bearer token, a size cap, the payload parsed into domain
objects, stored, 202); `AlertWorker` processes what was stored, off the request path.
"""

from firehouse.intake.app import alerts_app
from firehouse.intake.worker import AlertWorker

__all__ = ["AlertWorker", "alerts_app"]
