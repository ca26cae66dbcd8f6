"""The one door to Rasa's and other libraries' private parts, opened by one explicit :func:`install`.

Everything the project does to code it does not own lives in this package, and nowhere else
(``tests/test_door.py`` walks the other packages to keep it so):

* :mod:`overrides.hot_paths`: three measured fixes to Rasa 3.6 hot paths (monkeypatched).
* :mod:`overrides.log_records`: the log-record factory that redacts every record of the process.
* :mod:`overrides.policies` and :mod:`overrides.classifiers`: Rasa components (named in
  ``config.yml``) that override underscored methods of RulePolicy and LogisticRegressionClassifier.
* :mod:`overrides.socketio`: the fork of Rasa's socket.io blueprint and handlers.
* :mod:`overrides.wechat`: the wechatpy cipher and client with their internals overridden.

:func:`install` is called once at the start of each server (``python -m overrides.serve`` for
Rasa, ``bot.action_server`` and ``staff``), never on import. It refuses any Rasa but the version
pinned in ``requirements.in``, since every override here was written against that version's
internals. ``RASA_OVERRIDES=off`` switches it off: nothing is patched, and the policy and the
classifier compute exactly what Rasa's own classes compute. The socket.io and wechatpy subclasses
are the channels' working code (the stock socket.io channel loses replies, RasaHQ/rasa#13027),
so they stay; they are here because they touch library internals.
"""

from __future__ import annotations

import logging
import re
from functools import lru_cache
from pathlib import Path
from typing import Tuple

from govservice import settings

logger = logging.getLogger(__name__)

SWITCH = "RASA_OVERRIDES"
"""The environment variable that switches the door: ``on`` (the default) or ``off``."""
REQUIREMENTS = Path(__file__).resolve().parent.parent / "requirements.in"
_PIN = re.compile(r"^rasa(?:\[[^\]]*\])?==(?P<version>\S+)", re.MULTILINE)

_installed: set[str] = set()


class OverridesRefused(SystemExit):
    """install() will not run here; as a SystemExit, the server stops with this message and status 1."""

    def __init__(self, message: str) -> None:
        super().__init__(f"替换层拒绝启动：{message}")


@lru_cache(maxsize=1)
def pinned_rasa_version() -> str:
    """The Rasa version ``requirements.in`` pins, read once.

    Raises:
        OverridesRefused: when the file or the pin is missing.
    """
    try:
        text = REQUIREMENTS.read_text(encoding="utf-8")
    except OSError as exc:
        raise OverridesRefused(f"无法读取 {REQUIREMENTS}（{exc.strerror}），不知道固定的 Rasa 版本") from exc
    found = _PIN.search(text)
    if found is None:
        raise OverridesRefused(f"{REQUIREMENTS} 中没有 rasa==<版本> 的固定版本")
    return found.group("version")


def installed_rasa_version() -> str:
    """The version of the Rasa package this process runs (``rasa.version``; imports nothing else)."""
    from rasa import version

    return str(version.__version__)


def enabled() -> bool:
    """Whether the door is on (``RASA_OVERRIDES``, default ``on``).

    Raises:
        OverridesRefused: when the variable holds anything but ``on`` or ``off``.
    """
    value = settings.current().rasa_overrides.strip().lower() or "on"
    if value not in ("on", "off"):
        raise OverridesRefused(f"环境变量 {SWITCH} 只能是 on 或 off，当前为 {value!r}")
    return value == "on"


def check_rasa_version() -> None:
    """Refuse a Rasa other than the pinned one: the overrides replace that version's internals.

    Raises:
        OverridesRefused: on any other version.
    """
    pinned, running = pinned_rasa_version(), installed_rasa_version()
    if running != pinned:
        raise OverridesRefused(
            f"当前 Rasa 版本为 {running}，而本项目的替换只针对固定版本 {pinned}（requirements.in）；"
            f"请安装 rasa=={pinned}，或设置 {SWITCH}=off 关闭全部替换"
        )


def install(rasa_server: bool = True) -> Tuple[str, ...]:
    """Open the door: install the log-record factory and, in the Rasa server, the hot-path fixes.

    Idempotent: a second call installs nothing twice. With ``RASA_OVERRIDES=off`` it installs
    nothing and checks no version.

    Args:
        rasa_server: True in the Rasa server; False in processes that run no Rasa engine (the
            action server, the staff app), which get the log-record factory only.

    Returns:
        The names of the parts installed in this process so far (empty when switched off).

    Raises:
        OverridesRefused: on a Rasa other than the pinned one, or a bad ``RASA_OVERRIDES``.
    """
    if not enabled():
        logger.warning("%s=off：未安装任何替换，Rasa 按原样运行", SWITCH)
        return ()
    check_rasa_version()
    from overrides.log_records import install_log_redaction

    install_log_redaction()
    _installed.add("log_records")
    if rasa_server:
        from overrides.hot_paths import install_hot_paths

        install_hot_paths()
        _installed.add("hot_paths")
    return tuple(sorted(_installed))
