"""A Storage call made with Python's own http.client, its debugging on (HTTPConnection.debuglevel = 1), as
people debug a call they build themselves: http.client prints each `send:` and the `reply:` with its
`header:` lines, and the program prints the answer's body after them. What it prints on stdout is a
real capture for the request doctor (test/doctor/python-az-live.test.ts runs it against Azurite).

    python3 scripts/python-http-client-capture.py URL read|write"""
import http.client
import sys
from urllib.parse import urlsplit

url, mode = urlsplit(sys.argv[1]), sys.argv[2]
http.client.HTTPConnection.debuglevel = 1
connection = http.client.HTTPConnection(url.hostname, url.port)
target = url.path + ("?" + url.query if url.query else "")
headers = {"x-ms-version": "2023-11-03"}
if mode == "write":
    headers["x-ms-blob-type"] = "BlockBlob"
    connection.request("PUT", target, body=b"a,b\n", headers=headers)
else:
    connection.request("GET", target, headers=headers)
response = connection.getresponse()
print(response.read().decode("utf-8", "replace"))
