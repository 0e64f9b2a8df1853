#!/usr/bin/python3
"""Regenerate ml/testdata/golden/: the figures scikit-learn gives for the
reference pipeline (iris_supervised_model.py) on each golden data set.

    make golden        # or: /usr/bin/python3 scripts/golden.py
    /usr/bin/python3 scripts/golden.py --figures FILE.csv
    /usr/bin/python3 scripts/golden.py --params

With --figures it writes nothing and prints, for one CSV, the JSON object
`go run ./activities/cmd/train --data FILE.csv --json` prints.

With --params it writes only ml/testdata/golden/params/params.json (read by
ml/params_golden_test.go): for a few hyperparameter settings of CART and
SVC (PARAM_CASES) on iris and unequal.csv, the same split and folds, the
fold and validation predictions, and for CART the tree of the fit on the
whole training part.

Needs Debian's python3-sklearn (scikit-learn 1.2.1, numpy 1.24) and
python3-pandas, and a CPU with AVX-512 (OpenBLAS's SkylakeX kernels). The
Go tests (ml/golden_test.go) read the committed CSVs and JSON; they never
run Python.

For each data set it writes <name>.json with the split, and per model the
cross-validation fold scores, the fold and validation predictions, the
accuracy, the confusion matrix; the best model; for CART (random_state=SEED,
as the Go pipeline seeds it) the tree of the fit on the whole training part;
for LR, whether lbfgs converged in every fit. The data sets it makes are
written beside as <name>.csv (label last). cart/trees.json holds, for a few
data sets, the trees CART grows with each of CART_STATES.
"""
import os
import sys

os.environ.setdefault("OMP_NUM_THREADS", "1")  # KNN brute force: one heap, no thread merge
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
# The goldens are figures of OpenBLAS's SkylakeX kernels, on any machine with
# AVX-512 (the ill-conditioned LR fits differ by up to 6% between kernels).
from openblas_core import use_skylakex  # noqa: E402

if __name__ == "__main__" and not use_skylakex():
    sys.exit("golden.py: the goldens are figures of OpenBLAS's SkylakeX kernels: they need AVX-512 and "
             "OPENBLAS_CORETYPE unset or SkylakeX (it is %r)" % os.environ.get("OPENBLAS_CORETYPE"))

import json
import warnings

import numpy as np
import pandas as pd
import sklearn
from sklearn.datasets import load_digits, make_classification
from sklearn.discriminant_analysis import LinearDiscriminantAnalysis
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, confusion_matrix
from sklearn.model_selection import KFold, train_test_split
from sklearn.naive_bayes import GaussianNB
from sklearn.neighbors import KNeighborsClassifier
from sklearn.svm import SVC
from sklearn.tree import DecisionTreeClassifier

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "ml", "testdata", "golden")
SEED, TEST_SIZE, FOLDS = 12345, 0.20, 3
NAMES = ["LR", "LDA", "KNN", "CART", "NB", "SVM"]
# random_state values of cart/trees.json: small, the pipeline's, the largest.
CART_STATES = [0, 1, 2, 42, SEED, 2**32 - 1]
CART_TREE_SETS = ["data/iris.csv", "ml/testdata/golden/constant_collinear.csv", "ml/testdata/golden/digits.csv",
                  "ml/testdata/golden/ten_classes.csv", "ml/testdata/golden/unequal.csv", "ml/testdata/golden/wide.csv"]


def model(name, random_state=SEED, params=None):
    params = params or {}
    return {
        "LR": lambda: LogisticRegression(**params),
        "LDA": lambda: LinearDiscriminantAnalysis(**params),
        "KNN": lambda: KNeighborsClassifier(**params),
        "CART": lambda: DecisionTreeClassifier(random_state=random_state, **params),
        "NB": lambda: GaussianNB(**params),
        "SVM": lambda: SVC(**params),
    }[name]()


def read(path):
    """Read a CSV as the Go loader does: header detected, label last,
    correctly rounded floats (pandas' default parser is not)."""
    with open(path, encoding="utf-8-sig") as f:
        first = f.readline().split(",")
    header = 0
    try:
        [float(v) for v in first[:-1]]
        header = None
    except ValueError:
        pass
    df = pd.read_csv(path, header=header, float_precision="round_trip", encoding="utf-8-sig")
    X = df.iloc[:, :-1].to_numpy(dtype=np.float64)
    y = df.iloc[:, -1].to_numpy()
    if y.dtype == object:
        y = np.array([s[5:] if s.lower().startswith("iris-") else s for s in y])
    return X, y


