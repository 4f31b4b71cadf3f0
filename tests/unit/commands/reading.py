"""Parsing as `/incident` does, for the grammar's tests: the text's command, or the UsageError it raises."""

from __future__ import annotations

import pytest

from firehouse.bolt.table import parse
from firehouse.domain.classes import Catalog, IncidentClass
from firehouse.errors import UsageError

# A deployment with its own classes, causes and roles: forms and choices must come from it, not the defaults.
CUSTOM = Catalog(
    classes={"hallucination": IncidentClass("hallucination", "made-up facts", ("product",)),
             "leak": IncidentClass("leak", "data left the tenant", ("legal",), private=True)},
    causes={"vendor": "the model vendor changed something", "drift": "the inputs drifted"},
    roles=("ic", "scribe"),
)


def p(text: str):
    return parse(text, catalog=Catalog()).command


def refused(text: str, catalog: Catalog | None = None) -> UsageError:
    """The UsageError that parsing `text` raises."""
    with pytest.raises(UsageError) as err:
        parse(text, catalog=catalog or Catalog())
    return err.value
