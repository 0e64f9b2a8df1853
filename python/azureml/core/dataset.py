from runctx import Dataset  # noqa: F401
