from datetime import UTC, datetime

import pytest

from firehouse.domain.notices import Notice, NoticeStatus
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
