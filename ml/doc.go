// Package ml is a small, dependency-light port of the Azure ML iris reference
// pipeline (iris_supervised_model.py). It loads the iris CSV, splits it into a
// training and a validation part, cross-validates six classifiers with the
// scikit-learn default settings (LR, LDA, KNN, CART, NB, SVM), and reports
// accuracies and confusion matrices. Fitted models can be saved and loaded as
// JSON.
//
// The package knows nothing about workflow engines; it is plain computation.
package ml
