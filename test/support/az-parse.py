"""Parses az command lines with the Azure CLI's own parser (Debian's azure-cli) and stops there: nothing
is run, nothing signs in, nothing leaves the machine. Reads a JSON list of argv lists (without the
leading `az`) on stdin; prints one JSON line per argv: {"argv", "parsed", "error"}.
test/engine/remedy-az-cli.test.ts runs it over every az command a remedy prints."""
import contextlib
import io
import json
import sys

from azure.cli.core import get_default_cli
from knack.events import EVENT_INVOKER_POST_PARSE_ARGS

state = {"parsed": False}


class Parsed(Exception):
    """Raised once the arguments parsed: the command itself is never run."""


def stop_after_parsing(cli_ctx, **kwargs):
    state["parsed"] = True
    raise Parsed()


for argv in json.load(sys.stdin):
    cli = get_default_cli()
    cli.register_event(EVENT_INVOKER_POST_PARSE_ARGS, stop_after_parsing)
    state["parsed"] = False
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        try:
            cli.invoke(argv, out_file=io.StringIO())
        except (Parsed, SystemExit):
            pass
    lines = [l for l in err.getvalue().splitlines() if l.strip()]
    print(json.dumps({"argv": argv, "parsed": state["parsed"], "error": "" if state["parsed"] else " | ".join(lines[:2])}), flush=True)
