"""Tables of the citizen's data rights: one-time export links and conversation-erasure requests."""

from __future__ import annotations

from sqlalchemy import Column, DateTime, Integer, String

from govservice.orm import Base


class ExportLink(Base):
    """A one-time, short-lived download link for "导出我的数据".

    Only the SHA-256 of the token is stored: the link in the chat is the only copy of the
    token, and the file itself is built when the link is opened, so no export lies on disk.
    """

    __tablename__ = "export_links"

    token_hash = Column(String(64), primary_key=True)
    person_id = Column(String(18), nullable=False, index=True)
    created_at = Column(DateTime, nullable=False)
    expires_at = Column(DateTime, nullable=False, index=True)
    used_at = Column(DateTime)


class ConversationErasure(Base):
    """A conversation to delete from Rasa's tracker store ("删除我的数据").

    The back office cannot reach the tracker store, and the turn that asks for the deletion is
    saved after the action has run, so the deletion happens afterwards, in the Rasa server's
    retention task (:mod:`connectors.retention`) or the ``govservice.privacy.retention`` CLI.
    """

    __tablename__ = "conversation_erasures"

    id = Column(Integer, primary_key=True, autoincrement=True)
    sender = Column(String(128), nullable=False, index=True)  # Rasa's conversation id
    requested_at = Column(DateTime, nullable=False)
    done_at = Column(DateTime)
