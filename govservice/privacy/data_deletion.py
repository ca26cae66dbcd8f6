"""“删除我的数据”: delete what the law lets go, and say what is kept and why.

Deleted at once: the logins (bindings) on every channel, the typed name's hash on login attempts, the
用证记录 of the citizen's own lookups, the free text of ratings whose 差评 follow-up is not open,
uploaded files never attached to an application, pending export links, and the contact and message
of closed handoff tickets. The conversations of the citizen's senders are queued for deletion from
Rasa's tracker store (:class:`~govservice.privacy.models.ConversationErasure`), which the retention
task carries out within :data:`ERASURE_DELAY_TEXT`.

Kept (:data:`KEPT_TEXT`): applications with their materials and status history (办件档案, kept for
the legal retention period), certificates (the issuing authorities' records), uses of certificates
by departments and applications (the record of who read them), rating levels and follow-ups.
Under 《个人信息保护法》第四十七条, data whose legal retention period has not ended is kept and
only stored and protected. Functions flush, never commit.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, List, Set

from sqlalchemy.orm import Session

from govservice.applications.models import ApplicationMaterial, Attachment, FollowUp, Rating
from govservice.certificates.models import Certificate, CertificateUse
from govservice.handoff.models import CLOSED, HandoffTicket
from govservice.identity.models import Binding, LastLogin, LoginAttempt, OtpCode
from govservice.notifications.outbox import Notification
from govservice.notifications.reminder_models import Reminder, ReminderConsent
from govservice.privacy.models import ConversationErasure, ExportLink

OWN_LOOKUP = "citizen"
"""``CertificateUse.actor_type`` of the holder's own lookups through the assistant."""
ERASURE_DELAY_TEXT = "几分钟内"

KEPT_TEXT = (
    "以下数据依法保留：\n"
    "1. 办件及其材料、办理过程记录：属于政务服务办件档案，须按规定期限保存；\n"
    "2. 电子证照：由发证部门管理，如需更正或注销请联系发证部门；\n"
    "3. 部门和办件调用您证照的用证记录：用于追溯谁使用过您的证照；\n"
    "4. 评价等级及差评整改记录：属于“好差评”工作记录。\n"
    "依据《个人信息保护法》第四十七条，法律、行政法规规定的保存期限未届满的数据，"
    "除存储和必要的安全保护外不再作其他处理。"
)

DELETE_PREVIEW_TEXT = (
    "将删除：您在各渠道的登录状态、对话记录、您本人查询证照产生的用证记录、评价中的文字意见"
    "（差评整改中的除外）、未用于办件的上传文件、留言和转人工记录中的联系方式、证照到期提醒的订阅和已发的提醒。\n"
    + KEPT_TEXT
)


