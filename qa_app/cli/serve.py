"""``qa-app serve``: the web app under waitress."""

from __future__ import annotations

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
