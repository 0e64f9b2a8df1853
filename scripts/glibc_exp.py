#!/usr/bin/python3
"""Write ml/testdata/glibc/exp.json: arguments and glibc's exp of them, as
hexadecimal floats, for ml/exp_test.go (ml.expGlibc must give the same bits).

    make golden        # or: /usr/bin/python3 scripts/glibc_exp.py

Python's math.exp returns libm's exp for every finite result; on x86-64
with FMA that is glibc's __exp_fma, the variant scikit-learn's compiled
loss calls there.
"""
import json
import math
import os
import random

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "ml", "testdata", "glibc", "exp.json")


def arguments():
    r = random.Random(24)
    xs = [0.0, -0.0, 1.0, -1.0, 2.0**-60, -2.0**-60, 2.0**-54, 1.0625 * 2.0**-54, 709.78, -708.39, -745.0, -745.2, 1e-300]
    xs += [-r.random() * 40 for _ in range(4000)]            # the loss's exp(v - max)
    xs += [r.uniform(-745.1, -512) for _ in range(2000)]    # specialcase, k < 0: small and subnormal results
    xs += [r.uniform(0, 512) for _ in range(300)]
    xs += [r.uniform(512, 709.7) for _ in range(2000)]      # specialcase, k > 0
    xs += [r.uniform(-1e-3, 1e-3) for _ in range(500)]
    xs += [math.ldexp(r.random(), -r.randrange(20, 60)) for _ in range(200)]
    return xs


def main():
    xs = arguments()
    out = {"args": [x.hex() for x in xs], "exp": [math.exp(x).hex() for x in xs]}
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w") as f:
        json.dump(out, f, indent=0)
        f.write("\n")


if __name__ == "__main__":
    main()
