"""Real GCS and Azure Blob emulators on 127.0.0.1 for the publish tests (nothing leaves the machine).

``GcsServer``: ``gcp-storage-emulator`` (PyPI, pure Python) in this process, in memory; gcsfs finds it
through ``STORAGE_EMULATOR_HOST``. ``requests`` lists the request lines it answered. (Its builds run
with gcsfs's defaults: reportgen uses gcsfs's plain file system at an endpoint other than Google's,
``storage.remote.url_fs``.)

``Azurite``: Microsoft's Azure Storage emulator (npm package ``azurite``: ``.ci/run`` installs it),
its blob service in a child process, in memory, telemetry off; adlfs finds it through
``AZURE_STORAGE_CONNECTION_STRING`` (the emulator's well-known account and key).

Both read back what they hold as ``{name: (content, content type)}`` through their own HTTP API (the
emulator's JSON API; Azure's SDK), not through the file system under test.
"""
from __future__ import annotations

import json
import logging
import shutil
import subprocess
import tempfile
import urllib.parse
import urllib.request

from dbservers import end_server
from s3server import free_port


class GcsServer:
    def __init__(self, bucket: str):
        from gcp_storage_emulator.server import create_server

        self.bucket, self.port = bucket, free_port()
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self.env = {"STORAGE_EMULATOR_HOST": self.endpoint, "FSSPEC_GCS_TOKEN": "anon",
                    "NO_GCE_CHECK": "true"}
        self.requests: list[str] = []
        self._log = logging.getLogger("gcp_storage_emulator.server")
        self._handler = _Lines(self.requests)
        self._log.addHandler(self._handler)
        self._level = self._log.level
        self._log.setLevel(logging.INFO)
        self.server = create_server("127.0.0.1", self.port, in_memory=True, default_bucket=bucket)
        self.server.start()

    def stop(self) -> None:
        self.server.stop()
        self._log.removeHandler(self._handler)
        self._log.setLevel(self._level)

    def _get(self, path: str, **query) -> bytes:
        url = f"{self.endpoint}{path}?{urllib.parse.urlencode(query)}"
        with urllib.request.urlopen(url, timeout=60) as r:
            return r.read()

    def listing(self, prefix: str) -> dict[str, dict]:
        """``{name under prefix: the object's resource}`` (generation, contentType, size...)."""
        out, token = {}, None
        while True:
            page = json.loads(self._get(f"/storage/v1/b/{self.bucket}/o", prefix=prefix + "/",
                                        **({"pageToken": token} if token else {})))
            out.update({o["name"][len(prefix) + 1:]: o for o in page.get("items", [])})
            token = page.get("nextPageToken")
            if not token:
                return out

    def objects(self, prefix: str) -> dict[str, tuple[bytes, str]]:
        return {rel: (self._get(f"/download/storage/v1/b/{self.bucket}/o/"
                                f"{urllib.parse.quote(prefix + '/' + rel, safe='')}", alt="media"), o["contentType"])
                for rel, o in self.listing(prefix).items()}

    def versions(self, prefix: str) -> dict[str, str]:
        """``{name: generation}``: a generation changes only when the object is written again."""
        return {rel: o["generation"] for rel, o in self.listing(prefix).items()}

    def put(self, name: str, data: bytes) -> None:
        url = (f"{self.endpoint}/upload/storage/v1/b/{self.bucket}/o?"
               f"{urllib.parse.urlencode({'uploadType': 'media', 'name': name})}")
        req = urllib.request.Request(url, data=data, method="POST", headers={"Content-Type": "text/plain"})
        urllib.request.urlopen(req, timeout=60).read()


class _Lines(logging.Handler):
    def __init__(self, into: list[str]):
        super().__init__()
        self.into = into

    def emit(self, record: logging.LogRecord) -> None:
        self.into.append(record.getMessage())


ACCOUNT = "devstoreaccount1"
KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="  # (public)


def azurite_bin() -> str | None:
    return shutil.which("azurite-blob")


class Azurite:
    """``memory_mb``: the most its in-memory store holds (``--extentMemoryLimit``); a block past it is
    refused (409 MemoryExtentStoreAtSizeLimit), which fails an upload part way."""

    def __init__(self, container: str, memory_mb: int | None = None):
        self.container, self.port = container, free_port()
        self.root = tempfile.mkdtemp(prefix="reportgen-azurite-")  # (its working folder: nothing is written)
        self.proc = subprocess.Popen(
            [azurite_bin(), "--blobHost", "127.0.0.1", "--blobPort", str(self.port), "--inMemoryPersistence",
             "--disableTelemetry", "--skipApiVersionCheck", "--silent",
             *(["--extentMemoryLimit", str(memory_mb)] if memory_mb else [])],
            cwd=self.root, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        for line in self.proc.stdout:  # (it says when it listens; the pipe is closed then, nothing more is read)
            if "successfully listens" in line:
                break
        else:
            raise RuntimeError(f"azurite exited {self.proc.wait()}")
        self.proc.stdout.close()
        self.connection_string = (f"DefaultEndpointsProtocol=http;AccountName={ACCOUNT};AccountKey={KEY};"
                                  f"BlobEndpoint=http://127.0.0.1:{self.port}/{ACCOUNT};")
        self.env = {"AZURE_STORAGE_CONNECTION_STRING": self.connection_string}
        from azure.storage.blob import BlobServiceClient

        self.client = BlobServiceClient.from_connection_string(self.connection_string).get_container_client(container)
        self.client.create_container()

    def stop(self) -> None:
        self.client.close()
        end_server(self.proc, self.root)

    def objects(self, prefix: str) -> dict[str, tuple[bytes, str]]:
        return {b.name[len(prefix) + 1:]: (self.client.download_blob(b.name).readall(),
                                           b.content_settings.content_type)
                for b in self.client.list_blobs(name_starts_with=prefix + "/")}

    def versions(self, prefix: str) -> dict[str, str]:
        """``{name: etag}``: an etag changes only when the blob is written again."""
        return {b.name[len(prefix) + 1:]: b.etag for b in self.client.list_blobs(name_starts_with=prefix + "/")}

    def put(self, name: str, data: bytes) -> None:
        self.client.upload_blob(name, data)

    def blocks(self, name: str) -> list[int]:
        """The sizes of the committed blocks the blob is made of (one per part uploaded)."""
        return [b.size for b in self.client.get_blob_client(name).get_block_list("committed")[0]]