@dataclass
class DeletionReport:
    """What one deletion removed, counted per kind."""

    bindings: int = 0
    own_lookups: int = 0
    rating_comments: int = 0
    uploads: int = 0
    handoff_contacts: int = 0
    conversations: List[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        """The Chinese confirmation for the citizen."""
        return (
            f"已删除您的数据：登录状态{self.bindings}处、本人查询的用证记录{self.own_lookups}条、评价文字意见{self.rating_comments}条、未用于办件的上传文件{self.uploads}个、"
            f"转人工联系方式{self.handoff_contacts}条；{len(self.conversations)}段对话记录将在{ERASURE_DELAY_TEXT}删除，之后需要重新登录。\n{KEPT_TEXT}"
        )


def request_erasure(session: Session, senders: Iterable[str], now: datetime.datetime) -> List[str]:
    """Queue the conversations of ``senders`` for deletion from the tracker store."""
    queued = sorted(set(senders))
    for sender in queued:
        session.add(ConversationErasure(sender=sender, requested_at=now))
    session.flush()
    return queued


def person_senders(session: Session, person_id: str) -> Set[str]:
    """The conversation ids the person used: bound ones and those of their logins.

    Only logins whose code was used count: anyone may type someone's ID number, and their
    conversation is not the citizen's to delete or to see.
    """
    found: Set[str] = set()
    found.update(s for (s,) in session.query(Binding.sender).filter(Binding.person_id == person_id))
    succeeded = session.query(OtpCode.ref).filter(OtpCode.used_at.isnot(None))
    attempts = session.query(LoginAttempt.sender).filter(
        LoginAttempt.subject_id == person_id, LoginAttempt.ref.in_(succeeded.scalar_subquery())
    )
    found.update(s for (s,) in attempts)
    found.update(s for (s,) in session.query(LastLogin.sender).filter(LastLogin.person_id == person_id))
    return found


def _delete_reminders(session: Session, person_id: str) -> None:
    """The subscription, where reminders went, and the reminders with their outbox rows."""
    mine = session.query(Reminder.id).filter(Reminder.person_id == person_id).scalar_subquery()
    session.query(Notification).filter(Notification.reminder_id.in_(mine)).delete(synchronize_session=False)
    for model in (Reminder, ReminderConsent, LastLogin):
        session.query(model).filter(model.person_id == person_id).delete(synchronize_session=False)


def _delete_unattached_uploads(session: Session, person_id: str) -> int:
    attached = session.query(ApplicationMaterial.attachment_id).filter(ApplicationMaterial.attachment_id.isnot(None))
    loose = (
        session.query(Attachment)
        .filter(Attachment.uploaded_by == person_id, Attachment.id.notin_(attached.scalar_subquery()))
        .all()
    )
    for upload in loose:
        session.delete(upload)
    session.flush()
    for path in {upload.stored_path for upload in loose}:
        # Files are stored by content: another upload of the same bytes keeps the file.
        if session.query(Attachment.id).filter(Attachment.stored_path == path).first() is None:
            Path(path).unlink(missing_ok=True)
    return len(loose)


def delete_person_data(session: Session, person_id: str, sender: str, now: datetime.datetime) -> DeletionReport:
    """Delete what may be deleted for ``person_id``, asked for from conversation ``sender``."""
    report = DeletionReport()
    senders = person_senders(session, person_id) | {sender}
    report.bindings = session.query(Binding).filter(Binding.person_id == person_id).delete(synchronize_session=False)
    session.query(LoginAttempt).filter(LoginAttempt.subject_id == person_id).update(
        {LoginAttempt.proof_hash: None}, synchronize_session=False
    )
    own = session.query(CertificateUse.id).join(Certificate, CertificateUse.certificate_id == Certificate.id)
    own = own.filter(Certificate.holder_id == person_id, CertificateUse.actor_type == OWN_LOOKUP)
    report.own_lookups = (
        session.query(CertificateUse)
        .filter(CertificateUse.id.in_(own.scalar_subquery()))
        .delete(synchronize_session=False)
    )
    open_follow_up = session.query(FollowUp.rating_id).filter(FollowUp.status == "open")
    report.rating_comments = (
        session.query(Rating)
        .filter(
            Rating.person_id == person_id,
            Rating.comment.isnot(None),
            Rating.comment != "",
            Rating.id.notin_(open_follow_up.scalar_subquery()),
        )
        .update({Rating.comment: None}, synchronize_session=False)
    )
    report.uploads = _delete_unattached_uploads(session, person_id)
    session.query(ExportLink).filter(ExportLink.person_id == person_id).delete(synchronize_session=False)
    report.handoff_contacts = (
        session.query(HandoffTicket)
        .filter(HandoffTicket.sender.in_(senders), HandoffTicket.status == CLOSED)
        .filter((HandoffTicket.contact.isnot(None)) | (HandoffTicket.message.isnot(None)))
        .update({HandoffTicket.contact: None, HandoffTicket.message: None}, synchronize_session=False)
    )
    _delete_reminders(session, person_id)
    report.conversations = request_erasure(session, senders, now)
    session.flush()
    return report
