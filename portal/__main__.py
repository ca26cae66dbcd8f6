"""``python -m portal``: serve the example portal page and the widget.

Environment: ``PORTAL_HOST`` (default 127.0.0.1), ``PORTAL_PORT`` (default 8080) and
``RASA_PUBLIC_URL``, the Rasa address the browser connects to (default http://localhost:5005).
"""

from __future__ import annotations

import logging

from govservice import settings
from portal.server import create_app


def main() -> None:
    """Run the server until interrupted."""
    logging.basicConfig(level=logging.INFO)
    configured = settings.current()
    host, port, rasa_url = configured.portal_host, configured.portal_port, configured.rasa_public_url
    app = create_app(rasa_url)
    print(f"示范市政务服务网（演示）: http://{host}:{port}/  ->  智能助手 {rasa_url}", flush=True)
    app.run(host=host, port=port, access_log=False, motd=False)


if __name__ == "__main__":
    main()
