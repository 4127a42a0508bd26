"""`python -m copilot_runtime.testing.fake_openai`: the fake OpenAI server on its own."""

from copilot_runtime.testing.fake_openai.server import main

main()
