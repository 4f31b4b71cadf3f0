"""`firehouse doctor`'s lines for the status pages: Atlassian Statuspage is read with the key (the page, then its
components, each configured one among them; nothing is published), and Firehouse's own page has the port it is
served on."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import replace
from datetime import timedelta

from firehouse.config import Settings
from firehouse.integrations.statuspage import HttpStatusPages
from firehouse.ops.check import REACH_TIMEOUT, Check


def status_page_checks(settings: Settings, *, environ: Mapping[str, str]) -> Iterator[Check]:
    pages = settings.status_page
    if pages.statuspage:
        page = replace(pages.statuspage, timeout=min(pages.statuspage.timeout, timedelta(seconds=REACH_TIMEOUT)))
        with HttpStatusPages() as client:
            problem = client.check(page)
        mapped = ", ".join(f"{key} → {component}" for key, component in page.components.items()) or "no components"
        yield Check("status page statuspage", problem is None,
                    problem or f"page {page.page_id} at {page.url} answers with the key; {mapped}")
    if pages.firehouse:
        port = environ.get("FIREHOUSE_STATUS_PORT", "").strip()
        where = f"on port {port} (FIREHOUSE_STATUS_PORT)" if port else "on the port --status-port names"
        yield Check("status page firehouse", True, f"{pages.firehouse.name!r}, reached at {pages.firehouse.url},"
                                                   f" served {where}")
