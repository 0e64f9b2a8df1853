#!/usr/bin/python3
"""Time scikit-learn on the work `make bench` times in Go (bench/sklearn.go).

    /usr/bin/python3 scripts/sklearn_bench.py FILE.csv...

For each CSV (label last; read as ml.LoadCSV reads it): fit+predict of each
of the six models of iris_supervised_model.py (fit on the training part of
train_test_split(test_size=0.2, random_state=12345), predict the validation
part), and the whole reference training (split, 3-fold cross_val_score,
fit, predict, accuracy and confusion matrix of each model). Each time is the
best of a few repeats (5 under 2,000 rows, 3 under 20,000, else 1), as in
Go. Prints one JSON object. Needs Debian's python3-sklearn and python3-pandas.
"""
import json
import os
import sys
import time
import warnings

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from openblas_core import use_skylakex  # noqa: E402  (before numpy loads OpenBLAS)

# scikit-learn at its best on this CPU: with AVX-512, SkylakeX's kernels
# rather than the Prescott ones OpenBLAS falls back to on a CPU it does not
# recognize.
use_skylakex()

import numpy as np  # noqa: E402
import sklearn
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import accuracy_score, confusion_matrix
from sklearn.model_selection import KFold, cross_val_score, train_test_split

from golden import NAMES, model, read  # noqa: E402

warnings.simplefilter("ignore", ConvergenceWarning)


def repeats(n):
    return 5 if n < 2000 else 3 if n < 20000 else 1


def best(f, r):
    ts = []
    for _ in range(r):
        t = time.perf_counter()
        f()
        ts.append(time.perf_counter() - t)
    return min(ts)


def train_all(X, y):
    Xtr, Xva, ytr, yva = train_test_split(X, y, test_size=0.20, random_state=12345)
    best_name, best_acc = None, -1.0
    for name in NAMES:
        cross_val_score(model(name), Xtr, ytr, cv=KFold(n_splits=3), scoring="accuracy")
        m = model(name).fit(Xtr, ytr)
        p = m.predict(Xva)
        acc = accuracy_score(yva, p)
        confusion_matrix(yva, p)
        if acc > best_acc:
            best_name, best_acc = name, acc
    return best_name


def main():
    out = {"sklearn": sklearn.__version__, "numpy": np.__version__, "results": {}}
    for path in sys.argv[1:]:
        X, y = read(path)
        r = repeats(len(y))
        tr, va = train_test_split(np.arange(len(y)), test_size=0.20, random_state=12345)
        fp = {}
        for name in NAMES:
            fp[name] = best(lambda: model(name).fit(X[tr], y[tr]).predict(X[va]), r)
            print(f"sklearn {os.path.basename(path)} {name}: {fp[name]:.4f} s", file=sys.stderr, flush=True)
        ta = best(lambda: train_all(X, y), r)
        print(f"sklearn {os.path.basename(path)} training: {ta:.4f} s", file=sys.stderr, flush=True)
        out["results"][path] = {"rows": len(y), "features": X.shape[1], "fit_predict": fp, "train_all": ta}
    print(json.dumps(out))


if __name__ == "__main__":
    main()
