"""`make dev`: the whole stack in the foreground, on the embedded defaults.

`python -m devstack` starts the Temporal dev server, the platform simulator, the worker and the
API as child processes, prints their URLs, streams their output with a `[name]` prefix and
stops all of them on Ctrl-C (or when one of them dies).
"""
