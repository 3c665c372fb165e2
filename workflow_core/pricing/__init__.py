"""Prices of model calls: hosted models from genai-prices, local models by compute time."""
