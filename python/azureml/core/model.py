from runctx import Model  # noqa: F401
