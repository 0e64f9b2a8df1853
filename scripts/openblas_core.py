"""OpenBLAS's kernels for the scripts that run scikit-learn.

OpenBLAS picks its kernels, so its order of rounding, by the CPU it
recognizes: a virtual "Intel Xeon Processor" it does not know gets its
Prescott (SSE3) kernels, an AVX-512 CPU it knows gets SkylakeX's. Set
OPENBLAS_CORETYPE before numpy is imported to choose.
"""
import os


def has_avx512():
    """Whether this CPU has AVX-512 (what SkylakeX's kernels need)."""
    try:
        with open("/proc/cpuinfo") as f:
            return any(line.startswith("flags") and " avx512f" in line for line in f)
    except OSError:
        return False


def use_skylakex():
    """Give OpenBLAS SkylakeX's kernels if the CPU can run them and
    OPENBLAS_CORETYPE is not set; returns whether they are in use."""
    if "OPENBLAS_CORETYPE" in os.environ:
        return os.environ["OPENBLAS_CORETYPE"].lower() == "skylakex"
    if not has_avx512():
        return False
    os.environ["OPENBLAS_CORETYPE"] = "SkylakeX"
    return True
