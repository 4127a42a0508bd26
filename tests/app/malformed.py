"""Bad requests for every surface, and what an answer to one may contain.

Each case is what a careless client, a fuzzer or an attacker sends: bodies that are not JSON
or not the JSON expected, values of the wrong type, text no store can keep, ids in paths, and
bodies past the cap. The surfaces' tests (tests/app/test_malformed_requests.py) check that
every answer is a 4xx JSON error (or, where the request is odd but servable, a valid stream),
never a 500, and never shows an exception, a file path or a secret.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tests.app.conftest import body
from tests.app.graphql.documents import GENERATE, LOAD_AGENT_STATE, generate_body, text

SECRET = "sk-test-instructions-9f8e7d6c"
"""In the runtime's instructions and its identify_user: no answer may ever contain it."""
LIMIT = 64 * 1024
"""The suite's body cap (COPILOT_MAX_BODY_BYTES)."""
JSON_TYPE = "application/json"
LEAKS = re.compile(
    r"Traceback|File \"|\.py\b|site-packages|/work/|/tmp/|/home/|sqlite3|psycopg|pydantic_core"
    r"|\b(Value|Key|Type|Attribute|Recursion|Index|Runtime|Assertion|Unicode\w*|JSONDecode"
    r"|Operational|Integrity|Data)Error\b"
)


@dataclass(frozen=True)
class Request:
    """One HTTP request: method, path under the base URL, body bytes, headers."""

    method: str
    path: str
    content: bytes | None = None
    headers: dict[str, str] = field(default_factory=lambda: {"content-type": JSON_TYPE})
    params: dict[str, str] | None = None
    servable: bool = False
    """Odd but harmless: a 200 JSON answer is right (a page size clamped to the range)."""


def encoded(value: Any) -> bytes:
    """JSON with every non-ASCII character escaped (lone surrogates included)."""
    return json.dumps(value, ensure_ascii=True).encode()


SURR = "\ud800"
NESTED_65 = json.loads("[" * 65 + "]" * 65)
RAW_BODIES: dict[str, bytes] = {
    "not JSON": b"hello",
    "truncated object": b'{"threadId": "t1", "runId"',
    "trailing comma": b'{"threadId": "t1",}',
    "single quotes": b"{'threadId': 't1'}",
    "a JSON array": b"[]",
    "a JSON number": b"42",
    "a JSON string": b'"run"',
    "JSON null": b"null",
    "JSON true": b"true",
    "unclosed string": b'{"threadId": "t1',
    "100,000 open brackets": b"[" * 100_000,
    "100,000 open objects": b'{"a":' * 100_000,
    "5,001-digit number": b'{"threadId": "t", "n": ' + b"9" * 5001 + b"}",
    "integer past 64 bits": b'{"threadId": "t", "n": 18446744073709551616}',
    "1e999": b'{"threadId": "t", "n": 1e999}',
    "NaN": b'{"threadId": "t", "n": NaN}',
    "Infinity": b'{"threadId": "t", "n": Infinity}',
    "-Infinity": b'{"threadId": "t", "n": -Infinity}',
    "invalid UTF-8": b'{"threadId": "\xff\xfe"}',
    "overlong UTF-8": b'{"threadId": "\xc0\xaf"}',
    "UTF-8 encoded surrogate": b'{"threadId": "\xed\xa0\x80"}',
    "raw NUL byte in a string": b'{"threadId": "a\x00b"}',
    "raw control character": b'{"threadId": "a\x01b"}',
    "escaped lone high surrogate": b'{"threadId": "a\\ud800b"}',
    "escaped lone low surrogate": b'{"threadId": "a\\udc00b"}',
    "escaped NUL": b'{"threadId": "a\\u0000b"}',
    "bad escape": b'{"threadId": "a\\qb"}',
    "short unicode escape": b'{"threadId": "a\\u12"}',
    "garbage after the object": b'{"threadId": "t"} {}',
    "binary noise": bytes(range(256)),
}


