"""Lifting OpenTelemetry GenAI attributes out of traces, whatever shape the trace source sends."""

from __future__ import annotations

import json

import pytest

from firehouse.domain.traces import lift


def otlp(*spans_attributes: list[dict]) -> dict:
    """An OTLP JSON export (as a collector's file exporter or Phoenix writes it) with one span per list."""
    return {"resourceSpans": [{
        "resource": {"attributes": [{"key": "service.name", "value": {"stringValue": "support-bot"}}]},
        "scopeSpans": [{
            "scope": {"name": "opentelemetry.instrumentation.openai"},
            "spans": [{"traceId": "5b8efff798038103d269b633813fc60c", "spanId": f"{i:016x}", "name": "chat",
                       "attributes": attributes} for i, attributes in enumerate(spans_attributes)],
        }],
    }]}


def string(key: str, value: str) -> dict:
    return {"key": key, "value": {"stringValue": value}}


def integer(key: str, value: int | str) -> dict:
    return {"key": key, "value": {"intValue": value}}


def double(key: str, value: float) -> dict:
    return {"key": key, "value": {"doubleValue": value}}


CHAT = [
    string("gen_ai.operation.name", "chat"),
    string("gen_ai.system", "openai"),
    string("gen_ai.request.model", "gpt-4o"),
    string("gen_ai.response.model", "gpt-4o-2024-08-06"),
    double("gen_ai.request.temperature", 0.2),
    integer("gen_ai.request.max_tokens", "512"),  # OTLP JSON writes 64-bit integers as strings
    integer("gen_ai.usage.input_tokens", 1200),
    integer("gen_ai.usage.output_tokens", "300"),
    string("gen_ai.response.id", "chatcmpl-123"),
    {"key": "gen_ai.response.finish_reasons", "value": {"arrayValue": {"values": [{"stringValue": "stop"}]}}},
    string("http.route", "/v1/chat"),
]


def test_otlp_json_attributes_are_lifted_into_snapshot_fields():
    assert lift(otlp(CHAT)) == {
        "model": "gpt-4o",
        "model_version": "gpt-4o-2024-08-06",
        "config": "temperature=0.2, max_tokens=512",
        "usage": "input_tokens=1200, output_tokens=300",
        "provider": "openai",
        "operation": "chat",
        "response_id": "chatcmpl-123",
        "finish_reasons": '["stop"]',
    }


def test_otlp_json_parsed_from_text_lifts_the_same():
    assert lift(json.loads(json.dumps(otlp(CHAT)))) == lift(otlp(CHAT))


def test_a_boolean_otlp_attribute_reads_true_or_false():
    found = lift(otlp([string("gen_ai.request.model", "m"), {"key": "gen_ai.system", "value": {"boolValue": True}}]))
    assert found["provider"] == "true"


def test_the_config_lists_its_parts_in_a_fixed_order_whatever_order_the_span_has():
    attributes = [integer("gen_ai.request.max_tokens", 512), double("gen_ai.request.top_p", 0.9),
                  double("gen_ai.request.temperature", 0.2)]
    assert lift(otlp(attributes)) == {"config": "temperature=0.2, max_tokens=512, top_p=0.9"}


def test_the_first_value_found_wins_over_later_spans():
    first = [string("gen_ai.request.model", "gpt-4o"), double("gen_ai.request.temperature", 0.2)]
    second = [string("gen_ai.request.model", "gpt-4o-mini"), double("gen_ai.request.temperature", 1.0),
              integer("gen_ai.request.max_tokens", 64)]
    assert lift(otlp(first, second)) == {"model": "gpt-4o", "config": "temperature=0.2, max_tokens=64"}


def test_an_empty_attribute_does_not_hide_a_later_real_one():
    assert lift(otlp([string("gen_ai.request.model", "")], [string("gen_ai.request.model", "gpt-4o")])) == {
        "model": "gpt-4o"}


def test_gen_ai_provider_name_counts_as_the_provider():
    assert lift(otlp([string("gen_ai.provider.name", "anthropic")])) == {"provider": "anthropic"}


def test_a_trace_without_gen_ai_attributes_lifts_nothing():
    assert lift(otlp([string("http.route", "/v1/chat"), integer("http.status_code", 200)])) == {}


@pytest.mark.parametrize("document", [None, 42, "text", [], {}, {"attributes": None}, {"attributes": "not json"},
                                      {"attributes": "[1, 2]"}, [{"attributes": [{"key": 3}, "junk"]}]])
