"""``python -m staff``: serve the staff web app on ``STAFF_HOST``:``STAFF_PORT`` (default 127.0.0.1:5080)."""

from __future__ import annotations

import logging

from govservice import settings
from overrides import install
from staff.app import create_app


def main() -> None:
    """Run the server until interrupted."""
    logging.basicConfig(level=logging.INFO)
    install(rasa_server=False)  # the log-record factory: no raw ID or phone number in a log line
    configured = settings.current()
    create_app().run(host=configured.staff_host, port=configured.staff_port, access_log=True)


if __name__ == "__main__":
    main()
