from runctx import ResourceConfiguration  # noqa: F401
