#!/usr/bin/env python3
"""Serves a folder (default: web/) on 127.0.0.1 like `python3 -m http.server`, with the two
headers that make the page cross-origin isolated (Cross-Origin-Opener-Policy: same-origin,
Cross-Origin-Embedder-Policy: require-corp): only then does a browser give it
SharedArrayBuffer, which the threaded WebAssembly core needs. The page needs nothing from
other origins, so isolation costs it nothing.

  python3 tools/serve.py [--port 8000] [--dir web]
"""

import argparse
import functools
import http.server
import os


class IsolatedHandler(http.server.SimpleHTTPRequestHandler):
    """SimpleHTTPRequestHandler plus the isolation headers (and no caching: a rebuilt page
    is seen at once)."""

    def end_headers(self):
        self.send_header("Cross-Origin-Opener-Policy", "same-origin")
        self.send_header("Cross-Origin-Embedder-Policy", "require-corp")
        self.send_header("Cache-Control", "no-cache")
        super().end_headers()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
    parser.add_argument("--bind", default="127.0.0.1")
    parser.add_argument("--dir", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "web"))
    args = parser.parse_args()
    handler = functools.partial(IsolatedHandler, directory=os.path.abspath(args.dir))
    with http.server.ThreadingHTTPServer((args.bind, args.port), handler) as server:
        print("serve: http://%s:%d/ (cross-origin isolated), %s" % (args.bind, args.port, os.path.abspath(args.dir)))
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main()
