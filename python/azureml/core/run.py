from runctx import Run  # noqa: F401
