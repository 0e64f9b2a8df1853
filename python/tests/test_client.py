"""Tests of the Python client against an in-process bridge."""

import os
import subprocess
import sys
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))

import runctx  # noqa: E402
from runctx.bridge import Bridge, BridgeError  # noqa: E402
from fakebridge import FakeBridge  # noqa: E402


class ClientTest(unittest.TestCase):
    def setUp(self):
        self.fake = FakeBridge()
        self.run = runctx.Run(Bridge(self.fake.url, self.fake.env()["RUNCTX_BRIDGE_TOKEN"]))
        self.run._parent_id = "wf"

    def tearDown(self):
        self.fake.close()

    def test_logs_are_batched_and_cheap(self):
        start = time.perf_counter()
        for i in range(100000):
            self.run.log("loss", i * 0.5)
        spent = time.perf_counter() - start
        self.run.flush()
        self.assertEqual(len(self.fake.ops), 100000)
        self.assertLessEqual(self.fake.batches, 10, "100,000 logs reach the worker in a few batches")
        self.assertLess(spent, 5.0)  # the bench measures it; this only catches a request per call
        self.assertEqual(self.run.get_metrics()["loss"][:2], [0.0, 0.5])

    def test_reads_flush_first(self):
        self.run.tag("stage", "train")
        self.run.tag("done")
        self.assertEqual(self.run.get_tags(), {"stage": "train", "done": ""})

    def test_property_conflict_raises_at_the_call(self):
        self.run.add_properties({"accuracy": "0.9"})
        self.run.add_properties({"accuracy": "0.9"})
        with self.assertRaises(BridgeError) as cm:
            self.run.add_properties({"accuracy": "0.5"})
        self.assertEqual(cm.exception.type, "PropertyExists")
        self.assertIn("different value", str(cm.exception))

    def test_parent(self):
        p = self.run.parent
        p.tag("accuracy", 0.93)
        p.log("best", 0.93)
        p.flush()
        self.assertIn({"op": "tag", "key": "accuracy", "value": "0.93", "target": "parent"}, self.fake.ops)
        self.assertEqual([c.name for c in p.get_children()], ["train"])
        self.assertIsNone(p.parent)

    def test_values(self):
        with self.assertRaises(TypeError):
            self.run.log("x", "not a number")
        with self.assertRaises(ValueError):
            self.run.log("x", float("nan"))
        self.run.log_confusion_matrix("cm", '{"schema_type": "confusion_matrix", "data": {"class_labels": ["a"], "matrix": [[1]]}}')
        self.run.log_row("r", a=1, b="x")
        self.run.flush()
        self.assertEqual(self.fake.ops[0]["value"]["data"]["matrix"], [[1]])

    def test_numpy_values(self):
        try:
            import numpy as np
        except ImportError:
            self.skipTest("numpy is not installed (Debian's python3-numpy is, for make test)")
        self.run.log("acc", np.float32(0.5))
        self.run.log_list("folds", np.array([0.9, 0.8]))
        self.run.log_table("t", {"a": np.arange(3)})
        self.run.tag("n", np.int64(3))
        self.run.flush()
        self.assertEqual([op.get("value", op.get("values")) for op in self.fake.ops[:2]], [0.5, [0.9, 0.8]])
        self.assertEqual(self.fake.ops[2]["columns"], {"a": [0, 1, 2]})
        self.assertEqual(self.fake.ops[3]["value"], "3")

    def test_files_status_models(self):
        with tempfile.NamedTemporaryFile(delete=False) as f:
            f.write(b"model")
        self.run.upload_file("outputs/model.pkl", f.name)
        self.assertEqual(self.fake.files["/v1/files/outputs/model.pkl"], b"model")
        m = self.run.register_model("iris", model_path="outputs/model.pkl", tags={"accuracy": 0.9},
                                    model_framework=runctx.Model.Framework.SCIKITLEARN,
                                    resource_configuration=runctx.ResourceConfiguration(cpu=1, memory_in_gb=0.5))
        self.assertEqual((m.name, m.version, m.tags), ("iris", 1, {"accuracy": "0.9"}))
        self.assertIn("iris", str(m))
        self.run.fail("diverged")
        self.assertEqual(self.fake.status, {"status": "Failed", "error": "diverged"})

    def test_not_implemented_names_the_call(self):
        with self.assertRaises(NotImplementedError) as cm:
            self.run.submit_child()
        self.assertIn("submit_child", str(cm.exception))
        with self.assertRaises(NotImplementedError):
            runctx.Experiment(runctx.Workspace(), "e").submit(None)


class ProcessTest(unittest.TestCase):
    """What a script sees: the environment, and a flush at exit."""

    def script(self, body):
        fake = FakeBridge()
        self.addCleanup(fake.close)
        env = dict(os.environ, PYTHONPATH=os.path.dirname(HERE), **fake.env())
        p = subprocess.run([sys.executable, "-c", body], env=env, capture_output=True, text=True)
        return fake, p

    def test_flush_at_exit_when_the_script_raises(self):
        fake, p = self.script("from azureml.core import Run\nr = Run.get_context()\nr.log('a', 1)\nraise SystemError('boom')\n")
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("SystemError: boom", p.stderr)
        self.assertEqual(fake.ops, [{"op": "log", "name": "a", "value": 1}])

    def test_azureml_imports_unchanged(self):
        fake, p = self.script(
            "from azureml.core import Run, Workspace, Experiment, Model, Dataset\n"
            "from azureml.core.resource_configuration import ResourceConfiguration\n"
            "run = Run.get_context()\n"
            "print(run.id, run.experiment.name)\n"
            "ws = run.experiment.workspace\n"
            "ds = Dataset.Tabular.from_delimited_files(path=[(ws.get_default_datastore(), 'data/x.csv')])\n"
            "print(ds.reference)\n"
            "try:\n    Model(ws, 'none')\nexcept Exception as e:\n    print(type(e).__name__)\n")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(p.stdout.split(), ["wf_train", "exp", "azblob://workspaceblobstore/data/x.csv", "ModelNotFoundError"])


class OfflineTest(unittest.TestCase):
    def test_offline_run_records_to_a_folder(self):
        with tempfile.TemporaryDirectory() as d:
            run = runctx.OfflineRun(d)
            self.assertTrue(run.id.startswith("OfflineRun_"))
            self.assertIsNone(run.parent)
            run.log("a", 1)
            run.add_properties({"p": "1"})
            with self.assertRaises(ValueError):
                run.add_properties({"p": "2"})
            self.assertEqual(run.get_metrics(), {"a": 1})
            self.assertTrue(os.path.exists(os.path.join(d, "run.json")))


if __name__ == "__main__":
    unittest.main()
