"""Test doubles that are real servers: the scripted OpenAI-compatible server."""
