#!/usr/bin/python3
"""Writes an Event Hubs Capture file with Apache Avro's own Python library (Debian's python3-avro).

Event Hubs Capture writes Avro object container files of EventData records (the schema below, as
Microsoft documents it). The tests give this script the events' bodies and read the file back with the
product's reader, so that reader is checked against an independent writer of the format.

  /usr/bin/python3 scripts/write-eventhubs-capture.py OUT.avro < events.json
  events.json: {"codec": "null" | "deflate", "bodies": ["<body text>" | null, ...]}
               or, for a file that is not a capture: {"codec": …, "schema": {…}, "records": [{…}, …]}
"""
import json
import sys

import avro.schema
from avro.datafile import DataFileWriter
from avro.io import DatumWriter

SCHEMA = {
    "type": "record",
    "name": "EventData",
    "namespace": "Microsoft.ServiceBus.Messaging",
    "fields": [
        {"name": "SequenceNumber", "type": "long"},
        {"name": "Offset", "type": "string"},
        {"name": "EnqueuedTimeUtc", "type": "string"},
        {"name": "SystemProperties", "type": {"type": "map", "values": ["long", "double", "string", "bytes"]}},
        {"name": "Properties", "type": {"type": "map", "values": ["long", "double", "string", "bytes", "null"]}},
        {"name": "Body", "type": ["null", "bytes"]},
    ],
}


def main() -> None:
    spec = json.load(sys.stdin)
    schema = avro.schema.parse(json.dumps(spec.get("schema", SCHEMA)))
    offset = 0
    with open(sys.argv[1], "wb") as out:
        writer = DataFileWriter(out, DatumWriter(), schema, codec=spec.get("codec", "null"))
        for record in spec.get("records", []):
            writer.append(record)
        for n, body in enumerate(spec.get("bodies", [])):
            data = None if body is None else body.encode("utf-8")
            writer.append(
                {
                    "SequenceNumber": n,
                    "Offset": str(offset),
                    "EnqueuedTimeUtc": "5/1/2024 12:00:%02d AM" % (n % 60),
                    "SystemProperties": {"x-opt-enqueued-time": 1714521600000 + n},
                    "Properties": {"Diagnostic-Setting": "storage-auth-triage", "n": n, "none": None},
                    "Body": data,
                }
            )
            offset += len(data or b"")
        writer.close()


if __name__ == "__main__":
    main()