def fit_predict(name, Xtr, ytr, Xte, random_state=SEED, params=None):
    m = model(name, random_state, params)
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always", ConvergenceWarning)
        m.fit(Xtr, ytr)
    converged = not any(issubclass(x.category, ConvergenceWarning) for x in w)
    return m, m.predict(Xte), converged


def load_split(path):
    """The CSV read, its sorted class labels, the labels as their indices,
    and the reference split: training and validation indices."""
    X, y = read(path)
    classes = np.unique(y)
    yi = np.searchsorted(classes, y)
    tr, va = train_test_split(np.arange(len(y)), test_size=TEST_SIZE, random_state=SEED)
    return X, classes, yi, tr, va


def run(name, csv, rel):
    X, classes, yi, tr, va = load_split(csv)
    n = len(yi)
    Xtr, ytr, Xva, yva = X[tr], yi[tr], X[va], yi[va]
    folds = list(KFold(n_splits=FOLDS).split(Xtr))
    out = {
        "dataset": name, "csv": rel, "sklearn": sklearn.__version__, "numpy": np.__version__,
        "n_rows": n, "n_features": X.shape[1], "seed": SEED, "test_size": TEST_SIZE, "folds": FOLDS,
        "class_labels": [str(c) for c in classes],
        "split": {"validation_indices": va.tolist(), "train_indices": tr.tolist()},
        "models": {},
    }
    best, best_acc = None, -1.0
    for m in NAMES:
        scores, fold_preds, conv, iters, coefs = [], [], [], [], []
        for a, b in folds:
            fitted, p, c = fit_predict(m, Xtr[a], ytr[a], Xtr[b])
            scores.append(accuracy_score(ytr[b], p))
            fold_preds.append(p.tolist())
            conv.append(c)
            if m == "LR":
                iters.append(int(fitted.n_iter_.max()))
                coefs.append(lr_params(fitted))
        fitted, p, c = fit_predict(m, Xtr, ytr, Xva)
        conv.append(c)
        if m == "LR":
            iters.append(int(fitted.n_iter_.max()))
            coefs.append(lr_params(fitted))
        acc = accuracy_score(yva, p)
        r = {
            "cv_scores": scores, "cv_mean": float(np.mean(scores)), "cv_std": float(np.std(scores)),
            "cv_predictions": fold_preds, "validation_predictions": p.tolist(), "accuracy": acc,
            "confusion_matrix": confusion_matrix(yva, p, labels=range(len(classes))).tolist(),
        }
        if m == "LR":
            r["converged"], r["n_iter"], r["fits"] = conv, iters, coefs
        if m == "CART":
            r["tree"] = tree(fitted)
        out["models"][m] = r
        if acc > best_acc:
            best, best_acc = m, acc
    out["best_model"], out["accuracy"] = best, best_acc
    write_json(os.path.join(OUT, name + ".json"), out)
    print(f"{name}: {n}x{X.shape[1]}, {len(classes)} classes, best {best} {best_acc:.4f}", file=sys.stderr)


def lr_params(m):
    """A fitted LogisticRegression's coef_ and intercept_ (one row for two classes)."""
    return {"coef": m.coef_.tolist(), "intercept": m.intercept_.tolist()}


def tree(m):
    """A fitted DecisionTreeClassifier's nodes, numbered as tree_ numbers
    them: feature (-2 at a leaf), threshold, children (-1 at a leaf)."""
    t = m.tree_
    return {"feature": t.feature.tolist(), "threshold": t.threshold.tolist(),
            "children_left": t.children_left.tolist(), "children_right": t.children_right.tolist()}


