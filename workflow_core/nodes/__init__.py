"""The node kinds, one module each. Importing this package registers the built-in kinds with
`workflow_core.workflow.kinds`, in palette order; a new kind is one more module that calls `register`."""

import importlib

BUILTIN_KINDS = ("agent", "profile", "retrieve", "image", "assemble", "qa")

for _name in BUILTIN_KINDS:
    importlib.import_module(f"{__name__}.{_name}")
