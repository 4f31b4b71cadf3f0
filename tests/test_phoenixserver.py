"""The Phoenix trace server the snapshot tests read from: a GenAI span sent over OTLP comes back, by its trace id,
from one plain HTTP GET, with the OpenTelemetry GenAI attributes where Firehouse will look for them."""

import secrets

from phoenixserver import phoenix  # noqa: F401


def test_a_genai_span_comes_back_by_trace_id(phoenix):  # noqa: F811
    trace_id = secrets.token_hex(16)
    assert phoenix.send_genai_span(trace_id=trace_id) == trace_id

    url = phoenix.trace_url_template().format(trace_id=trace_id)
    assert url == f"{phoenix.url}/v1/projects/default/spans?trace_id={trace_id}"
    status, content_type, body = phoenix.get(url)

    assert (status, content_type) == (200, "application/json")
    assert body["next_cursor"] is None
    (span,) = body["data"]
    assert span["context"]["trace_id"] == trace_id
    assert len(span["context"]["span_id"]) == 16 and span["parent_id"] is None
    assert span["span_kind"] == "LLM"  # Phoenix recognises a GenAI span as an LLM call
    # The attributes are one flat object keyed by the dotted OpenTelemetry names, with their JSON types kept.
    attributes = span["attributes"]
    assert attributes["gen_ai.system"] == "openai"
    assert attributes["gen_ai.request.model"] == "gpt-4o-2024-08-06"
    assert attributes["gen_ai.response.model"] == "gpt-4o-2024-08-06"
    assert attributes["gen_ai.request.temperature"] == 0.2
    assert attributes["gen_ai.usage.input_tokens"] == 812 and attributes["gen_ai.usage.output_tokens"] == 97
    assert attributes["input.value"] == "Why is the refund bot quoting 2019 prices?"
    assert attributes["output.value"] == "Its price table was last refreshed in 2019."
    # Phoenix adds its OpenInference equivalents beside them.
    assert attributes["llm.model_name"] == "gpt-4o-2024-08-06"
    assert attributes["llm.token_count.prompt"] == 812 and attributes["llm.token_count.completion"] == 97


def test_the_span_parameters_are_the_callers(phoenix):  # noqa: F811
    trace_id = phoenix.send_genai_span(request_model="gpt-4o-mini", response_model="gpt-4o-mini-2024-07-18",
                                       temperature=0.0, input_tokens=5, output_tokens=0)
    (span,) = phoenix.get_trace(trace_id)["data"]
    attributes = span["attributes"]
    assert attributes["gen_ai.request.model"] == "gpt-4o-mini"
    assert attributes["gen_ai.response.model"] == "gpt-4o-mini-2024-07-18"
    assert attributes["gen_ai.request.temperature"] == 0.0
    assert (attributes["gen_ai.usage.input_tokens"], attributes["gen_ai.usage.output_tokens"]) == (5, 0)


def test_an_unknown_trace_id_is_an_empty_result_not_a_404(phoenix):  # noqa: F811
    status, content_type, body = phoenix.get(phoenix.trace_url(secrets.token_hex(16)))
    assert (status, content_type, body) == (200, "application/json", {"data": [], "next_cursor": None})


def test_an_unknown_project_is_a_404(phoenix):  # noqa: F811
    status, _, body = phoenix.get(phoenix.trace_url(secrets.token_hex(16), project="no-such-project"))
    assert status == 404 and "no-such-project" in body


def test_the_trace_source_needs_the_bearer_token(phoenix):  # noqa: F811
    url = phoenix.trace_url(secrets.token_hex(16))
    assert phoenix.get(url, headers={})[0] == 401
    assert phoenix.get(url, headers={"Authorization": "Bearer not-the-key"})[0] == 401
    assert phoenix.get(url, headers={"Authorization": f"Bearer {phoenix.api_key}"})[0] == 200


def test_there_is_no_json_trace_route_by_path(phoenix):  # noqa: F811
    """GET /v1/traces/{id} is not an API route: the web UI answers it with HTML, so a trace source must check
    that it got JSON, not just a 200."""
    trace_id = phoenix.send_genai_span()
    status, content_type, _ = phoenix.get(f"{phoenix.url}/v1/traces/{trace_id}")
    assert (status, content_type) == (200, "text/html")