def test_documents_of_any_other_shape_lift_nothing(document):
    assert lift(document) == {}


def test_flat_attributes_as_a_plain_object_are_lifted():
    span = {"name": "chat", "attributes": {"gen_ai.request.model": "claude-3-5-sonnet",
                                           "gen_ai.request.temperature": 0.0, "gen_ai.request.max_tokens": 1024,
                                           "gen_ai.usage.input_tokens": 10, "gen_ai.usage.output_tokens": 20}}
    assert lift({"data": [span]}) == {"model": "claude-3-5-sonnet", "config": "temperature=0.0, max_tokens=1024",
                                      "usage": "input_tokens=10, output_tokens=20"}


def test_nested_attributes_are_flattened_to_dotted_names():
    span = {"attributes": {"gen_ai": {"request": {"model": "gpt-4o", "temperature": 0.7},
                                      "response": {"model": "gpt-4o-2024-11-20"},
                                      "usage": {"prompt_tokens": 5, "completion_tokens": 7}},
                           "llm": {"vendor": "x"}}}
    assert lift([span]) == {"model": "gpt-4o", "model_version": "gpt-4o-2024-11-20", "config": "temperature=0.7",
                            "usage": "prompt_tokens=5, completion_tokens=7"}


def test_attributes_kept_as_a_json_string_are_parsed():
    row = {"span_id": "a1", "attributes": json.dumps({"gen_ai.request.model": "gpt-4o",
                                                      "gen_ai": {"usage": {"input_tokens": 3}}})}
    assert lift({"rows": [row]}) == {"model": "gpt-4o", "usage": "input_tokens=3"}


LANGFUSE = {  # GET /api/public/traces/{id}
    "id": "trace-1",
    "name": "support-chat",
    "input": {"messages": [{"role": "user", "content": "Which app should I use?"}]},
    "observations": [
        {"id": "o1", "type": "SPAN", "name": "retrieve", "model": None, "modelParameters": None, "usage": None},
        {"id": "o2", "type": "GENERATION", "name": "answer", "model": "gpt-4o",
         "modelParameters": {"temperature": 0.2, "maxTokens": 512},
         "usage": {"input": 1200, "output": 300, "total": 1500, "unit": "TOKENS"}},
        {"id": "o3", "type": "GENERATION", "name": "judge", "model": "gpt-4o-mini",
         "modelParameters": {"temperature": 1.0, "maxTokens": 16}, "usage": {"input": 50, "output": 1}},
    ],
}


def test_a_langfuse_trace_lifts_model_parameters_and_usage_of_its_first_generation():
    assert lift(LANGFUSE) == {"model": "gpt-4o", "config": "temperature=0.2, max_tokens=512",
                              "usage": "input_tokens=1200, output_tokens=300"}


def test_langfuse_usage_details_win_over_the_older_usage():
    observation = {"model": "gpt-4o", "usage": {"input": 1, "output": 2},
                   "usageDetails": {"input": 1200, "output": 300}}
    assert lift({"observations": [observation]})["usage"] == "input_tokens=1200, output_tokens=300"


def test_langfuse_prompt_and_completion_token_names_are_understood():
    observation = {"model": "gpt-4o", "usage": {"promptTokens": 7, "completionTokens": 9}}
    assert lift({"observations": [observation]}) == {"model": "gpt-4o", "usage": "input_tokens=7, output_tokens=9"}


def test_a_langfuse_generation_without_a_model_yields_its_parameters_only():
    observation = {"model": None, "modelParameters": {"temperature": 0.3}}
    assert lift({"observations": [observation]}) == {"config": "temperature=0.3"}


def test_an_object_with_a_model_key_but_no_parameters_or_usage_is_not_a_generation():
    assert lift({"metadata": {"model": "not a generation"}}) == {}


def test_typed_gen_ai_attributes_come_before_a_langfuse_generation_in_the_same_node():
    node = {"attributes": {"gen_ai.request.model": "from-attributes"}, "model": "from-langfuse",
            "modelParameters": {"temperature": 0.5}}
    assert lift(node) == {"model": "from-attributes", "config": "temperature=0.5"}


def test_a_blank_attribute_is_not_lifted():
    assert lift({"attributes": {"gen_ai.request.model": "   "}}) == {}
