"""The playground's interrupt prompts and shared state, fed by a page-level fixture.

The runtime's agents do not pause or patch state yet, so these runs are answered by the test
(Playwright routes `/agent/default/run`), with the event shapes the clients define: CopilotKit's
`CUSTOM on_interrupt` (resumed with `forwardedProps.command`), AG-UI's `RUN_FINISHED` with an
interrupt outcome (resumed with `resume: [{interruptId, status, payload?}]`), `STATE_SNAPSHOT` and
`STATE_DELTA`. Everything else (/info, /threads, /connect) is the real runtime's.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import pytest
from playwright.sync_api import Page, Route, expect

from tests.browser.conftest import BrowserPage
from tests.e2e.conftest import LiveServer

Event = dict[str, Any]


@dataclass
class ScriptedRuns:
    """Answers each run the page starts with the next script; keeps what the page sent."""

    scripts: list[list[Event]] = field(default_factory=list)
    requests: list[dict[str, Any]] = field(default_factory=list)

    def answer(self, route: Route) -> None:
        body = route.request.post_data_json
        assert isinstance(body, dict)
        self.requests.append(body)
        events = self.scripts.pop(0)
        for event in events:  # the ids of the run being answered
            if event["type"] in ("RUN_STARTED", "RUN_FINISHED"):
                event.setdefault("threadId", body["threadId"])
                event.setdefault("runId", body["runId"])
        frames = "".join(f"data: {json.dumps(event)}\n\n" for event in events)
        route.fulfill(status=200, headers={"Content-Type": "text/event-stream"}, body=frames)


@pytest.fixture
def scripted(browser_page: BrowserPage, runtime: LiveServer) -> ScriptedRuns:
    runs = ScriptedRuns()
    browser_page.page.route("**/api/copilotkit/agent/default/run", runs.answer)
    browser_page.page.goto(runtime.url)
    expect(browser_page.page.locator("#runtime")).to_contain_text("1 agent")
    return runs


def text(message_id: str, words: str) -> list[Event]:
    return [
        {"type": "TEXT_MESSAGE_START", "messageId": message_id, "role": "assistant"},
        {"type": "TEXT_MESSAGE_CONTENT", "messageId": message_id, "delta": words},
        {"type": "TEXT_MESSAGE_END", "messageId": message_id},
    ]


def say(page: Page, words: str) -> None:
    page.get_by_label("Message").fill(words)
    page.get_by_role("button", name="Send", exact=True).click()


def test_legacy_on_interrupt_is_approved_with_command_resume(
    browser_page: BrowserPage, scripted: ScriptedRuns
) -> None:
    page = browser_page.page
    question = json.dumps({"question": "Delete report.txt?", "file": "report.txt"})
    scripted.scripts += [
        [
            {"type": "RUN_STARTED"},
            *text("a1", "I need your approval first."),
            {"type": "CUSTOM", "name": "on_interrupt", "value": question},
            {"type": "RUN_FINISHED"},
        ],
        [{"type": "RUN_STARTED"}, *text("a2", "Deleted report.txt."), {"type": "RUN_FINISHED"}],
    ]
    say(page, "Clean up my files")

    card = page.get_by_role("group", name="Interrupt")
    expect(card).to_contain_text('"question": "Delete report.txt?"')
    expect(page.get_by_role("button", name="Send", exact=True)).to_be_disabled()
    card.get_by_role("button", name="Approve").click()

    expect(page.locator(".message.assistant .bubble").last).to_have_text("Deleted report.txt.")
    expect(card).to_have_count(0)
    first, resumed = scripted.requests
    assert resumed["runId"] == first["runId"]  # the interrupted run, resumed
    assert resumed["forwardedProps"]["command"] == {
        "resume": {"approved": True},
        "interruptEvent": question,
    }
    assert [m["role"] for m in resumed["messages"]] == ["user", "assistant"]
    assert "resume" not in resumed


def test_interrupt_outcome_is_answered_per_interrupt_with_resume_entries(
    browser_page: BrowserPage, scripted: ScriptedRuns
) -> None:
    page = browser_page.page
    interrupts = [
        {"id": "int-1", "reason": "confirmation", "message": "Send the invoice to Ada?"},
        {
            "id": "int-2",
            "reason": "input_required",
            "message": "Which currency?",
            "responseSchema": {"type": "string"},
        },
    ]
    scripted.scripts += [
        [
            {"type": "RUN_STARTED"},
            {"type": "RUN_FINISHED", "outcome": {"type": "interrupt", "interrupts": interrupts}},
        ],
        [{"type": "RUN_STARTED"}, *text("a3", "Invoice not sent."), {"type": "RUN_FINISHED"}],
    ]
    say(page, "Bill Ada")

    cards = page.get_by_role("group", name="Interrupt")
    expect(cards).to_have_count(2)
    cards.filter(has_text="Send the invoice").get_by_role("button", name="Decline").click()
    expect(page.locator(".interrupt-card.answered")).to_contain_text("Answered (cancelled)")
    assert len(scripted.requests) == 1  # nothing is sent until every interrupt has an answer
    currency = page.get_by_role("group", name="Interrupt").filter(has_text="Which currency?")
    currency.get_by_label("Answer").fill("EUR")
    currency.get_by_role("button", name="Send answer").click()

    expect(page.locator(".message.assistant .bubble").last).to_have_text("Invoice not sent.")
    first, resumed = scripted.requests
    assert resumed["runId"] == first["runId"]
    assert resumed["resume"] == [
        {"interruptId": "int-1", "status": "cancelled"},
        {"interruptId": "int-2", "status": "resolved", "payload": "EUR"},
    ]
    assert "command" not in resumed["forwardedProps"]


def test_state_snapshot_and_delta_are_applied_and_sent_back(
    browser_page: BrowserPage, scripted: ScriptedRuns
) -> None:
    page = browser_page.page
    scripted.scripts += [
        [
            {"type": "RUN_STARTED"},
            {"type": "STATE_SNAPSHOT", "snapshot": {"todos": ["milk"], "count": 1}},
            {
                "type": "STATE_DELTA",
                "delta": [
                    {"op": "add", "path": "/todos/-", "value": "eggs"},
                    {"op": "replace", "path": "/count", "value": 2},
                    {"op": "add", "path": "/owner", "value": {"name": "Ada"}},
                ],
            },
            {"type": "STATE_DELTA", "delta": [{"op": "remove", "path": "/nothing"}]},
            *text("a4", "Added eggs."),
            {"type": "RUN_FINISHED"},
        ],
        [{"type": "RUN_STARTED"}, *text("a5", "Noted."), {"type": "RUN_FINISHED"}],
    ]
    say(page, "Add eggs")
    expect(page.locator(".message.assistant .bubble").last).to_have_text("Added eggs.")
    # A patch that does not apply is reported and changes nothing.
    expect(page.locator(".notice.error")).to_contain_text("A STATE_DELTA did not apply")

    page.get_by_role("tab", name="State").click()
    expected = {"todos": ["milk", "eggs"], "count": 2, "owner": {"name": "Ada"}}
    expect(page.locator("#state-view")).to_have_text(json.dumps(expected, indent=2))

    page.get_by_role("button", name="Edit").click()
    page.get_by_label("State (JSON)").fill(json.dumps({**expected, "count": 3}))
    page.get_by_role("button", name="Save state").click()
    expect(page.locator("#state-view")).to_contain_text('"count": 3')

    say(page, "Thanks")
    expect(page.locator(".message.assistant .bubble").last).to_have_text("Noted.")
    assert scripted.requests[1]["state"] == {**expected, "count": 3}
