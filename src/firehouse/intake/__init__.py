"""Inbound from other systems: alert webhooks from Prometheus Alertmanager and Grafana, and PagerDuty's
acknowledgements of pages.

`alerts_app` is the WSGI app for `/alerts/*` (a bearer token, a size cap, the payload parsed into domain
objects, stored, 202); `AlertWorker` processes what was stored, off the request path. `pagerduty_app` is the one
for `/pagerduty` (PagerDuty's signature, a size cap, a stale event refused, the page's new state recorded).
"""

from firehouse.intake.app import alerts_app
from firehouse.intake.pagerduty import pagerduty_app
from firehouse.intake.worker import AlertWorker

__all__ = ["AlertWorker", "alerts_app", "pagerduty_app"]
