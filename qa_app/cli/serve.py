"""``qa-app serve``: the web app under waitress; and :func:`serving`, the app on a free local
port in a thread, for the tests and the guide's screenshot script."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

import click

from qa_app.cli.support import web_app


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option(
    "--port",
    default=5000,
    show_default=True,
    type=click.IntRange(0, 65535),
    help="Port to listen on.",
)
@click.option(
    "--threads", default=8, show_default=True, type=click.IntRange(1, 256), help="Worker threads."
)
def serve(host: str, port: int, threads: int) -> None:
    """Serve the web app with waitress, a production WSGI server."""
    from waitress import serve as waitress_serve

    app = web_app()
    click.echo(f"qa_app serving on http://{host}:{port}  (Ctrl+C stops it)")
    # Behind QA_APP_TRUSTED_PROXIES proxies the app's ProxyFix reads X-Forwarded-For and
    # X-Forwarded-Proto; waitress would delete them first (its own proxy handling is off), and
    # every client would be the proxy: one throttle for all, the proxy's address in the audit
    # trail, http:// invite links. Without trusted proxies waitress keeps clearing them.
    trusted = app.config["TRUSTED_PROXIES"] > 0
    waitress_serve(
        app, host=host, port=port, threads=threads, clear_untrusted_proxy_headers=not trusted
    )


@contextmanager
def serving(app, threads: int = 4) -> Iterator[str]:
    """The app served by waitress on a free local port in a thread; yields the base URL.

    Stopped from inside the server's own loop: closing its sockets from this thread while the
    loop sat in select() on them failed the loop with EBADF (once in CI, as an error at a
    test's teardown). The thunk closes the listener, the trigger and every open connection,
    so the loop's map empties and the thread ends.
    """
    from waitress import create_server

    server = create_server(app, host="127.0.0.1", port=0, threads=threads)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.effective_port}"
    finally:

        def stop():
            for channel in list(server._map.values()):
                if channel is not server.trigger:
                    channel.close()
            server.close()  # the listener and, last, the trigger

        try:
            server.trigger.pull_trigger(stop)
        except OSError:  # the loop has already ended and closed its trigger: close the rest
            stop()
        thread.join(timeout=10)
        server.task_dispatcher.shutdown()
