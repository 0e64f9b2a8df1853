"""Workspace, Experiment, Datastore and Dataset, as far as a step needs them."""

import os

DEFAULT_DATASTORE = "workspaceblobstore"


class Datastore:
    """A named container: the default is workspaceblobstore, azblob://workspaceblobstore."""

    def __init__(self, workspace=None, name=DEFAULT_DATASTORE):
        self.workspace = workspace
        self.name = name
        self.container_name = os.environ.get("RUNCTX_DEFAULT_DATASTORE_CONTAINER", name)

    def reference(self, path):
        return "azblob://%s/%s" % (self.container_name, path.lstrip("/"))

    def __repr__(self):
        return "Datastore(name=%s, container=azblob://%s)" % (self.name, self.container_name)


class Workspace:
    """The workspace of this worker: there is one."""

    _default = None

    def __init__(self, subscription_id=None, resource_group=None, workspace_name=None, **kwargs):
        self.name = workspace_name or os.environ.get("AZUREML_WORKSPACE_NAME", "runctx")
        self.subscription_id = subscription_id
        self.resource_group = resource_group

    @classmethod
    def get_default(cls):
        if cls._default is None:
            cls._default = cls()
        return cls._default

    @classmethod
    def from_config(cls, path=None, auth=None, _logger=None, _file_name=None):
        """The workspace, for offline use: config.json is not needed here."""
        return cls.get_default()

    @classmethod
    def get(cls, name=None, **kwargs):
        return cls(workspace_name=name)

    def get_default_datastore(self):
        return Datastore(self)

    @property
    def datastores(self):
        return {DEFAULT_DATASTORE: Datastore(self)}

    def __getattr__(self, name):
        if name.startswith("_"):
            raise AttributeError(name)
        raise NotImplementedError("runctx: Workspace.%s is not implemented here" % name)

    def __repr__(self):
        return "Workspace.create(name='%s')" % self.name


class Experiment:
    """An experiment: a name that prefixes its pipelines' workflow IDs."""

    def __init__(self, workspace, name, **kwargs):
        self.workspace = workspace
        self.name = name

    def submit(self, *args, **kwargs):
        raise NotImplementedError("runctx: Experiment.submit: use 'starter submit --source-directory DIR --script FILE'")

    def __getattr__(self, name):
        if name.startswith("_"):
            raise AttributeError(name)
        raise NotImplementedError("runctx: Experiment.%s is not implemented here" % name)

    def __repr__(self):
        return "Experiment(Name: %s, Workspace: %s)" % (self.name, self.workspace.name)


class TabularDataset:
    """A reference to delimited files, recorded with a model."""

    def __init__(self, refs):
        self.refs = refs
        self.reference = ",".join(refs)

    def __getattr__(self, name):
        if name.startswith("_"):
            raise AttributeError(name)
        raise NotImplementedError("runctx: TabularDataset.%s is not implemented here: read the file at its AZUREML_DATAREFERENCE_<name> path" % name)

    def __repr__(self):
        return "TabularDataset(%s)" % self.reference


class _Tabular:
    @staticmethod
    def from_delimited_files(path, **kwargs):
        items = path if isinstance(path, list) else [path]
        refs = []
        for p in items:
            if isinstance(p, tuple):
                store, rel = p
                refs.append(store.reference(rel))
            else:
                refs.append(str(p))
        return TabularDataset(refs)


class Dataset:
    Tabular = _Tabular
