"""``python -m overrides.serve <rasa arguments>``: Rasa's own command line, with the door opened first.

Starts the Rasa server (``run``) or a terminal chat (``shell``) exactly as ``rasa`` would, after
:func:`overrides.install`; scripts/run.sh uses it instead of ``rasa run`` and ``rasa shell``.
On a Rasa other than the pinned one it prints why and exits with status 1 before Rasa starts.

Usage::

    python -m overrides.serve run --model models/current.tar.gz --endpoints endpoints.yml ...
"""

from __future__ import annotations

import sys
from typing import Optional, Sequence

from overrides import install


def main(argv: Optional[Sequence[str]] = None) -> None:
    """Open the door, then hand ``argv`` (default: this command's arguments) to Rasa's CLI."""
    arguments = list(sys.argv[1:] if argv is None else argv)
    installed = install()
    # Logging is not configured until Rasa's CLI runs: say once, on stderr, what the door changed.
    sys.stderr.write(f"替换层：{'、'.join(installed) if installed else '已关闭（RASA_OVERRIDES=off）'}\n")
    from rasa.__main__ import main as rasa_main

    # Rasa's CLI reads sys.argv itself (also to find a model path given as the last argument).
    sys.argv = ["rasa", *arguments]
    rasa_main()


if __name__ == "__main__":
    main()