def run_field_cases() -> dict[str, Any]:
    """RunAgentInput bodies with one field wrong."""
    good = body("hi", threadId="t-bad", runId="r-bad")
    cases: dict[str, Any] = {}
    value: Any
    for name in ("threadId", "runId"):
        for label, value in (
            ("a number", 7), ("null", None), ("a list", []), ("an object", {}), ("true", True),
            ("a lone surrogate", "a\ud800"), ("a NUL", "a\x00"),
        ):  # fmt: skip
            cases[f"{name} is {label}"] = {**good, name: value}
        cases[f"{name} missing"] = {k: v for k, v in good.items() if k != name}
    for label, value in (
        ("null", None), ("an object", {}), ("a string", "hi"), ("a list of numbers", [1]),
        ("a list of nulls", [None]), ("a list of empty objects", [{}]),
    ):  # fmt: skip
        cases[f"messages is {label}"] = {**good, "messages": value}
    message = good["messages"][0]
    for label, changed in (
        ("without id", {k: v for k, v in message.items() if k != "id"}),
        ("without role", {k: v for k, v in message.items() if k != "role"}),
        ("with an unknown role", {**message, "role": "alien"}),
        ("with a numeric role", {**message, "role": 5}),
        ("with numeric content", {**message, "content": 5}),
        ("with an object as content", {**message, "content": {"text": "hi"}}),
        ("with a part of unknown type", {**message, "content": [{"type": "alien"}]}),
        ("with a text part without text", {**message, "content": [{"type": "text"}]}),
        ("with an image part without source", {**message, "content": [{"type": "image"}]}),
        ("with a binary part without data", {**message, "content": [{"type": "binary"}]}),
        ("with a numeric id", {**message, "id": 5}),
        ("with NUL in its content", {**message, "content": "a\x00b"}),
        ("with a surrogate in its content", {**message, "content": "a\udfffb"}),
        ("with a surrogate in a part", {**message, "content": [{"type": "text", "text": SURR}]}),
        ("as a tool result without a call id", {"id": "m", "role": "tool", "content": "x"}),
        ("as an assistant with bad tool calls", {"id": "m", "role": "assistant", "toolCalls": "x"}),
        ("as an assistant with an empty call", {"id": "m", "role": "assistant", "toolCalls": [{}]}),
        ("as an assistant with numeric arguments", {
            "id": "m", "role": "assistant",
            "toolCalls": [{"id": "c", "function": {"name": "f", "arguments": 5}}],
        }),
    ):  # fmt: skip
        cases[f"a message {label}"] = {**good, "messages": [changed]}
    for label, value in (
        ("tools is a string", "x"), ("tools is a list of numbers", [1]),
        ("a tool has a numeric name", [{"name": 1, "description": "", "parameters": {}}]),
        ("a tool has no name", [{"description": "", "parameters": {}}]),
        ("context is an object", {}), ("a context entry is a number", [1]),
        ("a context entry has a numeric description", [{"description": 1, "value": "v"}]),
    ):  # fmt: skip
        key = "tools" if label.startswith(("tools", "a tool")) else "context"
        cases[label] = {**good, key: value}
    cases["state nested 65 deep"] = {**good, "state": {"deep": NESTED_65}}
    cases["a NUL in a state key"] = {**good, "state": {"a\x00": 1}}
    cases["a surrogate deep in forwardedProps"] = {
        **good,
        "forwardedProps": {"a": [{"b": "\ud800"}]},
    }
    cases["parentRunId is a number"] = {**good, "parentRunId": 5}
    return cases


RUN_FIELDS = run_field_cases()


def json_requests(
    method: str, path: str, wrap: Callable[[Any], Any] | None = None
) -> dict[str, Request]:
    """The raw and field cases, sent to one route (`wrap` puts a body inside an envelope)."""
    requests: dict[str, Request] = {}
    for name, raw in RAW_BODIES.items():
        if wrap is not None:
            raw = b'{"method": "agent/run", "params": {"agentId": "default"}, "body": ' + raw + b"}"
        requests[f"raw: {name}"] = Request(method, path, raw)
    for name, value in RUN_FIELDS.items():
        requests[f"field: {name}"] = Request(method, path, encoded(wrap(value) if wrap else value))
    requests["content type text/plain"] = Request(
        method, path, encoded(body()), {"content-type": "text/plain"}
    )
    requests["no content type"] = Request(method, path, encoded(body()), {})
    requests["form content type"] = Request(
        method, path, b"threadId=t1", {"content-type": "application/x-www-form-urlencoded"}
    )
    requests["body past the cap"] = Request(method, path, b"[" + b"0," * LIMIT + b"0]")
    return requests


def envelope(method: str, inner: Any = None, **params: Any) -> dict[str, Any]:
    return {"method": method, "params": {"agentId": "default", **params}, "body": inner}


