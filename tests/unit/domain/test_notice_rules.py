from datetime import UTC, datetime, timedelta

import pytest

from firehouse.domain.events import TimelineEntry
from firehouse.domain.notices import Notice, NoticeEvent, NoticeStatus
from firehouse.errors import InvalidChange

AT = datetime(2026, 11, 23, 14, 0, tzinfo=UTC)


def notice(lane="product") -> Notice:
    return Notice(incident_id=1, lane=lane, template=f"{lane}/default", title="Customer notice", text="Draft",
                  created_by="U1", created_at=AT, id=7)


def test_a_notice_is_approved_with_its_exact_text_then_sent():
    made = notice()
    event = made.approve(by="UCOMMS", at=AT)
    assert (made.status, made.approved_text) == (NoticeStatus.APPROVED, "Draft")
    assert event.timeline_entry().text == "Product notice #7 (Customer notice) approved"
    made.mark_sent(by="U2", at=AT)
    assert made.status is NoticeStatus.SENT and made.sent_by == "U2"


def test_a_draft_cannot_count_as_sent():
    with pytest.raises(InvalidChange, match="not approved yet"):
        notice().mark_sent(by="U2", at=AT)


def test_an_edit_withdraws_the_approval_and_a_sent_notice_is_final():
    made = notice()
    made.approve(by="UCOMMS", at=AT)
    event = made.edit("Better draft", by="U3", at=AT)
    assert made.status is NoticeStatus.DRAFT and made.approved_text is None
    assert event.what == "edited, so its approval was withdrawn"
    made.approve(by="UCOMMS", at=AT)
    made.mark_sent(by="U2", at=AT)
    with pytest.raises(InvalidChange, match="is sent and stays as it is"):
        made.edit("late", by="U3", at=AT)
    with pytest.raises(InvalidChange):
        made.approve(by="UCOMMS", at=AT)


def test_legal_notices_need_the_legal_permission():
    assert notice("legal").approve_action == "approve_legal"
    assert notice("product").approve_action == "approve_product"


def test_each_step_of_a_notice_is_a_notice_entry_on_the_timeline():
    made = notice("legal")
    drafted = made.event("drafted", by="U1", at=AT)
    assert drafted.timeline_entry() == TimelineEntry(AT, "U1", "notice", "Legal notice #7 (Customer notice) drafted")
    later = AT + timedelta(minutes=9)
    assert made.approve(by="ULAW", at=later) == NoticeEvent(later, "ULAW", "approved", 7, "legal", "Customer notice")
    assert made.mark_sent(by="U2", at=later) == NoticeEvent(later, "U2", "marked sent", 7, "legal", "Customer notice")
    assert (made.approved_by, made.approved_at, made.sent_by, made.sent_at) == ("ULAW", later, "U2", later)


def test_editing_a_draft_keeps_it_a_draft_and_strips_the_text():
    made = notice()
    later = AT + timedelta(minutes=3)
    assert made.edit("  Better draft \n", by="U3", at=later) == NoticeEvent(
        later, "U3", "edited", 7, "product", "Customer notice")
    assert (made.text, made.status) == ("Better draft", NoticeStatus.DRAFT)


def test_an_empty_edit_is_refused_and_the_text_kept():
    made = notice()
    with pytest.raises(InvalidChange, match="^A notice can't be empty.$"):
        made.edit("  ", by="U3", at=AT)
    assert made.text == "Draft"


def test_a_recorded_decision_stays_as_written():
    made = notice("legal")
    made.status = NoticeStatus.RECORDED
    with pytest.raises(InvalidChange, match="^This notice is recorded and stays as it is"):
        made.edit("changed", by="U3", at=AT)


def test_approving_twice_or_sending_twice_is_refused_with_the_reason():
    made = notice()
    made.approve(by="UCOMMS", at=AT)
    with pytest.raises(InvalidChange, match="^This notice is already approved.$"):
        made.approve(by="UCOMMS", at=AT)
    made.mark_sent(by="U2", at=AT)
    with pytest.raises(InvalidChange, match="^This notice is already marked sent.$"):
        made.mark_sent(by="U2", at=AT)


def test_a_draft_that_is_sent_is_told_to_be_approved_first():
    with pytest.raises(InvalidChange, match=r"^This notice is not approved yet, so it can't count as sent\. Approve"
                                            r" it first\.$"):
        notice().mark_sent(by="U2", at=AT)
