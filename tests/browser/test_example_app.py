"""examples/react (CopilotKit's published React packages, built by Vite) in Chromium, against
the runtime on loopback with the offline demo model."""

from __future__ import annotations

from playwright.sync_api import Locator, Page, expect

from tests.browser.conftest import BrowserPage


def open_app(page: Page, url: str) -> None:
    page.goto(url)
    expect(page.get_by_role("heading", level=1)).to_have_text("copilot-runtime \u00d7 CopilotKit")
    expect(page.get_by_text("Hi! Ask me about the weather")).to_be_visible()


def say(page: Page, text: str) -> None:
    """Type and send, once the chat takes messages (its send button is enabled).

    The chat ignores a send while the page is still connecting to its thread (CopilotKit
    connects several times per load), even with the button enabled; the text then stays in
    the box, and a user would press send again: so does this, until the message shows.
    """
    box = page.get_by_placeholder("Type a message")
    box.fill(text)
    send = page.locator('button[data-test-id="copilot-chat-ready"]')
    sent = page.locator(".copilotKitUserMessage").filter(has_text=text).last
    for _ in range(3):
        expect(send).to_be_enabled()
        send.click()
        try:
            expect(sent).to_be_visible(timeout=10_000)
            return
        except AssertionError:
            if box.input_value() != text:  # it was taken: wait for it below
                break
    expect(sent).to_be_visible()


def assistant_says(page: Page, text: str) -> Locator:
    found = page.locator(".copilotKitAssistantMessage").filter(has_text=text)
    expect(found).to_be_visible()
    return found


def test_chat_and_a_backend_action_with_its_own_render(
    browser_page: BrowserPage, example_app: str
) -> None:
    page = browser_page.page
    open_app(page, example_app)
    say(page, "Tell me a joke")
    assistant_says(page, "I am the offline demo model")

    say(page, "What is the weather for Paris?")
    card = page.get_by_test_id("weather-card")
    expect(card).to_contain_text("Weather in Paris")
    expect(card).to_contain_text("sunny, 21 °C")
    assistant_says(page, "getWeather returned")


def test_frontend_action_runs_in_the_page(browser_page: BrowserPage, example_app: str) -> None:
    page = browser_page.page
    open_app(page, example_app)
    say(page, "Make the background color teal")
    expect(page.get_by_test_id("background")).to_have_text("teal")
    # The handler's result went back to the agent, which answered in a follow-up run.
    assistant_says(page, "setBackgroundColor returned: The background is now teal.")


def test_human_in_the_loop_card_is_approved(browser_page: BrowserPage, example_app: str) -> None:
    page = browser_page.page
    open_app(page, example_app)
    say(page, "Schedule a meeting called Standup")
    card = page.get_by_test_id("meeting-card")
    expect(card).to_contain_text("Schedule Standup?")
    card.get_by_role("button", name="Approve").click()
    expect(card).to_contain_text("Meeting Standup: approved")
    assistant_says(page, 'scheduleMeeting returned: {"approved":true}')


def test_conversation_and_shared_state_survive_a_reload(
    browser_page: BrowserPage, example_app: str
) -> None:
    page = browser_page.page
    open_app(page, example_app)
    page.get_by_label("New note").fill("bring snacks")
    page.get_by_role("button", name="Add note").click()
    expect(page.get_by_role("region", name="Notes")).to_contain_text("bring snacks")
    say(page, "What is the weather for Oslo?")
    expect(page.get_by_test_id("weather-card")).to_contain_text("sunny, 21 °C")
    assistant_says(page, "getWeather returned")

    page.reload()
    expect(page.get_by_text("What is the weather for Oslo?")).to_be_visible()
    expect(page.get_by_test_id("weather-card")).to_contain_text("Weather in Oslo")
    assistant_says(page, "getWeather returned")
    # The notes were sent with the run, kept with the thread and replayed by /connect.
    expect(page.get_by_role("region", name="Notes")).to_contain_text("bring snacks")