def cart_trees():
    """ml/testdata/golden/cart/trees.json: the tree CART grows on the
    training part of each of CART_TREE_SETS with each of CART_STATES, and
    its validation predictions."""
    out = {"sklearn": sklearn.__version__, "numpy": np.__version__, "seed": SEED, "test_size": TEST_SIZE,
           "cases": []}
    for rel in CART_TREE_SETS:
        X, _, yi, tr, va = load_split(os.path.join(ROOT, rel))
        for s in CART_STATES:
            fitted, p, _ = fit_predict("CART", X[tr], yi[tr], X[va], s)
            out["cases"].append({"csv": rel, "random_state": s, "tree": tree(fitted),
                                 "validation_predictions": p.tolist()})
        print(f"{rel}: CART trees of {len(CART_STATES)} random states", file=sys.stderr)
    write_json(os.path.join(OUT, "cart", "trees.json"), out)


def write_json(path, obj):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        json.dump(obj, f, indent=1)
        f.write("\n")


def write_csv(name, X, y, header, decimals=None):
    path = os.path.join(OUT, name + ".csv")
    with open(path, "w", newline="\n") as f:
        f.write(",".join(header) + "\n")
        for row, label in zip(X, y):
            vals = [repr(float(v)) if decimals is None else f"{v:.{decimals}f}" for v in row]
            vals = [v[:-2] if v.endswith(".0") else v for v in vals]
            f.write(",".join(vals + [str(label)]) + "\n")
    return path


def made():
    """The data sets this script makes, deterministically."""
    yield "digits", lambda: (lambda d: (d.data, d.target, 0))(load_digits())
    # ten classes; labels 1..10 sort as numbers, not as text
    yield "ten_classes", lambda: (lambda X, y: (X, y + 1, 2))(*make_classification(
        n_samples=600, n_features=8, n_informative=6, n_redundant=0, n_classes=10,
        n_clusters_per_class=1, class_sep=1.5, random_state=1))
    yield "two_classes", lambda: (lambda X, y: (X, np.where(y == 1, "yes", "no"), 1))(*make_classification(
        n_samples=250, n_features=5, n_informative=3, n_redundant=1, random_state=2))
    yield "unequal", lambda: (lambda X, y: (X, np.array(["big", "mid", "small"])[y], 2))(*make_classification(
        n_samples=400, n_features=6, n_informative=4, n_redundant=0, n_classes=3,
        weights=[0.75, 0.18, 0.07], random_state=3))
    yield "wide", lambda: (lambda X, y: (X, y, 1))(*make_classification(
        n_samples=300, n_features=24, n_informative=10, n_redundant=4, n_classes=4, random_state=4))
    # Three on which lbfgs stops at max_iter=100 in every fit (features not scaled):
    # features whose ranges run from 0.1 to 1000,
    yield "ranges", lambda: (lambda X, y: (X * np.array([0.1, 1, 10, 100, 1000, 0.3]), y, 0))(*make_classification(
        n_samples=300, n_features=6, n_informative=4, n_redundant=0, n_classes=3,
        n_clusters_per_class=1, random_state=5))
    # 60 features of ranges 0.1 to 1000 and ten classes,
    yield "many_features", lambda: (lambda X, y: (X * np.geomspace(0.1, 1000, 60), y, 0))(*make_classification(
        n_samples=700, n_features=60, n_informative=30, n_redundant=5, n_classes=10,
        n_clusters_per_class=1, random_state=6))
    # three nearly separable classes.
    yield "separable", lambda: (lambda X, y: (X * np.array([1, 10, 100, 5, 50]), y, 0))(*make_classification(
        n_samples=300, n_features=5, n_informative=3, n_redundant=0, n_classes=3, class_sep=3.0,
        n_clusters_per_class=1, random_state=7))


def constant_collinear():
    """iris with a constant column, an exact copy and an exact double of a column."""
    X, y = read(os.path.join(ROOT, "data", "iris.csv"))
    X = np.column_stack([X, np.full(len(y), 7.0), X[:, 0], 2 * X[:, 2]])
    return X, y


def main():
    os.makedirs(OUT, exist_ok=True)
    iris = os.path.join(ROOT, "data", "iris.csv")
    run("iris", iris, "data/iris.csv")
    for name, make in made():
        X, y, dec = make()
        X = np.round(X, dec) if dec else X
        header = [f"f{j}" for j in range(X.shape[1])] + ["label"]
        run(name, write_csv(name, X, y, header, dec or None), f"ml/testdata/golden/{name}.csv")
    X, y = constant_collinear()
    header = ["sepal-length", "sepal-width", "petal-length", "petal-width", "seven", "sepal-length-copy",
              "petal-length-x2", "class"]
    run("constant_collinear", write_csv("constant_collinear", X, y, header), "ml/testdata/golden/constant_collinear.csv")
    cart_trees()