def envelope_requests() -> dict[str, Request]:
    """The run cases inside `agent/run` envelopes, and envelopes that are wrong themselves."""
    requests = json_requests("POST", "", wrap=lambda inner: envelope("agent/run", inner))
    for name, value in {
        "no method": {"params": {"agentId": "default"}},
        "a numeric method": {"method": 5},
        "an unknown method": {"method": "agent/explode"},
        "a method with NUL": {"method": "agent/run\x00"},
        "params a string": {"method": "agent/run", "params": "x", "body": body()},
        "no agentId": {"method": "agent/run", "params": {}, "body": body()},
        "an empty agentId": envelope("agent/run", body(), agentId=""),
        "a numeric agentId": envelope("agent/run", body(), agentId=5),
        "an unknown agent": envelope("agent/run", body(), agentId="nope"),
        "an agentId with NUL": envelope("agent/run", body(), agentId="de\x00fault"),
        "no body": envelope("agent/run"),
        "a string body": envelope("agent/run", "x"),
        "connect without body": envelope("agent/connect"),
        "connect with a numeric threadId": envelope("agent/connect", body(threadId=5)),
        "stop without threadId": envelope("agent/stop", {}),
        "stop with a numeric threadId": envelope("agent/stop", {}, threadId=5),
        "stop with a NUL threadId": envelope("agent/stop", {}, threadId="a\x00"),
        "stop with a numeric runId": envelope("agent/stop", {"runId": 5}, threadId="t"),
    }.items():
        requests[f"envelope: {name}"] = Request("POST", "", encoded(value))
    return requests


def connect_stop_requests() -> dict[str, Request]:
    """Connect with every run case, and stops with wrong paths and bodies."""
    requests = json_requests("POST", "/agent/default/connect")
    stop = "/agent/default/stop"
    for name, (path, content) in {
        "a NUL in the thread id": (f"{stop}/a%00b", b"{}"),
        "an unknown agent": ("/agent/nope/stop/t1", b"{}"),
        "an agent id with NUL": ("/agent/de%00fault/stop/t1", b"{}"),
        "a body that is not JSON": (f"{stop}/t1", b"{nope"),
        "a body that is an array": (f"{stop}/t1", b"[]"),
        "a numeric runId": (f"{stop}/t1", b'{"runId": 5}'),
        "a runId with NUL": (f"{stop}/t1", b'{"runId": "a\\u0000"}'),
        "a deep body": (f"{stop}/t1", b"[" * 100_000),
        "a body past the cap": (f"{stop}/t1", b"[" + b"0," * LIMIT + b"0]"),
        "no thread id": (f"{stop}/", b"{}"),
    }.items():
        requests[f"stop: {name}"] = Request("POST", path, content)
    requests["stop: GET instead of POST"] = Request("GET", f"{stop}/t1")
    # Invalid UTF-8 in a path reaches the app as U+FFFD: an odd id, but a storable one.
    requests["stop: a surrogate's UTF-8 bytes in the thread id"] = Request(
        "POST", f"{stop}/a%ED%A0%80b", b"{}", servable=True
    )
    requests["connect: unknown agent"] = Request("POST", "/agent/nope/connect", encoded(body()))
    return requests


