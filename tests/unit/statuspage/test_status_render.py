"""The status page's documents are pure functions of the PublicPage: HTML, Atom and Statuspage's Status API."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from dataclasses import replace
from datetime import timedelta
from html.parser import HTMLParser

from publicpages import NOW, URL, acme, incident, page

from firehouse.domain.statuspage import COMPONENT_STATES, IMPACTS, PublicStatus
from firehouse.statuspage import render
from firehouse.statuspage.api import component_id
from firehouse.statuspage.markdown import markdown_html

ATOM = "{http://www.w3.org/2005/Atom}"
HOSTILE = "<script>alert(1)</script> <b>bold</b> {{ 7*7 }} <!channel> & \"quoted\""
API_PATHS = ["/api/v2/summary.json", "/api/v2/status.json", "/api/v2/components.json", "/api/v2/incidents.json",
             "/api/v2/incidents/unresolved.json"]


class Text(HTMLParser):
    """The text a reader sees, and every tag and attribute the page has."""

    def __init__(self) -> None:
        super().__init__()
        self.text, self.tags, self.attributes, self._skip = [], [], [], False

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.attributes += [name for name, _ in attrs]
        self._skip = tag in ("style", "title")

    def handle_endtag(self, tag):
        self._skip = False

    def handle_data(self, data):
        if not self._skip and data.strip():
            self.text.append(data.strip())


def seen(html: bytes) -> Text:
    parser = Text()
    parser.feed(html.decode())
    return parser


def hostile_page():
    return page(incident("evil", f"Title {HOSTILE}",
                         (PublicStatus.INVESTIGATING, f"Body {HOSTILE}\n\n## Heading {HOSTILE}\n- item {HOSTILE}",
                          NOW - timedelta(minutes=5), "major_outage")),
                name=f"Page {HOSTILE}", components=(("answers", f"Component {HOSTILE}"),))


def test_every_document_is_rendered_for_a_page_with_an_open_and_a_resolved_incident():
    rendered = render.documents(acme())
    assert set(rendered) == {"/", "/history.atom", *API_PATHS} == set(render.PATHS)
    assert rendered["/"].content_type == "text/html; charset=utf-8"
    assert rendered["/history.atom"].content_type == "application/atom+xml; charset=utf-8"
    assert {rendered[p].content_type for p in API_PATHS} == {"application/json; charset=utf-8"}
    assert render.documents(acme()) == rendered  # pure: the same page, the same bytes


def test_the_page_shows_status_components_every_update_past_incidents_and_when_it_was_built():
    text = " ".join(seen(render.html(acme())).text)
    assert "Partial System Outage" in text  # the open incident is major
    assert "Assistant answers Partial outage" in text and "Customer data Operational" in text
    assert "Open incidents Slow or failing assistant answers" in text
    for said in ("Identified · 2025-05-06 14:28 UTC What we found A model update raised response times",
                 "We have rolled the update back.", "Investigating · 2025-05-06 14:02 UTC",
                 "Past incidents April 30, 2025 Some answers cited the wrong source document",
                 "Resolved · 2025-04-30 13:55 UTC", "Last updated 2025-05-06 14:40 UTC"):
        assert said in text


def test_the_page_uses_no_script_and_only_the_stylesheet_its_policy_hashes():
    html = render.html(acme()).decode()
    found = seen(html.encode())
    assert "script" not in found.tags and "form" not in found.tags and "iframe" not in found.tags
    assert not [a for a in found.attributes if a.startswith("on")]
    (style,) = re.findall(r"<style>(.*?)</style>", html, re.S)
    assert style == render.STYLE and "prefers-color-scheme: dark" in style
    assert f"'sha256-{render.STYLE_HASH}'" in render.CONTENT_SECURITY_POLICY
    for directive in ("default-src 'none'", "frame-ancestors 'none'", "base-uri 'none'", "form-action 'none'"):
        assert directive in render.CONTENT_SECURITY_POLICY
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in html


def test_an_operational_page_says_so_and_has_no_open_incidents():
    quiet = page()
    text = " ".join(seen(render.html(quiet)).text)
    assert "All Systems Operational" in text and "Open incidents" not in text
    assert "No incidents reported in the last 90 days." in text
    assert json.loads(render.documents(quiet)["/api/v2/status.json"].body)["status"] == {
        "indicator": "none", "description": "All Systems Operational"}


def test_markup_in_names_and_bodies_shows_as_text_in_the_page():
    html = render.html(hostile_page()).decode()
    assert "<script>" not in html and "<b>bold</b>" not in html and "<!channel>" not in html
    text = " ".join(seen(html.encode()).text)
    assert text.count(HOSTILE) == 6  # the page's name, the component's, the title, the body, a heading, an item
    assert "49" not in text  # no template ran what a body said


def test_markdown_is_rendered_only_in_its_safe_subset():
    assert markdown_html("**Bold** and <i>not</i>\nnext line\n\n## Sub\n- one\n- **two**") == (
        '<p><strong>Bold</strong> and &lt;i&gt;not&lt;/i&gt;<br>\nnext line</p>\n'
        '<h4 class="heading">Sub</h4>\n<ul><li>one</li><li><strong>two</strong></li></ul>')
    assert markdown_html("[link](javascript:alert(1)) ![x](y) `code` <a href=x>") == (
        "<p>[link](javascript:alert(1)) ![x](y) `code` &lt;a href=x&gt;</p>")
    assert markdown_html("**<script>**") == "<p><strong>&lt;script&gt;</strong></p>"


def test_the_feed_has_one_entry_per_update_with_the_body_as_text():
    feed = ET.fromstring(render.feed(acme()))
    entries = feed.findall(f"{ATOM}entry")
    assert len(entries) == 4
    first = entries[0]
    assert first.findtext(f"{ATOM}title") == "Slow or failing assistant answers — Identified"
    assert first.findtext(f"{ATOM}updated") == "2025-05-06T14:28:00Z"
    assert first.find(f"{ATOM}content").get("type") == "text"
    assert first.findtext(f"{ATOM}content").startswith("## What we found\nA model update")
    assert first.find(f"{ATOM}link").get("href") == f"{URL}#k2v7qj4d1xzs"
    assert [e.findtext(f"{ATOM}updated") for e in entries] == sorted(
        (e.findtext(f"{ATOM}updated") for e in entries), reverse=True)
    ids = [e.findtext(f"{ATOM}id") for e in entries]
    assert len(set(ids)) == 4 and all(i.startswith("urn:uuid:") for i in ids)
    assert ids == [e.findtext(f"{ATOM}id") for e in ET.fromstring(render.feed(acme())).findall(f"{ATOM}entry")]
    assert feed.findtext(f"{ATOM}title") == "Acme status" and feed.findtext(f"{ATOM}updated") == "2025-05-06T14:28:00Z"


def test_the_feed_carries_markup_and_control_characters_as_valid_xml_text():
    evil = hostile_page()
    body = evil.incidents[0].updates[0].body
    evil = replace(evil, incidents=(replace(evil.incidents[0], updates=(
        replace(evil.incidents[0].updates[0], body=body + "\x00\x1b"),)),))
    raw = render.feed(evil)
    assert b"<script>" not in raw and b"<!channel>" not in raw
    (entry,) = ET.fromstring(raw).findall(f"{ATOM}entry")
    assert entry.findtext(f"{ATOM}content") == body
    assert entry.findtext(f"{ATOM}title") == f"Title {HOSTILE} — Investigating"


def test_the_api_speaks_statuspage_shapes():
    docs = {p: json.loads(d.body) for p, d in render.documents(acme()).items() if p.startswith("/api/")}
    summary = docs["/api/v2/summary.json"]
    assert list(summary) == ["page", "components", "incidents", "scheduled_maintenances", "status"]
    assert summary["page"] == {"id": "acme", "name": "Acme status", "url": URL, "time_zone": "Etc/UTC",
                               "updated_at": "2025-05-06T14:28:00.000Z"}
    assert summary["status"] == {"indicator": "major", "description": "Partial System Outage"}
    assert summary["scheduled_maintenances"] == []
    answers, data = summary["components"]
    assert answers == {"id": component_id("answers"), "name": "Assistant answers", "status": "partial_outage",
                       "created_at": None, "updated_at": "2025-05-06T14:28:00.000Z", "position": 1,
                       "description": None, "showcase": True, "start_date": None, "group_id": None,
                       "page_id": "acme", "group": False, "only_show_if_degraded": False}
    assert data["status"] == "operational" and data["position"] == 2 and re.fullmatch("[0-9a-f]{12}", data["id"])
    (open_,) = summary["incidents"]
    assert set(open_) == {"id", "name", "status", "created_at", "updated_at", "monitoring_at", "resolved_at",
                          "impact", "shortlink", "started_at", "page_id", "incident_updates", "components",
                          "reminder_intervals"}
    assert (open_["id"], open_["status"], open_["impact"]) == ("k2v7qj4d1xzs", "identified", "major")
    assert open_["shortlink"] == f"{URL}#k2v7qj4d1xzs" and open_["resolved_at"] is None
    assert open_["started_at"] == open_["created_at"] == "2025-05-06T14:02:00.000Z"
    assert open_["components"] == [answers]
    latest, first = open_["incident_updates"]
    assert set(latest) == {"id", "status", "body", "incident_id", "created_at", "updated_at", "display_at",
                           "affected_components", "deliver_notifications", "custom_tweet", "tweet_id"}
    assert latest["body"] == acme().incidents[0].updates[0].body  # exactly as approved
    assert latest["affected_components"] == [{"code": component_id("answers"), "name": "Assistant answers",
                                              "old_status": "degraded_performance", "new_status": "partial_outage"}]
    assert first["affected_components"][0]["old_status"] == "operational"
    assert docs["/api/v2/status.json"] == {"page": summary["page"], "status": summary["status"]}
    assert docs["/api/v2/components.json"] == {"page": summary["page"], "components": summary["components"]}
    assert docs["/api/v2/incidents/unresolved.json"] == {"page": summary["page"], "incidents": [open_]}
    everything = docs["/api/v2/incidents.json"]["incidents"]
    assert [i["status"] for i in everything] == ["identified", "resolved"]
    assert everything[1]["resolved_at"] == "2025-04-30T13:55:00.000Z"


def test_an_incident_whose_class_has_no_component_names_none():
    lonely = page(incident("x1", "Elsewhere", (PublicStatus.INVESTIGATING, "Looking.", NOW, "major_outage"),
                           class_id="unmapped"))
    (shown,) = json.loads(render.documents(lonely)["/api/v2/incidents.json"].body)["incidents"]
    assert shown["components"] == [] and shown["incident_updates"][0]["affected_components"] is None


def test_component_ids_are_stable_and_states_indicators_follow_the_page():
    assert component_id("answers") == component_id("answers") != component_id("data")
    for impact, indicator in (("minor", "Minor Service Outage"), ("critical", "Major System Outage")):
        shown = page(incident("i", "I", (PublicStatus.MONITORING, "b", NOW, "major_outage"), impact=impact))
        summary = json.loads(render.documents(shown)["/api/v2/summary.json"].body)
        assert summary["status"]["description"] == indicator
        assert summary["components"][0]["status"] == "major_outage"
        assert summary["incidents"][0]["monitoring_at"] == "2025-05-06T14:40:00.000Z"


def test_markup_in_the_json_is_escaped_and_reads_back_exactly():
    raw = {p: d.body for p, d in render.documents(hostile_page()).items() if p.startswith("/api/")}
    for body in raw.values():
        assert b"<" not in body and b">" not in body and b"&" not in body
    summary = json.loads(raw["/api/v2/summary.json"])
    assert summary["page"]["name"] == f"Page {HOSTILE}"
    assert summary["incidents"][0]["incident_updates"][0]["body"].startswith(f"Body {HOSTILE}\n")


def test_nothing_but_the_pages_content_appears():
    """Every word a reader sees is the page's own or one of the page's fixed labels."""
    shown = acme()
    labels = {"Components", "Open incidents", "Past incidents", "Last updated", "Atom feed", "Status API", "·",
              "Partial System Outage", "Partial outage", "Operational", "Investigating", "Identified", "Resolved"}
    own = {shown.name, *(c.name for c in shown.components), *(i.name for i in shown.incidents)}
    bodies = " ".join(u.body for i in shown.incidents for u in i.updates)
    for text in seen(render.html(shown)).text:
        if text in labels or text in own or re.fullmatch(r"[\d\- :]+UTC|\w+ \d+, \d{4}", text):
            continue
        assert text in bodies.replace("**", ""), text
    strings = []

    def walk(value):
        if isinstance(value, dict):
            [walk(v) for v in value.values()]
        elif isinstance(value, list):
            [walk(v) for v in value]
        elif isinstance(value, str):
            strings.append(value)

    for path in API_PATHS:
        walk(json.loads(render.documents(shown)[path].body))
    fixed = {"acme", "Etc/UTC", URL, "Partial System Outage", *PublicStatus, *COMPONENT_STATES, *IMPACTS,
             *(i.id for i in shown.incidents), *(u.id for i in shown.incidents for u in i.updates),
             *(f"{URL}#{i.id}" for i in shown.incidents), *(component_id(c.key) for c in shown.components)}
    for text in strings:
        assert text in own or text in fixed or text in bodies or re.fullmatch(r"\d{4}-\d\d-\d\dT[\d:.]+Z", text), text
