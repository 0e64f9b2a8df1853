"""Run: Azure ML's run context for a script that runs as a pipeline step.

Run.get_context() returns the step's run when the worker runs the script
(RUNCTX_BRIDGE_URL is set), else an offline run that records to a local
folder, as Azure ML's does.
"""

import io
import json
import math
import os
import uuid

from .bridge import Bridge, BridgeError, plain, quote
from .offline import OfflineStore


def _number(name, value):
    if type(value) is not float and type(value) is not int:
        value = plain(value)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError("runctx: metric %s: %r is not a number" % (name, value))
    if value != value or value in (math.inf, -math.inf):
        raise ValueError("runctx: metric %s: %r is not a finite number" % (name, value))
    return value


def _strings(d):
    return {str(k): "" if v is None else str(plain(v)) for k, v in (d or {}).items()}


class _Target:
    """What a run and its parent have in common: the writes both take."""

    _target = "run"

    def __init__(self, bridge, store):
        self._bridge = bridge
        self._store = store

    def _op(self, op, sync=False):
        op = dict(op, target=self._target) if self._target != "run" else op
        if self._bridge is None:
            self._store.apply(self._target, op)
            return
        self._bridge.add(op)
        if sync:
            self._bridge.flush()

    def log(self, name, value, description=""):
        """Log a metric; a repeated name makes a series."""
        self._op({"op": "log", "name": name, "value": _number(name, value)})

    def tag(self, key, value=None):
        """Set a mutable tag; tag values are strings ("" without one)."""
        self._op({"op": "tag", "key": key, "value": "" if value is None else str(plain(value))})

    def set_tags(self, tags):
        self._op({"op": "set_tags", "tags": _strings(tags)})

    def remove_tag(self, key):
        self.remove_tags([key])

    def remove_tags(self, keys):
        self._op({"op": "remove_tags", "keys": [str(k) for k in keys]})

    def add_properties(self, properties):
        """Write-once properties: a different value raises, the same is a no-op."""
        self._op({"op": "add_properties", "properties": _strings(properties)}, sync=True)

    def add_property(self, key, value):
        self.add_properties({key: value})

    def __getattr__(self, name):
        if name.startswith("_"):
            raise AttributeError(name)
        raise NotImplementedError("runctx: Run.%s is not implemented here (see README, Python client)" % name)


