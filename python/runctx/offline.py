"""OfflineStore: where an offline run records, as Azure ML's OfflineRun does."""

import json
import os


class OfflineStore:
    """One offline run's record in folder/run.json, rewritten on each change."""

    def __init__(self, folder):
        self.folder = folder
        self.rec = {"status": "Running", "metrics": {}, "lists": {}, "rows": {}, "tables": {},
                    "confusion_matrices": {}, "tags": {}, "properties": {}, "images": [], "files": []}

    def _save(self):
        os.makedirs(self.folder, exist_ok=True)
        with open(os.path.join(self.folder, "run.json"), "w") as f:
            json.dump(self.rec, f, indent=1, sort_keys=True)

    def apply(self, target, op):
        if target != "run":
            return  # an offline run has no parent
        r, kind = self.rec, op["op"]
        if kind == "log":
            r["metrics"].setdefault(op["name"], []).append(op["value"])
        elif kind == "log_list":
            r["lists"][op["name"]] = op["values"]
        elif kind == "log_row":
            r["rows"].setdefault(op["name"], []).append(op["row"])
        elif kind == "log_table":
            r["tables"][op["name"]] = op["columns"]
        elif kind == "log_confusion_matrix":
            r["confusion_matrices"][op["name"]] = op["value"]
        elif kind == "tag":
            r["tags"][op["key"]] = op["value"]
        elif kind == "set_tags":
            r["tags"].update(op["tags"])
        elif kind == "remove_tags":
            for k in op["keys"]:
                r["tags"].pop(k, None)
        elif kind == "add_properties":
            for k, v in op["properties"].items():
                if k in r["properties"] and r["properties"][k] != v:
                    raise ValueError("runctx: property %s is already %r, not %r (properties are write-once)" % (k, r["properties"][k], v))
            r["properties"].update(op["properties"])
        self._save()

    def image(self, name, png):
        self.put("run", "images/%s.png" % name, png)
        self.rec["images"].append(name)
        self._save()

    def put(self, target, name, body):
        p = os.path.join(self.folder, name)
        os.makedirs(os.path.dirname(p) or ".", exist_ok=True)
        with open(p, "wb") as f:
            f.write(body)
        if name not in self.rec["files"]:
            self.rec["files"].append(name)
        self._save()
        return {"name": name, "ref": "file://" + os.path.abspath(p)}

    def get(self, target, name):
        with open(os.path.join(self.folder, name), "rb") as f:
            return f.read()

    def files(self, target):
        return list(self.rec["files"])

    def metrics(self, target):
        return {k: list(v) for k, v in self.rec["metrics"].items()}

    def tags(self, target):
        return dict(self.rec["tags"])

    def properties(self, target):
        return dict(self.rec["properties"])

    def status(self, status, error=""):
        self.rec["status"] = status
        if error:
            self.rec["error"] = error
        self._save()

    def run_status(self):
        return self.rec["status"]
