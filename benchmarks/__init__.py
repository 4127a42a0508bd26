"""Benchmarks: copilot-runtime beside the Node CopilotKit runtime, ag-ui-langgraph and the model."""
