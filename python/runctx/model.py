"""Model: a version in this product's model registry."""

from .bridge import Bridge, BridgeError, quote


class Model:
    """Model(ws, name, version=None): the latest (or that) version; raises when there is none."""

    class Framework:
        SCIKITLEARN = "ScikitLearn"
        TENSORFLOW = "TensorFlow"
        PYTORCH = "PyTorch"
        ONNX = "Onnx"
        CUSTOM = "Custom"
        MULTI = "Multi"

    def __init__(self, workspace=None, name=None, id=None, tags=None, properties=None, version=None, **kwargs):
        if name is None:
            raise ValueError("runctx: Model needs a name")
        from .run import Run
        run = Run.get_context()
        bridge = run._bridge
        if bridge is None:
            raise RuntimeError("runctx: an offline run has no model registry")
        path = "/v1/models/" + quote(name) + ("?version=%d" % int(version) if version else "")
        try:
            view = bridge.get(path)
        except BridgeError as e:
            if e.status == 404:
                raise ModelNotFoundError("ModelNotFound: Model with name %s%s not found in provided workspace"
                                         % (name, "" if not version else " and version %s" % version)) from None
            raise
        self._set(view, bridge)

    @classmethod
    def _from_view(cls, view):
        m = cls.__new__(cls)
        from .run import Run
        m._set(view, Run.get_context()._bridge)
        return m

    def _set(self, view, bridge):
        self._bridge = bridge
        self.name = view.get("name")
        self.version = view.get("version")
        self.id = "%s:%s" % (self.name, self.version)
        self.run_id = view.get("run_id")
        self.url = view.get("ref")
        self.tags = view.get("tags") or {}
        self.properties = view.get("properties") or {}
        self.model_framework = view.get("framework")
        self.model_framework_version = view.get("framework_version")
        self.description = view.get("description")
        self.sample_input_dataset = view.get("sample_input_dataset")
        self.created_time = view.get("created")

    def add_properties(self, properties):
        raise NotImplementedError("runctx: Model.add_properties: give properties to register_model")

    def add_tags(self, tags):
        raise NotImplementedError("runctx: Model.add_tags: give tags to register_model")

    def __getattr__(self, name):
        if name.startswith("_"):
            raise AttributeError(name)
        raise NotImplementedError("runctx: Model.%s is not implemented here" % name)

    def __str__(self):
        return "Model(name=%s, version=%s, framework=%s, tags=%s)" % (self.name, self.version, self.model_framework, self.tags)

    __repr__ = __str__


class ModelNotFoundError(Exception):
    """No model of that name (and version) in the registry."""


class ResourceConfiguration:
    """ResourceConfiguration(cpu, memory_in_gb, gpu), recorded with a model."""

    def __init__(self, cpu=None, memory_in_gb=None, gpu=None):
        self.cpu, self.memory_in_gb, self.gpu = cpu, memory_in_gb, gpu

    def serialize(self):
        return {"cpu": float(self.cpu or 0), "memory_in_gb": float(self.memory_in_gb or 0), "gpu": int(self.gpu or 0)}
