"""Running a workflow: the engine, run records, estimates, the store, background runs and reports."""
