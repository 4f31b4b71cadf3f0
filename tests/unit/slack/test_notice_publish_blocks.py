"""A product notice's Publish button: shown only where a status page is configured, only once approved, and in a
drill only as a preview; and the war room's words for each step of publishing."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from firehouse.domain.notices import Notice, NoticeStatus
from firehouse.domain.statuspage import PublicStatus, StatusPublished
from firehouse.slack.notice_blocks import PUBLISH_ACTION, SENT_ACTION, notice_message, status_published

NOW = datetime(2026, 12, 6, 9, 30, tzinfo=UTC)


def notice(status: NoticeStatus, *, lane: str = "product") -> Notice:
    approved = status is not NoticeStatus.DRAFT
    return Notice(incident_id=1, lane=lane, template=f"{lane}/default", title="Customer notice",
                  text="# Slow answers\n\nWe are looking into it.", created_by="UALICE", created_at=NOW,
                  status=status, approved_by="UALICE" if approved else None, approved_at=NOW if approved else None,
                  sent_by="UBOB" if status in (NoticeStatus.PUBLISHING, NoticeStatus.PUBLISHED) else None,
                  sent_at=NOW if status is NoticeStatus.PUBLISHED else None, id=7)


def actions(message) -> list[tuple[str, str]]:
    return [(e.action_id, e.text.text) for b in message.blocks if b.type == "actions" for e in b.elements]


def words(message) -> str:
    return " ".join(str(b.to_dict()) for b in message.blocks)


@pytest.mark.parametrize(("status", "lane", "publish_to", "drill", "expected"), [
    (NoticeStatus.APPROVED, "product", "Statuspage", False, [("notice_edit", "Edit"), (PUBLISH_ACTION, "Publish"),
                                                              (SENT_ACTION, "Mark sent")]),
    (NoticeStatus.APPROVED, "product", None, False, [("notice_edit", "Edit"), (SENT_ACTION, "Mark sent")]),
    (NoticeStatus.APPROVED, "legal", "Statuspage", False, [("notice_edit", "Edit"), (SENT_ACTION, "Mark sent")]),
    (NoticeStatus.DRAFT, "product", "Statuspage", False, [("notice_edit", "Edit"), ("notice_approve", "Approve")]),
    (NoticeStatus.APPROVED, "product", "Statuspage", True, [("notice_edit", "Edit"),
                                                             (PUBLISH_ACTION, "Publish (drill)")]),
    (NoticeStatus.PUBLISHING, "product", "Statuspage", False, []),
    (NoticeStatus.PUBLISHED, "product", "Statuspage", False, []),
])
def test_publish_is_offered_for_an_approved_product_notice_where_a_page_is_configured(status, lane, publish_to,
                                                                                      drill, expected):
    assert actions(notice_message(notice(status, lane=lane), publish_to=publish_to, drill=drill)) == expected


def test_the_notice_says_where_it_stands_on_the_status_page():
    publishing = words(notice_message(notice(NoticeStatus.PUBLISHING), publish_to="Statuspage"))
    assert "publishing to Statuspage (asked by <@UBOB>)" in publishing
    published = words(notice_message(notice(NoticeStatus.PUBLISHED), publish_to="Statuspage and the public page"))
    assert "published to Statuspage and the public page by <@UBOB> at" in published and "PUBLISHED" in published


@pytest.mark.parametrize(("what", "said"), [
    ("publishing", "<@UBOB> is publishing product notice #7: *&lt;b&gt;Slow&lt;/b&gt; answers* (investigating)."),
    ("published", "Product notice #7 is on the status page (investigating) as Statuspage incident abc:"
                  " https://stspg.io/abc · sha256 `0123456789abcdef`"),
    ("retrying", "The status page has not taken product notice #7 yet: Statuspage answered 503. Retrying."),
    ("refused", "Product notice #7 was NOT published: Statuspage answered 503. Nothing went public"),
    ("previewed", "A drill: product notice #7 would have been published as *&lt;b&gt;Slow&lt;/b&gt; answers*"
                  " (investigating; Statuspage answered 503), with the text above. Nothing was published."),
    ("owed", "<@UALICE>, the status page still shows this incident open. Approve and *Publish* product notice #7"),
])
def test_the_war_room_hears_each_step_with_the_title_escaped(what, said):
    event = StatusPublished(at=NOW, by="UBOB", what=what, notice_id=7, status=PublicStatus.INVESTIGATING,
                            title="<b>Slow</b> answers", said="Statuspage answered 503", link="https://stspg.io/abc",
                            reference="abc", fingerprint="0123456789abcdef" * 4)
    assert said in status_published(event, captain="UALICE")