class Run(_Target):
    """A step's run (a child run of its pipeline), or an offline run."""

    _context = None

    def __init__(self, bridge=None, store=None, view=None):
        super().__init__(bridge, store)
        view = view or {}
        self.id = view.get("id") or os.environ.get("AZUREML_RUN_ID") or "OfflineRun_" + str(uuid.uuid4())
        self.name = view.get("name") or os.environ.get("AZUREML_RUN_NAME", "")
        self._experiment = view.get("experiment") or os.environ.get("AZUREML_EXPERIMENT_NAME", "")
        self._parent_id = view.get("parent_id") or os.environ.get("AZUREML_PARENT_RUN_ID", "")

    @classmethod
    def get_context(cls, allow_offline=True, **kwargs):
        """The run of this script: the step's, or an offline one."""
        if cls._context is None:
            bridge = Bridge.from_env()
            if bridge is None:
                if not allow_offline:
                    raise RuntimeError("runctx: not running as a pipeline step (RUNCTX_BRIDGE_URL is not set)")
                cls._context = OfflineRun()
            else:
                cls._context = cls(bridge)
        return cls._context

    # ---- identity ----

    @property
    def experiment(self):
        from .workspace import Experiment, Workspace
        return Experiment(Workspace.get_default(), self._experiment)

    @property
    def parent(self):
        """The pipeline run (Azure ML's run.parent)."""
        if self._bridge is None:
            return None
        return Parent(self._bridge, self._parent_id, self._experiment)

    def get_status(self):
        return self._view().get("status", "Running")

    def _view(self):
        return self._bridge.get("/v1/run")

    # ---- writes of the run only ----

    def log_list(self, name, value, description=""):
        self._op({"op": "log_list", "name": name, "values": [_number(name, v) for v in plain(list(value))]})

    def log_row(self, name, description=None, **kwargs):
        self._op({"op": "log_row", "name": name, "row": plain(kwargs)})

    def log_table(self, name, value, description=""):
        self._op({"op": "log_table", "name": name, "columns": plain(value)})

    def log_confusion_matrix(self, name, value, description=""):
        """Azure ML's {"schema_type": "confusion_matrix", "data": {...}} dict, or its JSON."""
        if isinstance(value, (str, bytes)):
            value = json.loads(value)
        self._op({"op": "log_confusion_matrix", "name": name, "value": plain(value)})

    def log_image(self, name, path=None, plot=None, description=""):
        """A PNG file, or a matplotlib figure (saved as PNG)."""
        if (path is None) == (plot is None):
            raise ValueError("runctx: log_image(%s): give path or plot" % name)
        if plot is not None:
            buf = io.BytesIO()
            fig = plot.gcf() if hasattr(plot, "gcf") else plot
            fig.savefig(buf, format="png")
            png = buf.getvalue()
        else:
            with open(path, "rb") as f:
                png = f.read()
        if self._bridge is None:
            self._store.image(name, png)
            return
        self._bridge.flush()
        self._bridge.request("PUT", "/v1/images/" + quote(name), raw=png, content_type="image/png")

    # ---- reads ----

    def get_metrics(self, name=None, recursive=False, **kwargs):
        """Metrics by name: one value as itself, a series as a list."""
        if self._bridge is None:
            metrics = self._store.metrics("run")
        else:
            metrics = self._view().get("metrics") or {}
        out = {k: (v[0] if len(v) == 1 else v) for k, v in metrics.items()}
        if name is not None:
            out = {name: out[name]} if name in out else {}
        if recursive:
            return {self.id: out}
        return out

    def get_tags(self):
        if self._bridge is None:
            return self._store.tags("run")
        return self._view().get("tags") or {}

    def get_properties(self):
        if self._bridge is None:
            return self._store.properties("run")
        return self._view().get("properties") or {}

    # ---- files ----

    def upload_file(self, name, path_or_stream, datastore_name=None):
        """Store a file of the run under name (e.g. outputs/model.pkl)."""
        if hasattr(path_or_stream, "read"):
            body = path_or_stream.read()
        else:
            with open(path_or_stream, "rb") as f:
                body = f.read()
        if isinstance(body, str):
            body = body.encode()
        if self._bridge is None:
            return self._store.put(self._target, name, body)
        path = "/v1/files/" + quote(name) + ("?target=parent" if self._target == "parent" else "")
        return self._bridge.request("PUT", path, raw=body)

    def upload_folder(self, name, path, datastore_name=None):
        for root, _, files in os.walk(path):
            for f in sorted(files):
                full = os.path.join(root, f)
                rel = os.path.relpath(full, path).replace(os.sep, "/")
                self.upload_file(name.rstrip("/") + "/" + rel, full)

    def get_file_names(self):
        if self._bridge is None:
            return self._store.files(self._target)
        return self._view().get("files") or []

    def download_file(self, name, output_file_path=None, _validate_checksum=False):
        if self._bridge is None:
            body = self._store.get(self._target, name)
        else:
            self._bridge.flush()
            path = "/v1/files/" + quote(name) + ("?target=parent" if self._target == "parent" else "")
            body = self._bridge.request("GET", path)
            if not isinstance(body, bytes):
                body = json.dumps(body).encode()
        out = output_file_path or os.path.basename(name)
        if os.path.isdir(out):
            out = os.path.join(out, os.path.basename(name))
        with open(out, "wb") as f:
            f.write(body)

    # ---- the pipeline's children, models, status ----

    def get_children(self, **kwargs):
        return self.parent.get_children() if self.parent else []

    def register_model(self, model_name, model_path=None, tags=None, properties=None,
                       model_framework=None, model_framework_version=None, description=None,
                       datasets=None, sample_input_dataset=None, sample_output_dataset=None,
                       resource_configuration=None, **kwargs):
        """Register a new version of model_name from a file of this run."""
        from .model import Model
        if kwargs:
            raise NotImplementedError("runctx: register_model(%s) is not implemented here" % ", ".join(sorted(kwargs)))
        if self._bridge is None:
            raise RuntimeError("runctx: an offline run has no model registry")
        if self._target == "parent" and model_path and not model_path.startswith("parent:"):
            model_path = "parent:" + model_path
        body = {"model_name": model_name, "model_path": model_path or "outputs",
                "tags": _strings(tags), "properties": _strings(properties),
                "model_framework": model_framework or "", "model_framework_version": model_framework_version or "",
                "description": description or "",
                "sample_input_dataset": _dataset_ref(sample_input_dataset)}
        if resource_configuration is not None:
            body["resource_configuration"] = resource_configuration.serialize()
        self._bridge.flush()
        return Model._from_view(self._bridge.request("POST", "/v1/models", body))

    def complete(self, _set_status=True):
        self._status("Completed")

    def fail(self, error_details=None, error_code=None, _set_status=True):
        self._status("Failed", str(error_details or "failed"))

    def _status(self, status, error=""):
        if self._bridge is None:
            self._store.status(status, error)
            return
        self._bridge.flush()
        self._bridge.request("POST", "/v1/status", {"status": status, "error": error})

    def flush(self):
        if self._bridge is not None:
            self._bridge.flush()

    def __repr__(self):
        return "Run(Experiment: %s, Id: %s, Status: %s)" % (self._experiment, self.id, "Running")


