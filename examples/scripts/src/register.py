"""The reference pipeline's register step as an Azure ML v1 script
(register_model.py's form): register the trained model as a new version
of the model name if it beats the registered one.
"""
import argparse
import json
import os

from azureml.core import Dataset, Model, Run
from azureml.core.resource_configuration import ResourceConfiguration

parser = argparse.ArgumentParser()
parser.add_argument("--model_name", default="iris_classifier_model")
parser.add_argument("--model", default=os.environ.get("AZUREML_DATAREFERENCE_model_output"))
args = parser.parse_args()

run = Run.get_context()
ws = run.experiment.workspace
with open(os.path.join(args.model, "model.json")) as f:
    trained = json.load(f)

try:
    current = Model(ws, args.model_name)
    current_acc = float(current.tags.get("accuracy", "0"))
    print("registered:", current)
except Exception:
    current, current_acc = None, -1.0

if trained["accuracy"] <= current_acc:
    print("not registered: accuracy %.4f does not beat version %s (%.4f)" % (trained["accuracy"], current.version, current_acc))
    run.parent.tag("model_registered", "false")
else:
    run.upload_file("outputs/model.pkl", os.path.join(args.model, "model.pkl"))
    data = Dataset.Tabular.from_delimited_files(path=[(ws.get_default_datastore(), "data/sample_data.csv")])
    model = run.register_model(
        model_name=args.model_name, model_path="outputs/model.pkl",
        model_framework=Model.Framework.SCIKITLEARN, model_framework_version="1.2.1",
        tags={"accuracy": trained["accuracy"], "best_model": trained["model"]},
        properties={"accuracy": trained["accuracy"]},
        description="iris classifier: " + trained["model"],
        sample_input_dataset=data,
        resource_configuration=ResourceConfiguration(cpu=1, memory_in_gb=0.5))
    print("registered:", model)
    run.parent.tag("model_registered", "true")
    run.parent.tag("model_version", str(model.version))
