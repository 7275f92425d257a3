"""The failing call as a Python user writes it: the Storage SDK with its HTTP logging on
(logging_enable=True) and Python's logging at DEBUG, then the exception printed. What it prints on
stderr is a real capture for the request doctor (scripts/make-transcript-captures.ts and
test/doctor/python-az-live.test.ts run it with Debian's python3 and python3-azure-storage).

    python3 scripts/python-sdk-capture.py BLOB_URL read|write [basic|asctime] [CONNECTION_STRING | bearer:TOKEN]

With a connection string the blob named by BLOB_URL's path is reached with the account key in it; with
bearer:TOKEN the token is sent as it is (to the emulator's HTTPS endpoint, whose throwaway certificate
is not verified)."""
import logging
import sys
import time
from urllib.parse import urlsplit

from azure.core.credentials import AccessToken
from azure.core.exceptions import HttpResponseError
from azure.storage.blob import BlobClient

url, mode = sys.argv[1], sys.argv[2]
style = sys.argv[3] if len(sys.argv) > 3 else "basic"
credential = sys.argv[4] if len(sys.argv) > 4 else None


class StaticToken:
    """A token credential that hands out one token, as a token read from configuration does."""

    def __init__(self, token):
        self.token = token

    def get_token(self, *scopes, **kwargs):
        return AccessToken(self.token, int(time.time()) + 3600)


if style == "asctime":
    logging.basicConfig(level=logging.DEBUG, format="%(asctime)s - %(name)s - %(levelname)s - %(message)s")
else:
    logging.basicConfig(level=logging.DEBUG)
if credential and credential.startswith("bearer:"):
    blob = BlobClient.from_blob_url(
        url,
        credential=StaticToken(credential[len("bearer:"):]),
        logging_enable=True,
        retry_total=0,
        connection_verify=False,
    )
elif credential:
    # Path-style (the emulator's): /account/container/blob.
    _, _, container, blob_name = urlsplit(url).path.split("/", 3)
    blob = BlobClient.from_connection_string(credential, container, blob_name, logging_enable=True, retry_total=0)
else:
    blob = BlobClient.from_blob_url(url, logging_enable=True, retry_total=0)
try:
    if mode == "write":
        blob.upload_blob(b"a,b", overwrite=True)
    else:
        blob.download_blob().readall()
except HttpResponseError as error:
    print(error, file=sys.stderr)
