"""Runs the moto AWS emulator on one thread: moto's own server handles requests on many
threads, and its DynamoDB counters and transactions are not atomic across threads, which
would make the adapters' concurrency tests fail for the emulator's sake, not ours."""
import os
import sys

from moto.moto_server.threaded_moto_server import DomainDispatcherApplication, create_backend_app
from moto.server import MotoRequestHandler
from werkzeug.serving import run_simple

if __name__ == "__main__":
    host, port = sys.argv[1], int(sys.argv[2])
    os.environ.setdefault("MOTO_PORT", str(port))
    app = DomainDispatcherApplication(create_backend_app)
    run_simple(host, port, app, threaded=False, use_reloader=False, request_handler=MotoRequestHandler)
