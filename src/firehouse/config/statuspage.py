"""`[status_page.statuspage]` and `[status_page.firehouse]`: where approved product notices are published, to
Atlassian Statuspage, to Firehouse's own public page, or both. The API key is named by environment variable."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from firehouse.config import shape
from firehouse.config.integrations import secret_of, text_of, url_of
from firehouse.domain.classes import Catalog
from firehouse.domain.statuspage import COMPONENT_STATES, DEFAULT_STATES

STATUSPAGE_URL = "https://api.statuspage.io"
STATUSPAGE_KEYS = ("page_id", "api_key_env", "url", "components", "states", "notify", "timeout")
FIREHOUSE_KEYS = ("name", "url", "components", "states")
DEFAULT_TIMEOUT = timedelta(seconds=10)
MAX_NAME = 100


@dataclass(frozen=True)
class StatuspageSettings:
    """Atlassian Statuspage: the page, its API key, and each class's component id."""

    page_id: str
    api_key: str = field(repr=False)
    api_key_env: str = field(default="", compare=False)  # for `firehouse doctor` to name
    url: str = STATUSPAGE_URL
    components: Mapping[str, str] = field(default_factory=dict)  # class → component id
    states: Mapping[str, str] = field(default_factory=lambda: dict(DEFAULT_STATES))  # sev1 → major_outage, …
    notify: bool = False  # Statuspage's deliver_notifications: its subscribers hear of each update
    timeout: timedelta = DEFAULT_TIMEOUT


@dataclass(frozen=True)
class OwnPageSettings:
    """Firehouse's own public page: its name, the public URL it is reached at, and each class's component."""

    name: str
    url: str
    components: Mapping[str, str] = field(default_factory=dict)  # class → the component's public name
    states: Mapping[str, str] = field(default_factory=lambda: dict(DEFAULT_STATES))


@dataclass(frozen=True)
class StatusPageSettings:
    statuspage: StatuspageSettings | None = None
    firehouse: OwnPageSettings | None = None

    @property
    def enabled(self) -> bool:
        return self.statuspage is not None or self.firehouse is not None

    def state(self, severity: str) -> str:
        """The component state a `sev1`… incident gives its class's component (both pages agree, or start-up
        stopped)."""
        page = self.statuspage or self.firehouse
        return page.states[severity] if page else DEFAULT_STATES[severity]


def status_page(table: Any, *, catalog: Catalog, secrets: Mapping[str, str] | None,
                duration: Any) -> StatusPageSettings:
    spec = shape.table(table, "status_page")
    shape.no_unknown(spec, ("statuspage", "firehouse"), where="status_page.")
    found = StatusPageSettings()
    if "statuspage" in spec:
        found = StatusPageSettings(statuspage=_statuspage(spec["statuspage"], catalog=catalog, secrets=secrets,
                                                          duration=duration))
    if "firehouse" in spec:
        found = StatusPageSettings(statuspage=found.statuspage, firehouse=_own(spec["firehouse"], catalog=catalog))
    if found.statuspage and found.firehouse and found.statuspage.states != found.firehouse.states:
        raise ValueError("status_page.firehouse.states differs from status_page.statuspage.states: an incident's"
                         " component has one state on both pages, so set states in one table only")
    return found


def _statuspage(table: Any, *, catalog: Catalog, secrets: Mapping[str, str] | None,
                duration: Any) -> StatuspageSettings:
    where = "status_page.statuspage"
    spec = shape.table(table, where)
    shape.no_unknown(spec, STATUSPAGE_KEYS, where=f"{where}.")
    for key in ("page_id", "api_key_env"):
        if key not in spec:
            raise ValueError(f"{where} lacks {key} (Statuspage needs page_id and api_key_env)")
    notify = spec.get("notify", False)
    if not isinstance(notify, bool):
        raise ValueError(f"{where}.notify must be true or false")
    return StatuspageSettings(
        page_id=_id(spec["page_id"], f"{where}.page_id"),
        api_key=secret_of(spec["api_key_env"], f"{where}.api_key_env", secrets),
        api_key_env=spec["api_key_env"],
        url=url_of(spec.get("url", STATUSPAGE_URL), f"{where}.url").rstrip("/"),
        components={key: _id(value, f"{where}.components.{key}")
                    for key, value in _components(spec, where, catalog).items()},
        states=_states(spec, where),
        notify=notify,
        timeout=duration(spec["timeout"], f"{where}.timeout") if "timeout" in spec else DEFAULT_TIMEOUT)


def _own(table: Any, *, catalog: Catalog) -> OwnPageSettings:
    where = "status_page.firehouse"
    spec = shape.table(table, where)
    shape.no_unknown(spec, FIREHOUSE_KEYS, where=f"{where}.")
    for key in ("name", "url"):
        if key not in spec:
            raise ValueError(f"{where} lacks {key} (Firehouse's page needs a name and the public url it is"
                             " reached at)")
    name = text_of(spec["name"], f"{where}.name").strip()
    if len(name) > MAX_NAME:
        raise ValueError(f"{where}.name is at most {MAX_NAME} characters")
    components = {}
    for key, value in _components(spec, where, catalog).items():
        shown = text_of(value, f"{where}.components.{key}").strip()
        if len(shown) > MAX_NAME:
            raise ValueError(f"{where}.components.{key} is at most {MAX_NAME} characters")
        components[key] = shown
    return OwnPageSettings(name=name, url=url_of(spec["url"], f"{where}.url").rstrip("/"), components=components,
                           states=_states(spec, where))


def _components(spec: dict, where: str, catalog: Catalog) -> dict[str, Any]:
    components = shape.table(spec.get("components", {}), f"{where}.components")
    for key in components:
        if key not in catalog.classes:
            raise ValueError(f"{where}.components: {key!r} is not one of the classes ({', '.join(catalog.classes)})")
    return dict(components)


def _states(spec: dict, where: str) -> dict[str, str]:
    states = dict(DEFAULT_STATES)
    given = shape.table(spec.get("states", {}), f"{where}.states")
    for key, value in given.items():
        severity = key.lower()
        if severity not in DEFAULT_STATES:
            raise ValueError(f"{where}.states: {key!r} is not a severity (sev1, sev2 or sev3)")
        if value not in COMPONENT_STATES or value == "operational":
            raise ValueError(f"{where}.states.{key} must be one of {', '.join(COMPONENT_STATES[1:])}, not {value!r}")
        states[severity] = value
    return states


def _id(value: Any, key: str) -> str:
    text = text_of(value, key).strip()
    if not text.isalnum() or len(text) > 64:
        raise ValueError(f"{key} must be Statuspage's id (letters and digits), not {value!r}")
    return text
