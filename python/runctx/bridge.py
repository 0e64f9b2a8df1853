"""The bridge to the worker that runs this script (internal/script/PROTOCOL.md).

Writes are buffered and sent in batches (POST /v1/ops); a read, a
write-once property and the end of the script flush them first, so a
script reads its own writes and a property conflict raises at its call.
"""

import atexit
import json
import os
import threading
import urllib.error
import urllib.parse
import urllib.request

ENV_URL = "RUNCTX_BRIDGE_URL"
ENV_TOKEN = "RUNCTX_BRIDGE_TOKEN"

# A batch is sent when it holds this many ops, or this many seconds after
# its first op, whichever comes first.
BATCH_OPS = 20000
BATCH_SECONDS = 1.0
MAX_OPS = 50000


class BridgeError(Exception):
    """An error the worker answered with: type (PROTOCOL.md) and message."""

    def __init__(self, status, type_, message):
        super().__init__(message)
        self.status = status
        self.type = type_


class Bridge:
    """One script's connection to its worker, from the environment."""

    def __init__(self, url, token):
        self.url = url.rstrip("/")
        self.token = token
        self._ops = []
        self._lock = threading.Lock()
        self._send_lock = threading.Lock()
        self._timer = None
        self._error = None
        self.requests = 0
        atexit.register(self.close)

    @classmethod
    def from_env(cls):
        url = os.environ.get(ENV_URL)
        if not url:
            return None
        return cls(url, os.environ.get(ENV_TOKEN, ""))

    # ---- writes ----

    def add(self, op):
        """Queue one op; it is sent with the next batch."""
        with self._lock:
            self._ops.append(op)
            n = len(self._ops)
            if n == 1 and self._timer is None:
                self._timer = threading.Timer(BATCH_SECONDS, self._flush_quietly)
                self._timer.daemon = True
                self._timer.start()
        if n == BATCH_OPS:
            # A full batch goes from a thread of its own: the script does
            # not wait for the worker. Batches keep their order (flush
            # takes its ops under the send lock).
            threading.Thread(target=self._flush_quietly, daemon=True).start()

    def flush(self):
        """Send every queued op, in order; raise the first refusal (also
        one a background batch met)."""
        err, self._error = self._error, None
        if err is not None:
            raise err
        with self._send_lock:
            with self._lock:
                ops, self._ops = self._ops, []
                if self._timer is not None:
                    self._timer.cancel()
                    self._timer = None
            # At most MAX_OPS a request, well under the bridge's 16 MiB.
            for i in range(0, len(ops), MAX_OPS):
                self.request("POST", "/v1/ops", {"ops": ops[i:i + MAX_OPS]})

    def _flush_quietly(self):
        try:
            self.flush()
        except Exception as e:  # raised at the script's next flush, read or exit
            self._error = e

    def close(self):
        """Flush at exit (also when the script raised)."""
        try:
            self.flush()
        except Exception as e:  # the script is ending: say it, do not hide it
            import sys
            print("runctx: ops not recorded at exit: %s" % e, file=sys.stderr)

    # ---- requests ----

    def request(self, method, path, body=None, raw=None, content_type=None):
        """One request; JSON body in, JSON (or bytes for raw reads) out."""
        data, ctype = None, "application/json"
        if raw is not None:
            data, ctype = raw, content_type or "application/octet-stream"
        elif body is not None:
            data = json.dumps(body, default=_plain).encode()
        req = urllib.request.Request(self.url + path, data=data, method=method,
                                     headers={"Authorization": "Bearer " + self.token,
                                              "Content-Type": ctype})
        self.requests += 1
        try:
            with urllib.request.urlopen(req, timeout=120) as resp:
                payload = resp.read()
                if resp.headers.get("Content-Type", "").startswith("application/json"):
                    return json.loads(payload or b"null")
                return payload
        except urllib.error.HTTPError as e:
            try:
                err = json.loads(e.read()).get("error", {})
            except ValueError:
                err = {}
            raise BridgeError(e.code, err.get("type", "Internal"),
                              err.get("message", "%s %s: HTTP %d" % (method, path, e.code))) from None

    def get(self, path):
        self.flush()
        return self.request("GET", path)


def quote(name):
    """A file or model name as a URL path."""
    return urllib.parse.quote(name, safe="/")


def _plain(v):
    """numpy scalars and arrays (and other array-likes) as JSON values."""
    if hasattr(v, "tolist"):
        return v.tolist()
    if hasattr(v, "item"):
        return v.item()
    raise TypeError("runctx: %r (%s) is not a number, string, list or dict" % (v, type(v).__name__))


def plain(v):
    """v as plain Python values: numpy converted, never a serialization error later."""
    return json.loads(json.dumps(v, default=_plain))
