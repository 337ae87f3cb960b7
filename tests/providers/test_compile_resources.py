"""Tools and documents compiled for both providers: shapes the providers accept, and losses."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from elevenlabs.types import ToolRequestModel

from parley.agents.validate import check_paths
from parley.emulator.ultravox.schemas import ToolDefinition
from parley.providers.elevenlabs import resources as el
from parley.providers.ultravox import resources as uv


def resource(examples: Path, name: str) -> dict[str, Any]:
    [found] = [r for r in check_paths([examples]).valid_resources if r.spec and r.spec.name == name]
    assert found.spec is not None
    return found.spec.model_dump(mode="json")


def test_elevenlabs_webhook_tool_parses_with_the_sdk_types(examples: Path) -> None:
    compiled = el.compile_tool(resource(examples, "book_meeting"))
    assert compiled.losses == []
    assert compiled.errors == []
    request = ToolRequestModel.model_validate(compiled.payload)
    config = compiled.payload["tool_config"]
    assert request.tool_config.type == "webhook"
    schema = config["api_schema"]
    assert schema["request_headers"] == {"Authorization": "Bearer {{secret__crm_token}}"}
    assert schema["request_body_schema"]["required"] == ["slot_start", "timezone", "advisor_email"]
    get = el.compile_tool(resource(examples, "check_calendar")).payload["tool_config"]
    assert set(get["api_schema"]["query_params_schema"]["properties"]) == {"timezone", "days_ahead"}


def test_elevenlabs_client_tool(examples: Path) -> None:
    compiled = el.compile_tool(resource(examples, "show_action_items"))
    ToolRequestModel.model_validate(compiled.payload)
    config = compiled.payload["tool_config"]
    assert (config["type"], config["expects_response"]) == ("client", True)
    assert config["parameters"]["properties"]["items"]["type"] == "array"


def test_ultravox_tools_are_valid_definitions(examples: Path) -> None:
    for name in ("book_meeting", "check_calendar", "search_past_sessions", "show_action_items"):
        compiled = uv.compile_tool(resource(examples, name))
        assert compiled.errors == []
        ToolDefinition.model_validate(compiled.payload["definition"])
    definition = uv.compile_tool(resource(examples, "check_calendar")).payload["definition"]
    assert definition["http"] == {
        "baseUrlPattern": "https://crm.example.com/api/v1/calendar/slots",
        "httpMethod": "GET",
    }
    assert {p["location"] for p in definition["dynamicParameters"]} == {"PARAMETER_LOCATION_QUERY"}
    assert definition["timeout"] == "5s"
    options = definition["requirements"]["httpSecurityOptions"]["options"]
    assert options[0] == {"requirements": {"crm_token": {"httpAuth": {"scheme": "Bearer"}}}}


def test_headers_ultravox_cannot_carry_are_losses() -> None:
    spec = {
        "name": "t", "description": "d", "type": "webhook", "parameters": {},
        "expects_response": False, "providers": {"elevenlabs": {}, "ultravox": {}},
        "webhook": {"url": "https://x.example/a", "method": "POST", "timeout_s": 60,
                    "headers": {"X-Key": "{{key}}", "X-Mixed": "id={{key}}", "X-App": "parley"}},
    }  # fmt: skip
    compiled = uv.compile_tool(spec)
    assert [loss.path for loss in compiled.losses] == [
        "webhook.timeout_s",
        "webhook.headers.X-Mixed",
    ]
    definition = compiled.payload["definition"]
    assert definition["staticParameters"] == [
        {"name": "X-App", "location": "PARAMETER_LOCATION_HEADER", "value": "parley"}
    ]
    options = definition["requirements"]["httpSecurityOptions"]["options"]
    assert options[0]["requirements"] == {"key": {"headerApiKey": {"name": "X-Key"}}}
    assert el.compile_tool(spec).losses == []


def test_documents_for_both_providers(examples: Path) -> None:
    text = resource(examples, "etf-fee-schedule")
    assert el.compile_knowledge(text, None).payload["type"] == "text"
    corpus = uv.compile_knowledge(text, None)
    assert corpus.payload["source"] == {"name": "etf-fee-schedule", "upload": {}}
    assert corpus.content is not None
    assert b"0.29%" in corpus.content
    url = uv.compile_knowledge(resource(examples, "ledgerly-billing-policy"), None)
    assert url.payload["source"]["crawl"]["startUrls"] == [
        "https://ledgerly.example.com/legal/billing-policy"
    ]
    assert url.write_only == ("source",)
