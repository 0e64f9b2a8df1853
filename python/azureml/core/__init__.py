"""azureml.core: Run, Workspace, Experiment, Model, Dataset and Datastore,
served by the worker's run context (runctx). Names outside this surface
raise NotImplementedError."""

from runctx import Dataset, Datastore, Experiment, Model, Run, Workspace

__all__ = ["Dataset", "Datastore", "Experiment", "Model", "Run", "Workspace"]


def __getattr__(name):
    raise NotImplementedError("azureml.core.%s is not implemented here (see README, Python client)" % name)