def _dataset_ref(ds):
    if ds is None:
        return ""
    return getattr(ds, "reference", None) or str(ds)


class Parent(Run):
    """The pipeline run, as a step sees it (Azure ML's run.parent)."""

    _target = "parent"

    def __init__(self, bridge, parent_id, experiment):
        super().__init__(bridge, None, {"id": parent_id, "experiment": experiment, "parent_id": ""})

    @property
    def parent(self):
        return None

    def _view(self):
        return self._bridge.get("/v1/parent")

    def get_children(self, **kwargs):
        children = self._bridge.get("/v1/children").get("children") or []
        return [Child(c) for c in children]

    def get_metrics(self, name=None, recursive=False, **kwargs):
        out = super().get_metrics(name)
        if recursive:
            res = {self.id: out}
            for c in self.get_children():
                res[c.id] = c.get_metrics(name)
            return res
        return out

    def log_list(self, *a, **k):
        raise NotImplementedError("runctx: run.parent.log_list is not implemented here (log_list the step's run)")

    log_row = log_table = log_confusion_matrix = log_image = log_list


class Child:
    """A step of the pipeline, as get_children lists it."""

    def __init__(self, view):
        self.id = view.get("run_id", "")
        self.name = view.get("name", "")
        self._status = view.get("status", "")
        self._tags = view.get("tags") or {}
        self._metrics = view.get("metrics") or {}

    def get_status(self):
        return self._status

    def get_tags(self):
        return dict(self._tags)

    def get_metrics(self, name=None, **kwargs):
        if name is not None:
            return {name: self._metrics[name]} if name in self._metrics else {}
        return dict(self._metrics)

    def __repr__(self):
        return "Run(Id: %s, Name: %s, Status: %s)" % (self.id, self.name, self._status)


class OfflineRun(Run):
    """A run outside any pipeline: records to ./outputs/runctx/<id>/run.json."""

    def __init__(self, folder=None):
        run_id = "OfflineRun_" + str(uuid.uuid4())
        super().__init__(None, OfflineStore(folder or os.path.join("outputs", "runctx", run_id)), {"id": run_id})

    @property
    def parent(self):
        return None

    def get_status(self):
        return self._store.run_status()

    def __repr__(self):
        return "Run(Experiment: %s, Id: %s, Status: %s)" % (self._experiment or "offline", self.id, self.get_status())


__all__ = ["Run", "OfflineRun", "BridgeError"]
