from runctx import Workspace  # noqa: F401
