"""Installation secrets and private files: mode 0600 files, 0700 directories, whatever the umask."""

from __future__ import annotations

import os
import stat
import threading
from pathlib import Path
from typing import Iterator, List

import pytest
from sqlalchemy import text

from govservice.applications.materials_check import store_attachment
from govservice.db import get_engine
from govservice.identity.sms import FileOutboxGateway
from govservice.settings import reload as reload_settings
from govservice.settings import secrets
from govservice.settings.secrets import ACTION_TOKEN, DEMO_SECRET, RASA_TOKEN, stored_secret, write_private

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture()
def var(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A fresh ``VAR_DIR`` under a permissive umask, as a shell with the default umask would have."""
    directory = tmp_path / "var"
    monkeypatch.setenv("VAR_DIR", str(directory))
    reload_settings()
    for secret in secrets.BY_NAME.values():
        monkeypatch.delenv(secret.env, raising=False)
        reload_settings()
    previous = os.umask(0o022)
    try:
        yield directory
    finally:
        os.umask(previous)


def test_secrets_are_random_per_installation_private_and_kept(var: Path, tmp_path: Path) -> None:
    first = stored_secret(ACTION_TOKEN)
    assert len(first) == 64 and stored_secret(ACTION_TOKEN) == first  # kept across calls (and starts)
    assert mode(var / "action_token") == 0o600 and mode(var) == 0o700
    assert stored_secret(ACTION_TOKEN, tmp_path / "other") != first  # another installation, another secret
    assert stored_secret(RASA_TOKEN) not in (first, "") and len(stored_secret(RASA_TOKEN)) == 48


def test_the_environment_wins_and_nothing_is_written(var: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ACTION_SERVER_TOKEN", "from-the-environment")
    reload_settings()
    assert stored_secret(ACTION_TOKEN) == "from-the-environment"
    assert not (var / "action_token").exists()


def test_a_file_written_readable_by_all_is_tightened(var: Path) -> None:
    var.mkdir(mode=0o755)
    old = var / "rasa_token"
    old.write_text("an-old-token\n")
    os.chmod(old, 0o644)
    assert stored_secret(RASA_TOKEN) == "an-old-token" and mode(old) == 0o600


def test_processes_starting_together_read_one_complete_secret(var: Path) -> None:
    seen: List[str] = []
    threads = [threading.Thread(target=lambda: seen.append(stored_secret(DEMO_SECRET))) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(set(seen)) == 1 and len(seen[0]) == 64
    assert [p.name for p in var.iterdir()] == ["demo_secret"]  # no temporary file left behind


def test_write_private_replaces_or_keeps(var: Path) -> None:
    path = var / "sub" / "file"
    assert write_private(path, "one") and path.read_text() == "one"
    assert not write_private(path, "two", replace=False) and path.read_text() == "one"
    assert write_private(path, b"three") and path.read_bytes() == b"three"
    assert mode(path) == 0o600 and mode(var / "sub") == 0o700 and mode(var) == 0o700


def test_the_sms_outbox_is_private(var: Path) -> None:
    outbox = var / "sms_outbox.jsonl"
    FileOutboxGateway(outbox).send("13800138000", "您的验证码是123456")
    FileOutboxGateway(outbox).send("13800138000", "您的验证码是654321")
    assert mode(outbox) == 0o600 and len(outbox.read_text(encoding="utf-8").splitlines()) == 2


def test_the_sqlite_database_and_its_wal_are_private(var: Path) -> None:
    url = f"sqlite:///{var / 'private.db'}"
    with get_engine(url).connect() as conn:  # the -wal and -shm files exist while a connection is open
        conn.execute(text("CREATE TABLE t (x INTEGER)"))
        conn.execute(text("INSERT INTO t VALUES (1)"))
        files = sorted(var.glob("private.db*"))
        assert {p.name for p in files} == {"private.db", "private.db-wal", "private.db-shm"}
        assert {p.name: mode(p) for p in files} == {p.name: 0o600 for p in files}


def test_uploaded_materials_are_private(var: Path, catalog) -> None:  # type: ignore[no-untyped-def]
    from govservice.db import session_scope

    with session_scope() as session:
        attachment = store_attachment(session, PNG + os.urandom(8), "scan.png", "image/png", "11010519491231002X")
        stored = Path(str(attachment.stored_path))
    assert mode(stored) == 0o600
    assert mode(stored.parent) == 0o700 and mode(var / "uploads") == 0o700


def test_the_command_line_exports_the_named_secrets(var: Path, capsys: pytest.CaptureFixture) -> None:
    assert secrets.main(["rasa_token", "action_token"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines == [
        f"export RASA_TOKEN={stored_secret(RASA_TOKEN)}",
        f"export ACTION_SERVER_TOKEN={stored_secret(ACTION_TOKEN)}",
    ]
    assert secrets.main(["nonsense"]) == 2 and "用法" in capsys.readouterr().err
