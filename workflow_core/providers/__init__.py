"""Model providers behind one interface: OpenAI-compatible HTTP, Anthropic Messages, the embedded llama.cpp."""
