"""The playground page in Chromium, against a real runtime on loopback (offline demo model)."""

from __future__ import annotations

import re
import uuid

from playwright.sync_api import Locator, Page, expect

from tests.browser.conftest import BrowserPage
from tests.e2e.conftest import LiveServer


def open_playground(page: Page, runtime: LiveServer) -> None:
    page.goto(runtime.url)
    expect(page.get_by_role("status").filter(has_text="copilot-runtime")).to_contain_text("1 agent")


def say(page: Page, text: str) -> None:
    page.get_by_label("Message").fill(text)
    page.get_by_role("button", name="Send", exact=True).click()


def idle(page: Page) -> None:
    """The run is over: Send is back (the message box is empty, so it waits for input)."""
    expect(page.get_by_role("button", name="Stop")).to_be_disabled()


def tool_card(page: Page, name: str) -> Locator:
    return page.locator(f'.tool-call[data-tool="{name}"]')


def test_banner_names_the_playground_url(runtime: LiveServer) -> None:
    banner = runtime.log.read_text()
    assert f"\n  playground: open {runtime.url} in a browser\n" in banner


def test_chat_streams_text_and_shows_a_backend_action(
    browser_page: BrowserPage, runtime: LiveServer
) -> None:
    page = browser_page.page
    open_playground(page, runtime)
    expect(page.get_by_label("Agent")).to_have_value("default")

    say(page, "Tell me a joke")
    answer = page.locator(".message.assistant .bubble").last
    expect(answer).to_contain_text("I am the offline demo model")
    idle(page)

    say(page, "What is the weather for Paris?")
    card = tool_card(page, "getWeather")
    expect(card.locator(".tool-args")).to_contain_text('"city": "Paris"')
    expect(card.locator(".tool-result")).to_contain_text('"forecast": "sunny"')
    expect(card.locator(".tool-status")).to_have_text("done")
    expect(page.locator(".message.assistant .bubble").last).to_contain_text(
        'getWeather returned: {"city":"Paris"'
    )
    idle(page)

    # The timeline has every event of both runs, each with its time since the request.
    page.get_by_role("tab", name="Events").click()
    events = page.locator(".timeline-event")
    expect(events.filter(has_text="TOOL_CALL_RESULT")).to_have_count(1)
    expect(events.filter(has_text="RUN_FINISHED")).to_have_count(2)
    assert events.filter(has_text="TEXT_MESSAGE_CONTENT").count() > 4  # streamed in pieces
    expect(events.first.locator("time")).to_have_text(re.compile(r"^\+\d+ ms$"))
    events.filter(has_text="TOOL_CALL_RESULT").locator("summary").click()
    expect(events.filter(has_text="TOOL_CALL_RESULT").locator("pre")).to_contain_text(
        '"toolCallId"'
    )


def test_properties_change_which_actions_exist(
    browser_page: BrowserPage, runtime: LiveServer
) -> None:
    page = browser_page.page
    open_playground(page, runtime)

    say(page, "Reset the password of account 7")
    answer = page.locator(".message.assistant .bubble").last
    expect(answer).to_contain_text("My actions here are: fetchNameForUserId, getWeather")
    expect(answer).not_to_contain_text("resetUserPassword")
    expect(tool_card(page, "resetUserPassword")).to_have_count(0)
    idle(page)

    page.get_by_role("tab", name="Properties").click()
    properties = page.get_by_label("Properties (JSON)")
    properties.fill('{"role": "admin"')
    expect(page.locator("#properties-error")).to_contain_text("Not used until fixed")
    page.get_by_label("Message").fill("anything")
    expect(page.get_by_role("button", name="Send", exact=True)).to_be_disabled()
    properties.fill('{"role": "admin"}')
    expect(page.locator("#properties-error")).to_be_hidden()

    say(page, "Reset the password of account 7")
    card = tool_card(page, "resetUserPassword")
    expect(card.locator(".tool-result")).to_contain_text("A reset link was sent to user 7.")
    idle(page)

    # The properties are kept for the next visit, and still change what the agent can do.
    page.reload()
    expect(page.get_by_label("Properties (JSON)")).to_have_value('{"role": "admin"}')


