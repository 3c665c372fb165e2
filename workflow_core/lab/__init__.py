"""The decomposition lab: experiments, what-if pricing, the coordination fit, TCO, charts, exports."""
