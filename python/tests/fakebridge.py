"""A bridge that speaks PROTOCOL.md in process, for the client's tests."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

TOKEN = "t" * 64


class FakeBridge:
    def __init__(self):
        self.ops, self.batches, self.files, self.status = [], 0, {}, None
        self.props = {}
        bridge = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def _send(self, code, body, ctype="application/json"):
                data = body if isinstance(body, bytes) else json.dumps(body).encode()
                self.send_response(code)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _body(self):
                return self.rfile.read(int(self.headers.get("Content-Length", 0)))

            def _auth(self):
                if self.headers.get("Authorization") != "Bearer " + TOKEN:
                    self._send(401, {"error": {"type": "Unauthorized", "message": "no token"}})
                    return False
                return True

            def do_POST(self):
                if not self._auth():
                    return
                body = json.loads(self._body())
                if self.path == "/v1/ops":
                    bridge.batches += 1
                    for i, op in enumerate(body["ops"]):
                        if op["op"] == "add_properties":
                            for k, v in op["properties"].items():
                                if bridge.props.get(k, v) != v:
                                    return self._send(409, {"applied": i, "error": {"type": "PropertyExists",
                                                      "message": "property %s already set to a different value" % k}})
                            bridge.props.update(op["properties"])
                        bridge.ops.append(op)
                    return self._send(200, {"applied": len(body["ops"])})
                if self.path == "/v1/status":
                    bridge.status = body
                    return self._send(200, {})
                if self.path == "/v1/models":
                    return self._send(200, {"name": body["model_name"], "version": 1, "tags": body["tags"],
                                            "properties": body["properties"], "framework": body["model_framework"]})
                self._send(501, {"error": {"type": "NotImplemented", "message": self.path}})

            def do_PUT(self):
                if not self._auth():
                    return
                bridge.files[self.path] = self._body()
                self._send(200, {"name": self.path, "ref": "azblob://runs/x" + self.path})

            def do_GET(self):
                if not self._auth():
                    return
                metrics = {}
                for op in bridge.ops:
                    if op["op"] == "log" and op.get("target", "run") == "run":
                        metrics.setdefault(op["name"], []).append(op["value"])
                tags = {op["key"]: op["value"] for op in bridge.ops if op["op"] == "tag"}
                if self.path == "/v1/run":
                    return self._send(200, {"id": "wf_train", "name": "train", "metrics": metrics, "tags": tags,
                                            "properties": bridge.props, "files": list(bridge.files)})
                if self.path == "/v1/parent":
                    return self._send(200, {"id": "wf", "tags": tags, "properties": {}, "metrics": {}})
                if self.path == "/v1/children":
                    return self._send(200, {"children": [{"name": "train", "run_id": "wf_train", "status": "Running",
                                                          "tags": {}, "metrics": {"acc": 0.9}}]})
                if self.path.startswith("/v1/models/"):
                    return self._send(404, {"error": {"type": "NotFound", "message": "no model"}})
                self._send(404, {"error": {"type": "NotFound", "message": self.path}})

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = "http://127.0.0.1:%d" % self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def env(self):
        return {"RUNCTX_BRIDGE_URL": self.url, "RUNCTX_BRIDGE_TOKEN": TOKEN, "AZUREML_RUN_ID": "wf_train",
                "AZUREML_EXPERIMENT_NAME": "exp", "AZUREML_PARENT_RUN_ID": "wf"}

    def close(self):
        self.server.shutdown()
        self.server.server_close()
