"""Forms sent once (qa_app.models.forms): claim a form's token before acting on it, settle
it with the page the action led to, or release it when the form was refused."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, delete, select

from qa_app.models import FormSubmission
from qa_app.models.base import utcnow

# A form sent again later than this is a new sending (the table stays small).
KEPT = timedelta(days=1)


def claim(db: Session, token: str, user_id: int, path: str) -> FormSubmission | None:
    """Claim ``token`` for this sending and commit; None when it is ours now, else the row of
    the earlier sending (its ``location`` blank while that one is still running)."""
    db.exec(delete(FormSubmission).where(FormSubmission.created_at < utcnow() - KEPT))
    db.add(FormSubmission(token=token, user_id=user_id, path=path))
    try:
        db.commit()
        return None
    except IntegrityError:  # sent before, or at this very moment by a second request
        db.rollback()
        return earlier(db, token)


def earlier(db: Session, token: str) -> FormSubmission | None:
    """The remembered sending of ``token``, read afresh."""
    db.expire_all()
    return db.exec(select(FormSubmission).where(FormSubmission.token == token)).first()


def settle(db: Session, token: str, location: str) -> None:
    """Remember where the sending of ``token`` led."""
    row = earlier(db, token)
    if row is not None:
        row.location = location[:2000]
        db.add(row)
        db.commit()


def release(db: Session, token: str) -> None:
    """Forget ``token``: the form was refused or failed, so sending it again must act."""
    db.rollback()
    db.exec(delete(FormSubmission).where(FormSubmission.token == token))
    db.commit()
