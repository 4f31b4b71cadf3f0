"""Notices: drafts for a lane that need approval before they count as sent. The approved text is kept
verbatim for the audit trail."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from firehouse.domain.events import TimelineEntry
from firehouse.domain.permissions import Action
from firehouse.errors import InvalidChange


class NoticeStatus(StrEnum):
    DRAFT = "draft"
    APPROVED = "approved"
    SENT = "sent"
    PUBLISHING = "publishing"  # on its way to the status page: it stays as approved until the page answers
    PUBLISHED = "published"  # on the status page: sent, by publishing
    RECORDED = "recorded"  # a record of a decision, kept as written: nothing to approve or send


@dataclass(frozen=True)
class NoticeEvent:
    """Something happened to a notice: drafted, edited, approved or sent."""

    at: datetime
    by: str
    what: str  # drafted, edited, approved, sent
    notice_id: int
    lane: str
    title: str

    def timeline_entry(self) -> TimelineEntry:
        return TimelineEntry(self.at, self.by, "notice", f"{self.lane.capitalize()} notice #{self.notice_id}"
                                                         f" ({self.title}) {self.what}")


@dataclass
class Notice:
    """A draft notice for one lane, rendered from a template and perhaps edited by people."""

    incident_id: int
    lane: str
    template: str
    title: str
    text: str
    created_by: str
    created_at: datetime
    regime: str | None = None
    stage: str | None = None
    status: NoticeStatus = NoticeStatus.DRAFT
    approved_by: str | None = None
    approved_at: datetime | None = None
    approved_text: str | None = None
    sent_by: str | None = None
    sent_at: datetime | None = None
    message_ts: str | None = None
    approved_as: str | None = None  # a product notice: the incident's public status when it was approved
    id: int | None = None

    @property
    def approve_action(self) -> Action:
        """The permission approving this notice needs."""
        return Action.APPROVE_LEGAL if self.lane == "legal" else Action.APPROVE_PRODUCT

    def event(self, what: str, *, by: str, at: datetime) -> NoticeEvent:
        return NoticeEvent(at=at, by=by, what=what, notice_id=self.id or 0, lane=self.lane, title=self.title)

    def edit(self, text: str, *, by: str, at: datetime) -> NoticeEvent:
        """Replace the text; an approval does not survive an edit."""
        if self.status is NoticeStatus.PUBLISHING:
            raise InvalidChange("This notice is being published as approved; draft a new one to say more.")
        if self.status in (NoticeStatus.SENT, NoticeStatus.PUBLISHED, NoticeStatus.RECORDED):
            raise InvalidChange(f"This notice is {self.status} and stays as it is; draft a new one instead.")
        if not text.strip():
            raise InvalidChange("A notice can't be empty.")
        was_approved = self.status is NoticeStatus.APPROVED
        self.text = text.strip()
        self.status, self.approved_by, self.approved_at, self.approved_text = NoticeStatus.DRAFT, None, None, None
        self.approved_as = None
        return self.event("edited" + (", so its approval was withdrawn" if was_approved else ""), by=by, at=at)

    def approve(self, *, by: str, at: datetime) -> NoticeEvent:
        if self.status is not NoticeStatus.DRAFT:
            raise InvalidChange(f"This notice is already {self.status}.")
        self.status, self.approved_by, self.approved_at, self.approved_text = NoticeStatus.APPROVED, by, at, self.text
        return self.event("approved", by=by, at=at)

    def mark_sent(self, *, by: str, at: datetime) -> NoticeEvent:
        if self.status is NoticeStatus.SENT:
            raise InvalidChange("This notice is already marked sent.")
        if self.status in (NoticeStatus.PUBLISHING, NoticeStatus.PUBLISHED):
            raise InvalidChange(f"This notice is {self.status} on the status page, which counts as sent.")
        if self.status is not NoticeStatus.APPROVED:
            raise InvalidChange("This notice is not approved yet, so it can't count as sent. Approve it first.")
        self.status, self.sent_by, self.sent_at = NoticeStatus.SENT, by, at
        return self.event("marked sent", by=by, at=at)

    def publish(self, *, by: str, status: str) -> None:
        """Start publishing the approved text to the status page (once: a second Publish is refused), as the
        incident's public `status` now, which must be the one it was approved under."""
        if self.lane != "product":
            raise InvalidChange("Only product notices go on the status page.")
        if self.status in (NoticeStatus.PUBLISHING, NoticeStatus.PUBLISHED):
            raise InvalidChange(f"This notice is already {self.status}: one notice is one status update.")
        if self.status is not NoticeStatus.APPROVED:
            raise InvalidChange(f"This notice is {self.status}, not approved: only approved text is published."
                                " Approve it first.")
        if self.approved_as and self.approved_as != status:
            raise InvalidChange(f"This notice was approved while the incident was {self.approved_as}; it is {status}"
                                " now, so its words may no longer be true. Draft and approve a new notice with"
                                " `/incident comms product`.")
        self.status, self.sent_by = NoticeStatus.PUBLISHING, by

    def published(self, *, at: datetime) -> None:
        """The status page took it: it counts as sent, by whoever pressed Publish."""
        self.status, self.sent_at = NoticeStatus.PUBLISHED, at

    def not_published(self) -> None:
        """The status page refused it: approved again, so it can be published once the page is fixed."""
        self.status, self.sent_by = NoticeStatus.APPROVED, None
