"""Lifting OpenTelemetry GenAI attributes out of a trace, whatever shape its source sends.

Three shapes are understood, anywhere in the document:
- OTLP JSON: `attributes` as a list of `{"key": …, "value": {"stringValue" | "intValue" | …}}`;
- spans whose `attributes` are a plain object, flat (`"gen_ai.request.model"`) or nested
  (`{"gen_ai": {"request": {"model": …}}}`);
- Langfuse traces: observations with `model`, `modelParameters` and `usage` / `usageDetails`.
The first value found for a field wins: a trace's first generation is usually the one that failed.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any

# snapshot field ← the GenAI attributes that fill it, in order of preference
MODEL = ("gen_ai.request.model",)
MODEL_VERSION = ("gen_ai.response.model",)
CONFIG = ("gen_ai.request.temperature", "gen_ai.request.max_tokens", "gen_ai.request.top_p",
          "gen_ai.request.frequency_penalty", "gen_ai.request.presence_penalty")
USAGE = ("gen_ai.usage.input_tokens", "gen_ai.usage.output_tokens", "gen_ai.usage.prompt_tokens",
         "gen_ai.usage.completion_tokens")
OTHER = {"gen_ai.system": "provider", "gen_ai.provider.name": "provider", "gen_ai.operation.name": "operation",
         "gen_ai.response.id": "response_id", "gen_ai.response.finish_reasons": "finish_reasons"}
_OTLP_VALUE = ("stringValue", "intValue", "doubleValue", "boolValue")


def lift(trace: Any) -> dict[str, str]:
    """Snapshot fields from the GenAI attributes in `trace` (parsed JSON); empty when there are none."""
    found: dict[str, Any] = {}
    for attributes in _attribute_sets(trace):
        for key, value in attributes.items():
            if key.startswith("gen_ai.") and value not in (None, [], {}) and str(value).strip():
                found.setdefault(key, value)
    fields: dict[str, str] = {}
    _first(fields, "model", found, MODEL)
    _first(fields, "model_version", found, MODEL_VERSION)
    _group(fields, "config", found, CONFIG)
    _group(fields, "usage", found, USAGE)
    for key, name in OTHER.items():
        if key in found and name not in fields:
            fields[name] = _text(found[key])
    return fields


def _attribute_sets(node: Any) -> Iterator[dict[str, Any]]:
    """Every set of attributes in the document, as flat dotted keys."""
    if isinstance(node, list):
        for item in node:
            yield from _attribute_sets(item)
        return
    if not isinstance(node, dict):
        return
    attributes = node.get("attributes")
    if isinstance(attributes, list):
        yield _from_otlp(attributes)
    elif isinstance(attributes, dict):
        yield _flatten(attributes)
    elif isinstance(attributes, str):  # some stores keep attributes as a JSON string
        try:
            parsed = json.loads(attributes)
        except ValueError:
            parsed = None
        if isinstance(parsed, dict):
            yield _flatten(parsed)
    if "model" in node and ("modelParameters" in node or "usage" in node or "usageDetails" in node):
        yield _from_langfuse(node)
    for key, value in node.items():
        if key != "attributes" and isinstance(value, dict | list):
            yield from _attribute_sets(value)


def _from_otlp(attributes: list) -> dict[str, Any]:
    flat = {}
    for item in attributes:
        if isinstance(item, dict) and isinstance(item.get("key"), str):
            value = item.get("value")
            flat[item["key"]] = _otlp_value(value)
    return flat


def _otlp_value(value: Any) -> Any:
    if not isinstance(value, dict):
        return value
    for kind in _OTLP_VALUE:
        if kind in value:
            return value[kind]
    if "arrayValue" in value:
        return [_otlp_value(v) for v in value["arrayValue"].get("values", [])]
    return None


def _flatten(attributes: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in attributes.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(_flatten(value, f"{name}."))
        else:
            flat[name] = value
    return flat


def _from_langfuse(observation: Mapping[str, Any]) -> dict[str, Any]:
    """A Langfuse generation, as the GenAI attributes it stands for."""
    lifted: dict[str, Any] = {"gen_ai.request.model": observation.get("model")}
    parameters = observation.get("modelParameters") or {}
    if isinstance(parameters, dict):
        for key, value in parameters.items():
            lifted[f"gen_ai.request.{_snake(key)}"] = value
    usage = observation.get("usageDetails") or observation.get("usage") or {}
    if isinstance(usage, dict):
        for ours, theirs in (("input_tokens", ("input", "promptTokens", "input_tokens")),
                             ("output_tokens", ("output", "completionTokens", "output_tokens"))):
            value = next((usage[k] for k in theirs if usage.get(k) is not None), None)
            lifted[f"gen_ai.usage.{ours}"] = value
    return lifted


def _snake(key: str) -> str:
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in key)


def _first(fields: dict[str, str], name: str, found: Mapping[str, Any], keys: tuple[str, ...]) -> None:
    for key in keys:
        if key in found:
            fields[name] = _text(found[key])
            return


def _group(fields: dict[str, str], name: str, found: Mapping[str, Any], keys: tuple[str, ...]) -> None:
    """`temperature=0.2, max_tokens=512`: the attributes' last part, in the order given."""
    parts = [f"{key.rsplit('.', 1)[1]}={_text(found[key])}" for key in keys if key in found]
    if parts:
        fields[name] = ", ".join(parts)


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(value)
    return json.dumps(value) if isinstance(value, list | dict) else str(value)
