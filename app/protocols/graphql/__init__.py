"""The legacy GraphQL protocol of CopilotKit <= 1.10 (and CopilotTask), at the base URL."""

from copilot_runtime.app.protocols.graphql.router import graphql_response, graphql_router

__all__ = ["graphql_response", "graphql_router"]
