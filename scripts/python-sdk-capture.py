"""The failing call as a Python user writes it: the Storage SDK with its HTTP logging on
(logging_enable=True) and Python's logging at DEBUG, then the exception printed. What it prints on
stderr is a real capture for the request doctor (scripts/make-transcript-captures.ts and
test/doctor/python-az-live.test.ts run it with Debian's python3 and python3-azure-storage).

    python3 scripts/python-sdk-capture.py BLOB_URL read|write [basic|asctime] [CONNECTION_STRING]

With a connection string the blob named by BLOB_URL's path is reached with the account key in it."""
import logging
import sys
from urllib.parse import urlsplit

from azure.core.exceptions import HttpResponseError
from azure.storage.blob import BlobClient

url, mode = sys.argv[1], sys.argv[2]
style = sys.argv[3] if len(sys.argv) > 3 else "basic"
connection = sys.argv[4] if len(sys.argv) > 4 else None
if style == "asctime":
    logging.basicConfig(level=logging.DEBUG, format="%(asctime)s - %(name)s - %(levelname)s - %(message)s")
else:
    logging.basicConfig(level=logging.DEBUG)
if connection:
    # Path-style (the emulator's): /account/container/blob.
    _, _, container, blob_name = urlsplit(url).path.split("/", 3)
    blob = BlobClient.from_connection_string(connection, container, blob_name, logging_enable=True, retry_total=0)
else:
    blob = BlobClient.from_blob_url(url, logging_enable=True, retry_total=0)
try:
    if mode == "write":
        blob.upload_blob(b"a,b", overwrite=True)
    else:
        blob.download_blob().readall()
except HttpResponseError as error:
    print(error, file=sys.stderr)