# Hyperparameter settings for --params: (model, scikit-learn's parameters).
PARAM_CASES = [
    ("CART", {"max_depth": 2}),
    ("CART", {"max_depth": 3, "min_samples_leaf": 3}),
    ("CART", {"min_samples_leaf": 5}),
    ("CART", {"min_samples_split": 10}),
    ("CART", {"min_samples_split": 30, "min_samples_leaf": 2}),
    ("SVM", {"gamma": "auto"}),
    ("SVM", {"kernel": "linear"}),
    ("SVM", {"kernel": "linear", "C": 10}),
    ("SVM", {"kernel": "poly"}),
    ("SVM", {"kernel": "poly", "degree": 2, "coef0": 1.0, "gamma": 0.5}),
    ("SVM", {"kernel": "poly", "gamma": "auto", "degree": 4}),
    ("SVM", {"kernel": "sigmoid"}),
    ("SVM", {"kernel": "sigmoid", "gamma": 0.01, "coef0": -0.5, "C": 10}),
]


def params_golden():
    """The figures of PARAM_CASES on iris and unequal.csv: ml/testdata/golden/params/params.json."""
    out = {"sklearn": sklearn.__version__, "numpy": np.__version__, "seed": SEED, "test_size": TEST_SIZE,
           "folds": FOLDS, "cases": []}
    for rel in ["data/iris.csv", "ml/testdata/golden/unequal.csv"]:
        X, _, yi, tr, va = load_split(os.path.join(ROOT, rel))
        Xtr, ytr, Xva, yva = X[tr], yi[tr], X[va], yi[va]
        folds = list(KFold(n_splits=FOLDS).split(Xtr))
        for name, params in PARAM_CASES:
            preds = []
            for a, b in folds:
                _, q, _ = fit_predict(name, Xtr[a], ytr[a], Xtr[b], params=params)
                preds.append(q)
            fitted, p, _ = fit_predict(name, Xtr, ytr, Xva, params=params)
            case = {
                "csv": rel, "model": name, "params": {k: str(v) for k, v in params.items()},
                "cv_predictions": [q.tolist() for q in preds], "validation_predictions": p.tolist(),
                "cv_scores": [accuracy_score(ytr[b], q) for (_, b), q in zip(folds, preds)],
                "accuracy": accuracy_score(yva, p),
            }
            if name == "CART":
                case["tree"] = tree(fitted)
            else:
                case["n_support"] = int(fitted.n_support_.sum())
            out["cases"].append(case)
            print(f"{rel} {name} {params}: accuracy {case['accuracy']:.4f}", file=sys.stderr)
    write_json(os.path.join(OUT, "params", "params.json"), out)


def figures(path):
    """The figures of `go run ./activities/cmd/train --json` for one CSV."""
    X, classes, yi, tr, va = load_split(path)
    out = {"n_rows": len(yi), "split": {"seed": SEED, "validation_indices": va.tolist()}, "models": {}}
    best, best_acc = None, -1.0
    for m in NAMES:
        scores = []
        for a, b in KFold(n_splits=FOLDS).split(tr):
            _, p, _ = fit_predict(m, X[tr][a], yi[tr][a], X[tr][b])
            scores.append(accuracy_score(yi[tr][b], p))
        _, p, _ = fit_predict(m, X[tr], yi[tr], X[va])
        acc = accuracy_score(yi[va], p)
        out["models"][m] = {"cv_scores": scores, "cv_mean": float(np.mean(scores)), "cv_std": float(np.std(scores)),
                            "accuracy": acc, "class_labels": [str(c) for c in classes],
                            "confusion_matrix": confusion_matrix(yi[va], p, labels=range(len(classes))).tolist()}
        if acc > best_acc:
            best, best_acc = m, acc
    out["best_model"], out["accuracy"] = best, best_acc
    print(json.dumps(out))


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--figures":
        figures(sys.argv[2])
    elif len(sys.argv) == 2 and sys.argv[1] == "--params":
        params_golden()
    else:
        main()