def cursor(value: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode()


def thread_requests() -> dict[str, Request]:
    """The thread routes, with wrong query parameters, paths and bodies."""
    requests: dict[str, Request] = {}
    listing = {
        "no agentId": {},
        "an empty agentId": {"agentId": ""},
        "an unknown agent": {"agentId": "nope"},
        "an agentId with NUL": {"agentId": "de\x00fault"},
        "limit not a number": {"agentId": "default", "limit": "ten"},
        "limit a float": {"agentId": "default", "limit": "1.5"},
        "cursor garbage": {"agentId": "default", "cursor": "%%%"},
        "cursor not base64 JSON": {"agentId": "default", "cursor": "bm90IGpzb24="},
        "cursor of three items": {"agentId": "default", "cursor": cursor([1, 2, 3])},
        "cursor of a number": {"agentId": "default", "cursor": cursor(5)},
        "cursor with NUL": {"agentId": "default", "cursor": cursor(["\x00", "x"])},
        "cursor with a surrogate": {"agentId": "default", "cursor": cursor(["\ud800", "x"])},
        "cursor of nested lists": {"agentId": "default", "cursor": cursor([[[]], {}])},
    }
    for name, params in listing.items():
        requests[f"list: {name}"] = Request("GET", "/threads", params=params)
    for name, limit in (("negative", "-5"), ("zero", "0"), ("huge", "9" * 40)):  # clamped
        params = {"agentId": "default", "limit": limit}
        requests[f"list: limit {name}"] = Request("GET", "/threads", params=params, servable=True)
    q = {"agentId": "default"}
    for view in ("messages", "state", "events", "alien"):
        requests[f"{view}: unknown thread"] = Request("GET", f"/threads/t-none/{view}", params=q)
        requests[f"{view}: NUL in the id"] = Request("GET", f"/threads/a%00b/{view}", params=q)
        requests[f"{view}: no agentId"] = Request("GET", f"/threads/t1/{view}")
        requests[f"{view}: unknown agent"] = Request(
            "GET", f"/threads/t1/{view}", params={"agentId": "nope"}
        )
    patches: dict[str, bytes] = {
        "not JSON": b"{nope",
        "an array": b"[]",
        "no agentId": encoded({"name": "x"}),
        "a numeric agentId": encoded({"agentId": 5, "name": "x"}),
        "a numeric name": encoded({"agentId": "default", "name": 5}),
        "archived a string": encoded({"agentId": "default", "archived": "yes"}),
        "a name with NUL": encoded({"agentId": "default", "name": "a\x00"}),
        "a name with a surrogate": encoded({"agentId": "default", "name": "\ud800"}),
        "deep": b"[" * 100_000,
        "past the cap": b"[" + b"0," * LIMIT + b"0]",
        "an unknown thread": encoded({"agentId": "default", "name": "x"}),
    }
    for name, content in patches.items():
        requests[f"rename: {name}"] = Request("PATCH", "/threads/t-none", content)
        if name not in ("a numeric name", "archived a string", "a name with NUL"):
            requests[f"archive: {name}"] = Request("POST", "/threads/t-none/archive", content)
    requests["rename: text/plain"] = Request(
        "PATCH", "/threads/t1", encoded({"agentId": "default"}), {"content-type": "text/plain"}
    )
    requests["delete: no agentId"] = Request("DELETE", "/threads/t1")
    requests["delete: NUL in the id"] = Request("DELETE", "/threads/a%00b", params=q)
    requests["delete: unknown thread"] = Request("DELETE", "/threads/t-none", params=q)
    requests["delete: a body that is not JSON"] = Request("DELETE", "/threads/t1", b"{nope")
    requests["put: no such method"] = Request("PUT", "/threads/t1", encoded(q))
    return requests


def graphql(query: Any, variables: Any = None, **more: Any) -> bytes:
    request: dict[str, Any] = {"query": query, **more}
    if variables is not None:
        request["variables"] = variables
    return encoded(request)


def generate_with(**data: Any) -> bytes:
    request = generate_body(text("u1", "user", "hi"))
    request["variables"]["data"].update(data)
    return encoded(request)


def graphql_requests() -> dict[str, Request]:
    """GraphQL over POST and GET: bodies, documents and variables that are wrong."""
    load = {"data": {"threadId": "t1", "agentName": "default"}}
    posts: dict[str, bytes] = {
        "query a number": graphql(5),
        "query empty": graphql(""),
        "query null": graphql(None),
        "no query": encoded({"variables": {}}),
        "variables a list": graphql("{ hello }", [1]),
        "variables a string": graphql("{ hello }", "x"),
        "operationName a number": graphql("{ hello }", operationName=5),
        "an unknown operationName": graphql("{ hello }", operationName="nope"),
        "two operations, no name": graphql("query a { hello } query b { hello }"),
        "syntax error": graphql("{ hello "),
        "only braces": graphql("}}}"),
        "an unknown field": graphql("{ nope }"),
        "a subscription": graphql("subscription { hello }"),
        "a selection 5,000 deep": graphql("{" + "hello {" * 5000 + "}" * 5001),
        "5,000 tokens": graphql("{ hello " + "a " * 5000 + "}"),
        "a fragment cycle": graphql("fragment A on Query { ...A } { ...A }"),
        "an undefined variable": graphql("query ($x: String!) { hello }"),
        "a variable of the wrong type": graphql(LOAD_AGENT_STATE, {"data": 5}),
        "loadAgentState without its input": graphql(LOAD_AGENT_STATE),
        "loadAgentState without agentName": graphql(LOAD_AGENT_STATE, {"data": {"threadId": "t"}}),
        "loadAgentState of an unknown agent": graphql(
            LOAD_AGENT_STATE, {"data": {"threadId": "t", "agentName": "nope"}}
        ),
        "loadAgentState with a NUL literal": graphql(
            '{ loadAgentState(data: {threadId: "a\\u0000", agentName: "default"}) { threadId } }'
        ),
        "loadAgentState with a surrogate literal": graphql(
            '{ loadAgentState(data: {threadId: "a\\ud800", agentName: "default"}) { threadId } }'
        ),
        "loadAgentState with a NUL variable": graphql(
            LOAD_AGENT_STATE, {"data": {"threadId": "a\x00", "agentName": "default"}}
        ),
        "loadAgentState with a deep variable": encoded(
            {"query": LOAD_AGENT_STATE, "variables": {"data": NESTED_65}}
        ),
        "an unused variable with a huge Int": graphql("query ($n: Int) { hello }", {"n": 2**40}),
        "generate without data": graphql(GENERATE),
        "generate with messages not a list": generate_with(messages="x"),
        "generate with an unknown role": generate_with(messages=[text("u1", "alien", "hi")]),
        "generate with a NUL in a message": generate_with(messages=[text("u1", "user", "a\x00")]),
        "generate with a surrogate in a message": generate_with(
            messages=[text("u1", "user", "\ud800")]
        ),
        "generate with a NUL threadId": generate_with(threadId="a\x00"),
        "generate with a numeric threadId": generate_with(threadId=5),
        "generate with an unknown agent session": generate_with(agentSession={"agentName": "nope"}),
        "generate with a bad frontend action": generate_with(
            frontend={"actions": [{"name": "x", "description": "", "jsonSchema": "{not json"}]}
        ),
        "generate with a NUL in a document literal": graphql(
            "mutation { generateCopilotResponse(data: {metadata: {requestType: Chat}, "
            'threadId: "a\\u0000", messages: [], frontend: {actions: []}}) { threadId } }'
        ),
        "generate with a surrogate in a document literal": graphql(
            "mutation { generateCopilotResponse(data: {metadata: {requestType: Chat}, "
            'threadId: "a\\udfff", messages: [], frontend: {actions: []}}) { threadId } }'
        ),
        "a batch (a JSON array)": b"[]",
    }
    requests = {f"POST: {name}": Request("POST", "", content) for name, content in posts.items()}
    for name, raw in list(RAW_BODIES.items())[:12]:
        requests[f"POST raw: {name}"] = Request("POST", "", raw)
    gets: dict[str, dict[str, str]] = {
        "no query": {},
        "an empty query": {"query": ""},
        "a mutation": {"query": GENERATE, "variables": json.dumps(generate_body()["variables"])},
        "variables not JSON": {"query": LOAD_AGENT_STATE, "variables": "{nope"},
        "variables deep": {"query": LOAD_AGENT_STATE, "variables": "[" * 5_000},
        "variables with a big number": {
            "query": "{ hello }",
            "variables": '{"n": ' + "9" * 5001 + "}",
        },
        "variables with a NUL": {
            "query": LOAD_AGENT_STATE,
            "variables": '{"data": {"threadId": "a\\u0000", "agentName": "default"}}',
        },
        "variables a list": {"query": "{ hello }", "variables": "[1]"},
        "a NUL in the query": {"query": "{ hello\x00 }"},
        "a syntax error": {"query": "{"},
        "loadAgentState without variables": {"query": LOAD_AGENT_STATE},
        "an unknown agent": {
            "query": LOAD_AGENT_STATE,
            "variables": json.dumps({"data": {"threadId": "t", "agentName": "nope"}}),
        },
        "a good load": {"query": LOAD_AGENT_STATE, "variables": json.dumps(load)},
    }
    for name, params in gets.items():
        requests[f"GET: {name}"] = Request("GET", "", params=params)
    return requests


SURFACES: dict[str, Callable[[], dict[str, Request]]] = {
    "AG-UI run": lambda: json_requests("POST", "/agent/default/run"),
    "envelope": envelope_requests,
    "GraphQL": graphql_requests,
    "thread routes": thread_requests,
    "connect and stop": connect_stop_requests,
}
ALL = {surface: cases() for surface, cases in SURFACES.items()}
