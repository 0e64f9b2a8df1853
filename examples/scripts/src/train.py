"""The reference pipeline's training step as an Azure ML v1 script
(iris_supervised_model.py's form): six classifiers with scikit-learn's
defaults, train_test_split(test_size=0.20, random_state=12345), 3-fold
cross-validation; each accuracy and confusion matrix logged to the run;
the best model's accuracy tagged on the parent run, and its model file
written to the model_output folder.

    python3 train.py --data <csv>           # offline: an OfflineRun
In a pipeline the data and the output folder come from
AZUREML_DATAREFERENCE_irisdata and AZUREML_DATAREFERENCE_model_output.
"""
import argparse
import json
import os
import pickle

import numpy as np
import pandas as pd
from azureml.core import Run
from sklearn.discriminant_analysis import LinearDiscriminantAnalysis
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, confusion_matrix
from sklearn.model_selection import KFold, cross_val_score, train_test_split
from sklearn.naive_bayes import GaussianNB
from sklearn.neighbors import KNeighborsClassifier
from sklearn.svm import SVC
from sklearn.tree import DecisionTreeClassifier

parser = argparse.ArgumentParser()
parser.add_argument("--data", default=os.environ.get("AZUREML_DATAREFERENCE_irisdata"))
parser.add_argument("--model-output", default=os.environ.get("AZUREML_DATAREFERENCE_model_output", "outputs"))
parser.add_argument("--folds", type=int, default=3)
args = parser.parse_args()

run = Run.get_context()

# The data: with a header (sepal-length,…,class) or without one, as the
# original project's sample_data.csv (Iris-setosa labels, no header).
with open(args.data, encoding="utf-8-sig") as f:
    first = f.readline().split(",")
try:
    [float(v) for v in first[:-1]]
    header = None
except ValueError:
    header = 0
dataset = pd.read_csv(args.data, header=header, float_precision="round_trip", encoding="utf-8-sig")
X = dataset.iloc[:, :-1].to_numpy(dtype=np.float64)
y = np.array([s[5:] if str(s).lower().startswith("iris-") else str(s) for s in dataset.iloc[:, -1]])
X_train, X_validation, Y_train, Y_validation = train_test_split(X, y, test_size=0.20, random_state=12345)

models = [
    ("LR", LogisticRegression()),
    ("LDA", LinearDiscriminantAnalysis()),
    ("KNN", KNeighborsClassifier()),
    ("CART", DecisionTreeClassifier(random_state=12345)),
    ("NB", GaussianNB()),
    ("SVM", SVC()),
]
labels = sorted(set(y))
best_name, best_acc, best_model = None, -1.0, None
for name, model in models:
    cv = cross_val_score(model, X_train, Y_train, cv=KFold(n_splits=args.folds), scoring="accuracy")
    run.log(name + "_cv_mean", cv.mean())
    run.log_list(name + "_cv_scores", cv)
    model.fit(X_train, Y_train)
    predictions = model.predict(X_validation)
    acc = accuracy_score(Y_validation, predictions)
    run.log(name + "_accuracy", acc)
    cm = confusion_matrix(Y_validation, predictions, labels=labels)
    run.log_confusion_matrix("Confusion matrix " + name, {
        "schema_type": "confusion_matrix", "schema_version": "1.0.0",
        "data": {"class_labels": labels, "matrix": cm.tolist()}})
    print("%s: %f (%f)" % (name, cv.mean(), cv.std()))
    if acc > best_acc:
        best_name, best_acc, best_model = name, acc, model

run.log("accuracy", best_acc)
run.tag("best_model", best_name)
run.tag("accuracy", repr(float(best_acc)))
if run.parent is not None:  # an offline run has none
    run.parent.tag("best_model", best_name)
    run.parent.tag("accuracy", repr(float(best_acc)))
    run.parent.add_properties({"best_model": best_name, "accuracy": repr(float(best_acc))})

os.makedirs(args.model_output, exist_ok=True)
with open(os.path.join(args.model_output, "model.pkl"), "wb") as f:
    pickle.dump(best_model, f)
with open(os.path.join(args.model_output, "model.json"), "w") as f:
    json.dump({"model": best_name, "accuracy": best_acc, "labels": labels}, f)
print("best model %s, accuracy %.4f" % (best_name, best_acc))
