"""runctx: the run context of a script that runs as a pipeline step.

Standard library only (Python 3.9 or newer). The worker puts this folder on
the script's PYTHONPATH; the azureml package beside it lets an Azure ML v1
script import from azureml.core unchanged.
"""

from .bridge import BridgeError
from .model import Model, ModelNotFoundError, ResourceConfiguration
from .run import OfflineRun, Run
from .workspace import Dataset, Datastore, Experiment, TabularDataset, Workspace

__all__ = ["BridgeError", "Dataset", "Datastore", "Experiment", "Model", "ModelNotFoundError",
           "OfflineRun", "ResourceConfiguration", "Run", "TabularDataset", "Workspace"]
