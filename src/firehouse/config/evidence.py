"""`[evidence]`: who the evidence pack says it comes from, and the time-stamping authority that fixes it in time."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from firehouse.config import shape
from firehouse.config.integrations import text_of, url_of

EVIDENCE_KEYS = ("organization", "contact", "tsa_url", "tsa_ca", "timeout")
DEFAULT_TIMEOUT = timedelta(seconds=10)
MAX_TEXT = 200


@dataclass(frozen=True)
class EvidenceSettings:
    organization: str | None = None  # bag-info.txt's Source-Organization
    contact: str | None = None  # its Contact-Email
    tsa_url: str | None = None  # the time-stamping authority's full URL (RFC 3161 over HTTP)
    tsa_ca: Path | None = None  # the authority's CA certificate (PEM), for `firehouse evidence verify`
    timeout: timedelta = DEFAULT_TIMEOUT


def evidence(table: Any, *, duration: Any) -> EvidenceSettings:
    spec = shape.table(table, "evidence")
    shape.no_unknown(spec, EVIDENCE_KEYS, where="evidence.")
    texts = {}
    for key in ("organization", "contact"):
        if key in spec:
            value = text_of(spec[key], f"evidence.{key}").strip()
            if len(value) > MAX_TEXT or "\n" in value:
                raise ValueError(f"evidence.{key} is one line of at most {MAX_TEXT} characters")
            texts[key] = value
    if "contact" in texts and "@" not in texts["contact"]:
        raise ValueError(f"evidence.contact must be an email address, not {texts['contact']!r}")
    ca = None
    if "tsa_ca" in spec:
        ca = Path(text_of(spec["tsa_ca"], "evidence.tsa_ca"))  # relative: to the working directory
    return EvidenceSettings(
        organization=texts.get("organization"), contact=texts.get("contact"),
        tsa_url=url_of(spec["tsa_url"], "evidence.tsa_url") if "tsa_url" in spec else None, tsa_ca=ca,
        timeout=duration(spec["timeout"], "evidence.timeout") if "timeout" in spec else DEFAULT_TIMEOUT)
