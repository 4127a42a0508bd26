"""The Python peer: ag-ui-langgraph's FastAPI endpoint over a LangGraph agent with ChatOpenAI.

    python server.py PORT MODEL_BASE_URL [MODEL]   (its own venv: benchmarks/.peers/python)

Served at POST /api/copilotkit/agent/default/run, the same route as the other servers, with the
same backend action (fetchNameForUserId). Everything is the package's documented default:
`create_agent` with an in-memory checkpointer (ag-ui-langgraph needs one), `LangGraphAgent`
with its default options, `add_langgraph_fastapi_endpoint`, uvicorn.
"""

from __future__ import annotations

import sys

import uvicorn
from ag_ui_langgraph import LangGraphAgent, add_langgraph_fastapi_endpoint
from fastapi import FastAPI
from langchain.agents import create_agent
from langchain_core.tools import tool
from langchain_openai import ChatOpenAI
from langgraph.checkpoint.memory import InMemorySaver


@tool
def fetchNameForUserId(userId: str) -> dict[str, str]:  # CopilotKit's name
    """Fetches user name from the database for a given ID.

    Args:
        userId: The ID of the user to fetch data for.
    """
    return {"name": "Darth Doe", "userId": userId}


def main() -> None:
    """Serve on loopback until terminated."""
    port, base_url = int(sys.argv[1]), sys.argv[2]
    model = sys.argv[3] if len(sys.argv) > 3 else "gpt-4o-mini"
    graph = create_agent(
        ChatOpenAI(model=model, base_url=base_url, api_key="fake"),
        tools=[fetchNameForUserId],
        system_prompt="You are a helpful assistant.",
        checkpointer=InMemorySaver(),
    )
    app = FastAPI()
    add_langgraph_fastapi_endpoint(
        app,
        LangGraphAgent(name="default", graph=graph),
        path="/api/copilotkit/agent/default/run",
    )
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", backlog=4096)


if __name__ == "__main__":
    main()
