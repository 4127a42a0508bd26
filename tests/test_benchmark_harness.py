"""The benchmark harness still works: load generator, /proc meter and tables (counts, not times)."""

from __future__ import annotations

import dataclasses
import os
import threading
import time
from collections.abc import Iterator
from typing import Any

import openai
import pytest
import uvicorn

from benchmarks.ab import _round, ratio_row, table_row
from benchmarks.actions import actions
from benchmarks.loadgen import LoadSpec, run_load
from benchmarks.measure import Result
from benchmarks.procstat import UsageMeter
from benchmarks.report import holds, render
from benchmarks.scenarios import scenarios
from benchmarks.servers import RUN_PATH, Server, free_port
from copilot_runtime.app.main import create_app
from copilot_runtime.app.runtime import CopilotRuntime
from copilot_runtime.app.settings import Settings
from copilot_runtime.graphs import StreamingChatOpenAI
from copilot_runtime.testing.fake_openai import FakeOpenAIServer, Text


@pytest.fixture
def served(fake_openai: FakeOpenAIServer) -> Iterator[str]:
    """copilot-runtime on loopback in a thread, using the fake model; yields its run URL."""
    fake_openai.default = Text(tokens=12)
    # Its own HTTP client: langchain-openai's cached default belongs to another test's loop.
    model = StreamingChatOpenAI(
        model="gpt-bench",
        base_url=fake_openai.base_url,
        api_key="fake",
        http_async_client=openai.DefaultAsyncHttpxClient(),
    )
    runtime = CopilotRuntime(actions=actions, model=model)
    port = free_port()
    config = uvicorn.Config(
        create_app(runtime, Settings(threads_path=":memory:")),
        host="127.0.0.1",
        port=port,
        log_level="warning",
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started
    yield f"http://127.0.0.1:{port}{RUN_PATH}"
    server.should_exit = True
    thread.join(timeout=10)


async def test_load_generator_reads_every_stream_when_driving_the_server(
    served: str, fake_openai: FakeOpenAIServer
) -> None:
    body = scenarios(quick=True)[0].agui_body()
    report = await run_load(LoadSpec(url=served, body=body, requests=4, concurrency=2))
    assert [sample.error for sample in report.samples] == [""] * 4
    assert all(sample.text_frames == 12 for sample in report.samples)
    assert all(sample.frames == 16 for sample in report.samples)  # run, text start/end, 12
    assert len({r.body["messages"][0]["content"] for r in fake_openai.model_requests()}) == 1


async def test_load_generator_holds_conversations_that_resend_what_was_said(
    served: str, fake_openai: FakeOpenAIServer
) -> None:
    conversation = next(s for s in scenarios(quick=True) if s.measure == "conversation")
    spec = LoadSpec(
        url=served, body=conversation.agui_body(), requests=6, turns=3, server_pid=os.getpid()
    )
    report = await run_load(spec)
    assert [(s.ok, s.turn) for s in report.samples] == [(True, t) for t in (0, 1, 2, 0, 1, 2)]
    assert all(s.server_cpu > 0 for s in report.samples)  # the server runs in this process
    prompts = [
        [m for m in r.body["messages"] if m["role"] != "system"]
        for r in fake_openai.model_requests()
    ]
    assert [len(prompt) for prompt in prompts] == [1, 3, 5, 1, 3, 5]
    answer = prompts[1][1]
    assert answer["role"] == "assistant"
    assert answer["content"] == "".join(Text(tokens=12).words())  # the text streamed back


def test_conversation_table_shows_how_a_turn_grows_with_the_thread() -> None:
    result = Result(
        server="copilot-runtime", scenario="conversation", concurrency=1, requests=20, errors=0,
        wall=1.0, cpu_seconds=0.2, peak_rss=100 * 1024 * 1024, ttfb=[], ttft=[], total=[],
        frames=0, cpu_by_turn=[0.005 + 0.0001 * turn for turn in range(20)],
        stored_bytes=20 * 2048,
    )  # fmt: skip
    table = render(scenarios(quick=True), [result], {})
    row = next(line for line in table.splitlines() if line.startswith("| copilot-runtime"))
    # turns 1-10: 5.0-5.9 ms, median 5.45; last ten 6.0-6.9; 100 µs more per turn; 2 KiB a turn
    assert row == "| copilot-runtime | 5.5 | 6.5 |  | 100 | 2.0 | 100 | 0/20 |"


def test_threads_table_shows_what_each_idle_thread_leaves_behind() -> None:
    result = Result(
        server="node-copilotkit-runtime", scenario="threads", concurrency=8, requests=100,
        errors=0, wall=1.0, cpu_seconds=0.9, peak_rss=200 * 1024 * 1024, ttfb=[], ttft=[],
        total=[], frames=0, rss_growth=100 * 30 * 1024,
    )  # fmt: skip
    table = render(scenarios(quick=True), [result], {})
    row = next(line for line in table.splitlines() if line.startswith("| node-copilotkit"))
    assert row == "| node-copilotkit-runtime | 30.0 |  | 9.0 | 200 | 0/100 |"  # nothing on disk


def _floor_load(fake_openai: FakeOpenAIServer, **options: Any) -> LoadSpec:
    """A load of streamed chat completions sent to the fake model itself (the floor)."""
    return LoadSpec(
        url=f"{fake_openai.base_url}/chat/completions",
        body=scenarios(quick=True)[0].floor_body(),
        kind="openai-chat",
        **options,
    )


async def test_load_generator_reads_the_floor_when_calling_the_model(
    fake_openai: FakeOpenAIServer,
) -> None:
    fake_openai.default = Text(tokens=5)
    report = await run_load(_floor_load(fake_openai, requests=3, concurrency=3, ramp=0.01))
    assert report.errors == 0
    assert [sample.text_frames for sample in report.samples] == [5, 5, 5]


async def test_load_generator_sends_nothing_new_once_its_budget_is_spent(
    fake_openai: FakeOpenAIServer,
) -> None:
    fake_openai.default = Text(tokens=2, first_delay_ms=60)  # each request outlasts the budget
    report = await run_load(_floor_load(fake_openai, requests=20, concurrency=3, budget=0.03))
    # Every client sends its first request and reads it to the end, then stops.
    assert [(sample.ok, sample.text_frames) for sample in report.samples] == [(True, 2)] * 3
    assert len(fake_openai.model_requests()) == 3


def test_paced_table_marks_the_levels_the_quick_suite_did_not_try() -> None:
    paced = next(s for s in scenarios(quick=True) if s.measure == "paced")
    assert paced.stop_at_first_miss
    baseline = 2.0
    slow = Result(
        server="ag-ui-langgraph", scenario="paced", concurrency=25, requests=25, errors=0,
        wall=5.0, cpu_seconds=1.0, peak_rss=100 * 1024 * 1024, ttfb=[], ttft=[],
        total=[baseline + 0.3] * 25, frames=0,
    )  # fmt: skip
    fast = dataclasses.replace(slow, server="copilot-runtime", total=[baseline + 0.1] * 25)
    assert holds(fast, baseline)
    assert not holds(slow, baseline)  # p99 added 300 ms
    assert not holds(dataclasses.replace(fast, errors=1), baseline)
    table = render([paced], [slow, fast, dataclasses.replace(fast, concurrency=200)], {"paced": 2})
    rows = {line.split(" | ")[0]: line for line in table.splitlines() if line.startswith("| ")}
    assert rows["| ag-ui-langgraph"].endswith("| 0 | 300.0 / 0 / 100 (0) | not tried |")
    assert rows["| copilot-runtime"].endswith("| 200 | 100.0 / 0 / 100 (0) | 100.0 / 0 / 100 (0) |")


async def test_load_generator_counts_an_error_when_the_stream_is_not_agui(
    fake_openai: FakeOpenAIServer,
) -> None:
    url = f"{fake_openai.base_url}/chat/completions"
    report = await run_load(LoadSpec(url=url, body={"stream": True}, requests=2))
    assert report.errors == 2
    assert all(sample.error for sample in report.samples)


def test_meter_and_tables_report_what_they_measured() -> None:
    meter = UsageMeter(os.getpid(), interval=0.01)
    meter.start()
    sum(i * i for i in range(200_000))
    time.sleep(0.05)
    usage = meter.stop()
    assert usage.peak_rss > 0
    assert 0 < usage.peak_pss <= usage.peak_rss  # a shared page counts in part, never more
    assert usage.samples >= 1
    result = Result(
        server="copilot-runtime", scenario="chat-20", concurrency=1, requests=2, errors=0,
        wall=1.0, cpu_seconds=usage.cpu_seconds, peak_rss=usage.peak_rss, ttfb=[0.001] * 2,
        ttft=[0.002] * 2, total=[0.01] * 2, frames=48,
    )  # fmt: skip
    table = render(scenarios(quick=True), [result], {})
    assert "| copilot-runtime |" in table
    assert "20-token chat" in table


def test_interleaved_comparison_reports_the_median_of_its_rounds() -> None:
    def round_of(wall: float, cpu_seconds: float) -> Result:
        return Result(
            server="this checkout", scenario="action", concurrency=1, requests=10, errors=0,
            wall=wall, cpu_seconds=cpu_seconds, peak_rss=1, ttfb=[], ttft=[], total=[], frames=300,
        )  # fmt: skip

    rounds = [round_of(1.0, 0.10), round_of(2.0, 0.30), round_of(1.0, 0.12)]
    assert table_row("action", "this checkout", rounds) == (
        "| action | this checkout | 12.00 | 10.0 | 0 | 10.0 30.0 12.0 |"
    )


def test_together_comparison_reports_each_rounds_cpu_ratio_to_this_checkout() -> None:
    def round_of(server: str, cpu_seconds: float) -> Result:
        return Result(
            server=server, scenario="paced", concurrency=50, requests=100, errors=0, wall=4.0,
            cpu_seconds=cpu_seconds, peak_rss=1, ttfb=[], ttft=[], total=[], frames=300,
        )  # fmt: skip

    this = [round_of("this checkout", cpu) for cpu in (2.0, 2.5, 1.8)]
    other = [round_of("other checkout", cpu) for cpu in (1.9, 2.0, 1.8)]
    assert ratio_row("paced", "other checkout", other, this) == (
        "| paced | other checkout / this checkout | 0.950 | 0.950 0.800 1.000 |"
    )


def test_together_comparison_refuses_a_scripted_scenario() -> None:
    fake = Server(name="fake", command=[], port=0)
    with pytest.raises(SystemExit, match="action"):
        _round([fake, fake], fake, "action", requests=1, level=1, together=True)


def test_transport_benchmark_reads_every_stream_over_both_http_stacks(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from benchmarks.transport import main

    assert main(["--streams", "3", "--rounds", "1", "--tokens", "5", "--delay-ms", "0"]) == 0
    rows = [line for line in capsys.readouterr().out.splitlines() if line.startswith("| ")]
    assert [row.split(" | ")[0] for row in rows[1:]] == ["| httpx", "| aiohttp"]
    assert all(float(row.split(" | ")[1]) > 0 for row in rows[1:])  # chunks were read and timed