def test_stop_ends_a_running_action(browser_page: BrowserPage, runtime: LiveServer) -> None:
    page = browser_page.page
    open_playground(page, runtime)

    say(page, "Write a slow report about Mars")  # the action sleeps for a minute
    card = tool_card(page, "slowReport")
    expect(card.locator(".tool-status")).to_have_text("running…")
    stop = page.get_by_role("button", name="Stop")
    expect(stop).to_be_enabled()
    stop.click()

    expect(page.locator(".notice").filter(has_text="Stopped.")).to_be_visible()
    idle(page)
    expect(card.locator(".tool-status")).to_have_text("no result")
    page.get_by_role("tab", name="Events").click()
    expect(page.locator(".timeline-note").filter(has_text='stop: {"stopped":true')).to_be_visible()
    expect(page.locator(".timeline-event").last).to_contain_text("RUN_FINISHED")

    # The thread is free again at once.
    say(page, "What is the name of user 42?")
    expect(tool_card(page, "fetchNameForUserId").locator(".tool-result")).to_contain_text(
        "Darth Doe"
    )


def test_thread_list_survives_a_reload_and_renames_and_deletes(
    browser_page: BrowserPage, runtime: LiveServer
) -> None:
    page = browser_page.page
    open_playground(page, runtime)
    marker = uuid.uuid4().hex[:8]

    say(page, f"What is the name of user {marker}?")
    expect(tool_card(page, "fetchNameForUserId").locator(".tool-result")).to_contain_text(
        "Darth Doe"
    )
    idle(page)
    threads = page.locator("#thread-list .thread")
    mine = threads.filter(has_text=marker)
    expect(mine).to_have_count(1)
    thread_id = page.locator("#thread-id").inner_text()

    page.reload()
    expect(mine).to_have_count(1)
    expect(mine).to_have_class(re.compile(r"\bcurrent\b"))
    expect(page.locator("#thread-id")).to_have_text(thread_id)
    # The conversation came back from the runtime (/connect), tool result included.
    expect(page.locator(".message.user")).to_contain_text(f"user {marker}")
    expect(tool_card(page, "fetchNameForUserId").locator(".tool-result")).to_contain_text(
        "Darth Doe"
    )

    # A new thread, then back to the first one from the list.
    page.get_by_role("button", name="New thread").click()
    expect(page.locator(".empty")).to_be_visible()
    mine.locator(".open").click()
    expect(page.locator(".message.user")).to_contain_text(f"user {marker}")

    mine.get_by_role("button", name=re.compile("^Rename")).click()
    page.get_by_label("Thread name").fill(f"renamed {marker}")
    page.get_by_role("button", name="Save").click()
    renamed = threads.filter(has_text=f"renamed {marker}")
    expect(renamed).to_have_count(1)
    page.reload()
    expect(renamed).to_have_count(1)

    renamed.get_by_role("button", name=re.compile("^Delete")).click()
    expect(threads.filter(has_text=marker)).to_have_count(0)
    expect(page.locator("#thread-id")).not_to_have_text(thread_id)  # a new thread is open
    page.reload()
    expect(page.get_by_role("status").filter(has_text="copilot-runtime")).to_contain_text("agent")
    expect(threads.filter(has_text=marker)).to_have_count(0)


def test_agent_picker_and_the_state_a_graph_keeps(
    browser_page: BrowserPage, two_agents: LiveServer
) -> None:
    page = browser_page.page
    page.goto(two_agents.url)
    expect(page.locator("#runtime")).to_contain_text("2 agents")
    picker = page.get_by_label("Agent")
    expect(picker.locator("option")).to_have_text(["default", "counter"])
    picker.select_option("counter")

    say(page, "Count once")
    expect(page.locator(".message.assistant .bubble").last).to_have_text("Counted to 1.")
    page.get_by_role("tab", name="State").click()
    expect(page.locator("#state-view")).to_have_text('{\n  "count": 1\n}')
    idle(page)
    say(page, "Count again")  # the state goes back with the run, and the graph adds one
    expect(page.locator(".message.assistant .bubble").last).to_have_text("Counted to 2.")
    expect(page.locator("#state-view")).to_have_text('{\n  "count": 2\n}')
    threads = page.locator("#thread-list .thread")
    expect(threads.filter(has_text="Count once")).to_have_count(1)
    idle(page)  # the answer shows before the run has written its last step

    # The picked agent, its thread and the thread's state come back after a reload.
    page.reload()
    expect(page.get_by_label("Agent")).to_have_value("counter")
    expect(page.locator(".message.user")).to_have_count(2)
    page.get_by_role("tab", name="State").click()
    expect(page.locator("#state-view")).to_have_text('{\n  "count": 2\n}')
    # Each agent lists its own threads.
    page.get_by_label("Agent").select_option("default")
    expect(threads.filter(has_text="Count once")).to_have_count(0)
