"""The postmortem draft: every section from the record, `[to write: …]` for what the record cannot know."""

import re
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

import pytest

from firehouse.comms.check import check_templates
from firehouse.comms.postmortem import render_postmortem
from firehouse.comms.templates import TemplateCatalogue, TemplateProblem
from firehouse.domain.afteraction import Fixture, FollowUp
from firehouse.domain.classes import Catalog
from firehouse.domain.events import TimelineEntry
from firehouse.domain.firebreaks import Configured, Firebreak
from firehouse.domain.lifecycle import Status
from firehouse.domain.model import Incident
from firehouse.domain.notices import Notice
from firehouse.domain.severity import Severity
from firehouse.domain.snapshots import Snapshot

DECLARED = datetime(2026, 11, 23, 14, 5, tzinfo=UTC)
M = timedelta(minutes=1)
NOW = DECLARED + 3 * 60 * M
CATALOG = Catalog()
ROLLBACK = Configured("prompt-rollback", "rollback", "support-bot prompt", "unleash", "prompt")
SECTIONS = ("## Summary", "## Impact", "## Timeline (UTC)", "## Moments and durations", "## Detection",
            "## Severity and class history", "## Evidence: snapshots", "## Containment: firebreaks", "## Signals",
            "## Notices and regulatory decisions", "## Contributing factors", "## What went well",
            "## What went badly", "## Where we got lucky", "## Action items", "### Open", "### Done",
            "## Eval fixtures")


def declared(title="Support bot promised refunds", class_id="output") -> tuple[Incident, list[TimelineEntry]]:
    incident, event = Incident.declare(title=title, severity=Severity.SEV2, incident_class=CATALOG.classes[class_id],
                                       by="UALICE", at=DECLARED)
    incident.id = 42
    return incident, [event.timeline_entry()]


def worked(title="Support bot promised refunds") -> dict:
    """An incident worked end to end: detected early, escalated, snapshotted, rolled back, notified, resolved."""
    incident, timeline = declared(title)
    timeline += [
        incident.set_moment("detected", DECLARED - 12 * M, by="UALICE", at=DECLARED + M).timeline_entry(),
        incident.change_severity(Severity.SEV1, by="UBOB", at=DECLARED + 20 * M, reason="refunds issued").timeline_entry(),
        incident.change_class(CATALOG.classes["action"], by="UBOB", at=DECLARED + 22 * M).timeline_entry(),
        incident.change_status(Status.CONTAINED, by="UBOB", at=DECLARED + 31 * M).timeline_entry(),
    ]
    incident.record_facts({"affected_users": "about 300", "window_start": "2026-11-23 13:20 UTC"},
                          by="UALICE", at=DECLARED)
    snapshot = Snapshot.freeze({"model": "gpt-4o", "prompt_version": "v42"}, incident_id=42, by="UALICE",
                               at=DECLARED + 5 * M, cap=10_000)
    snapshot.id = 1
    rollback, _ = Firebreak.request(ROLLBACK, incident_id=42, by="UBOB", at=DECLARED + 30 * M)
    rollback.executed(at=DECLARED + 31 * M, answer="ok", by="firehouse")
    rollback.lift(by="UBOB", at=DECLARED + 80 * M, answer="ok")
    kill, _ = Firebreak.request(Configured("kill", "kill-switch", "refunds tool", "webhook"), incident_id=42,
                                by="UBOB", at=DECLARED + 25 * M)
    kill.failed(at=DECLARED + 26 * M, answer="HTTP 503 from the flag service", by="firehouse")
    notice = Notice(42, "product", "product/action", "Customer notice", "…", "UBOB", DECLARED + 40 * M, id=3)
    notice.approve(by="UCAROL", at=DECLARED + 41 * M)
    notice.mark_sent(by="UCAROL", at=DECLARED + 42 * M)
    incident.notice_sent_at = DECLARED + 42 * M
    incident.decide_not_reportable("gdpr", "no personal data was involved", by="UDANA", at=DECLARED + 50 * M)
    timeline.append(incident.resolve(by="UBOB", at=DECLARED + 90 * M, summary="Rolled back prompt v42.").timeline_entry())
    owned, _ = FollowUp.add("Add an eval for refund promises", incident_id=42, kind="detect", by="UBOB",
                            at=DECLARED, owner="UBOB", due=date(2026, 12, 1))
    unowned, _ = FollowUp.add("Gate prompt releases on the eval suite", incident_id=42, kind="prevent", by="UBOB",
                              at=DECLARED)
    done, _ = FollowUp.add("Page the support lead on refund spikes", incident_id=42, kind="detect", by="UBOB",
                           at=DECLARED, owner="UCAROL", due=date(2026, 11, 30))
    owned.id, unowned.id, done.id = 1, 2, 3
    done.complete(by="UCAROL", at=DECLARED + 100 * M)
    fixture = Fixture.write(incident_id=42, input=[{"role": "user", "content": "Can I get a refund?"}],
                            bad_output="Yes, 100% back!", by="UBOB", at=DECLARED + 110 * M, forbidden=["100% back"],
                            snapshot_id=1)
    fixture.id = 1
    return {"incident": incident, "timeline": timeline, "snapshots": [snapshot], "firebreaks": [rollback, kill],
            "notices": [notice], "actions": [owned, unowned, done], "fixtures": [fixture]}


def nothing(**options) -> dict:
    incident, _ = declared(**options)
    return {"incident": incident, "timeline": [], "snapshots": [], "firebreaks": [], "notices": [], "actions": [],
            "fixtures": []}


def render(record: dict, templates: TemplateCatalogue | None = None, **notes: list[str]):
    record = dict(record)
    return render_postmortem(record.pop("incident"), templates=templates or TemplateCatalogue(), catalog=CATALOG,
                             now=NOW, notes=notes, **record)


def section(text: str, heading: str) -> str:
    """The body of one `## heading` section."""
    return text.split(heading + "\n", 1)[1].split("\n## ", 1)[0]


def test_every_section_is_present_in_order_for_a_worked_incident_and_for_an_empty_record():
    for record in (worked(), nothing()):
        text = render(record).text
        positions = [text.index(heading + "\n") for heading in SECTIONS]
        assert positions == sorted(positions)


def test_the_draft_comes_from_the_default_template_with_its_title():
    rendered = render(worked())
    assert (rendered.name, rendered.title) == ("postmortem/default", "Postmortem (blameless)")
    assert rendered.text.startswith("# Postmortem: incident 42 · Support bot promised refunds\n")


def test_what_the_record_cannot_know_is_left_to_write_and_nothing_breaks_or_shows_missing():
    text = render(nothing()).text
    assert "[missing:" not in text
    for expected in ("## Summary\n\n[to write: two or three sentences",
                     "- **Users:** [to write: how many users were affected]",
                     "- **Money:** [to write:", "- **Obligations triggered:** [to write:",
                     "**Suspected cause:** [to write:", "## What went well\n\n[to write:",
                     "## What went badly\n\n[to write:", "## Where we got lucky\n\n[to write:",
                     "- **Systemic: why was it not caught?** [to write:",
                     "No snapshot was taken. [to write:", "No firebreak was pulled. [to write:",
                     "### Open\n\n[to write: the follow-ups", "## Eval fixtures\n\n[to write:",
                     "- **Time to contain:** [to write: not contained yet]",
                     "- **Which signal should have caught it, and why it did not fire:** [to write:"):
        assert expected in text


def test_the_contributing_factors_start_from_the_recorded_cause_and_root_cause():
    record = worked()
    record["incident"].change_cause("prompt", by="UBOB", at=DECLARED)
    assert "starting from the suspected cause: prompt (a prompt template changed)]" in render(record).text
    record["incident"].record_facts({"root_cause": "v42 dropped the refund policy"}, by="UBOB", at=DECLARED)
    assert "configuration): v42 dropped the refund policy\n" in render(record).text


def test_responders_notes_fill_the_sections_the_record_cannot():
    text = render(worked(), well=["The rollback took one minute"], lucky=["It was a Sunday", "Only 300 users"],
                  systemic=["No eval covers refund promises", "The gate was advisory"],
                  summary=["The bot promised refunds it could not give."],
                  detection=["Support tickets, not an alert"]).text
    assert "## What went well\n\n- The rollback took one minute\n\n## What went badly\n\n[to write:" in text
    assert "## Where we got lucky\n\n- It was a Sunday\n- Only 300 users\n" in text
    assert "- **Systemic: why was it not caught?** No eval covers refund promises; The gate was advisory\n" in text
    assert "## Summary\n\nRolled back prompt v42.\n\nThe bot promised refunds it could not give.\n" in text
    assert "why it did not fire:** Support tickets, not an alert\n" in text
    assert "- **Data** (inputs, retrieval sources, drift): [to write:" in text


def test_the_durations_are_measured_from_the_recorded_moments():
    text = section(render(worked()).text, "## Moments and durations")
    assert "- **Time to detect:** 33m (start of impact → detection)" in text  # 13:20 → 13:53
    assert "- **Time to captain:** 12m (detection → declaration)" in text
    assert "- **Time to contain:** 43m (detection → containment)" in text
    assert "- **Time to resolve:** 1h 42m (detection → resolution)" in text
    assert "| Detected | 2026-11-23 13:53 UTC |" in text and "| Resolved | 2026-11-23 15:35 UTC |" in text
    assert "Response times are measured from detection." in text


def test_without_detection_the_durations_run_from_the_declaration_and_say_so():
    record = nothing()
    record["incident"].change_status(Status.CONTAINED, by="UBOB", at=DECLARED + 45 * M)
    text = section(render(record).text, "## Moments and durations")
    assert "- **Time to contain:** 45m (declaration → containment)" in text
    assert "- **Time to detect:** [to write: when impact began; record it as a time:" in text
    assert "measured from the declaration; record detection with `/incident detected <time>`" in text


def test_the_timeline_shows_every_entry_in_utc_order_whatever_order_and_offset_it_came_in():
    record = nothing()
    paris = timezone(timedelta(hours=1))
    record["timeline"] = [TimelineEntry(datetime(2026, 11, 23, 16, 0, tzinfo=paris), "UBOB", "log", "second"),
                          TimelineEntry(DECLARED + 60 * M, "firehouse", "board", "third"),
                          TimelineEntry(DECLARED, "UALICE", "declared", "first")]
    lines = section(render(record).text, "## Timeline (UTC)").strip().splitlines()
    assert lines == ["- **2026-11-23 14:05 UTC** · @UALICE · _declared_ · first",
                     "- **2026-11-23 15:00 UTC** · @UBOB · _log_ · second",
                     "- **2026-11-23 15:05 UTC** · Firehouse · _board_ · third"]


def test_severity_and_class_history_comes_from_the_timeline():
    lines = section(render(worked()).text, "## Severity and class history").strip().splitlines()
    assert lines == ["- **2026-11-23 14:05 UTC** · @UALICE · Declared SEV2 output incident",
                     "- **2026-11-23 14:25 UTC** · @UBOB · Escalated from SEV2 to SEV1: refunds issued",
                     "- **2026-11-23 14:27 UTC** · @UBOB · Class changed from output to action"]


def test_snapshots_show_their_full_fingerprint_and_a_tampered_one_is_flagged():
    record = worked()
    snapshot = record["snapshots"][0]
    assert re.fullmatch(r"[0-9a-f]{64}", snapshot.fingerprint)
    text = section(render(record).text, "## Evidence: snapshots")
    assert f"  - sha256 `{snapshot.fingerprint}`\n" in text + "\n"
    assert "**Snapshot #1**, frozen 2026-11-23 14:10 UTC by @UALICE: model, prompt_version" in text
    snapshot.fields["model"] = "edited later"
    assert "**DOES NOT MATCH the stored record**" in render(record).text


def test_firebreaks_show_their_times_and_results():
    text = section(render(worked()).text, "## Containment: firebreaks")
    assert ("- **kill (kill-switch · refunds tool)** via webhook: **failed** (requested 2026-11-23 14:30 UTC by"
            " @UBOB, 1 attempt): HTTP 503 from the flag service") in text
    assert ("- **prompt-rollback (rollback · support-bot prompt)** via unleash: held from 2026-11-23 14:36 UTC"
            " to 2026-11-23 15:25 UTC (requested 2026-11-23 14:35 UTC by @UBOB)") in text
    assert text.index("kill-switch") < text.index("prompt-rollback")  # in the order they were pulled


def test_notices_sent_and_regulatory_decisions_are_listed():
    text = render(worked()).text
    notices = section(text, "## Notices and regulatory decisions")
    assert "- **Product notice #3** (Customer notice): sent 2026-11-23 14:47 UTC by @UCAROL" in notices
    assert ("- **Not reportable under GDPR Art. 33**, decided 2026-11-23 14:55 UTC by @UDANA:"
            " no personal data was involved") in notices
    impact = section(text, "## Impact")
    assert "  - GDPR Art. 33: not reportable (see below)" in impact
    assert "  - Customer notice sent 2026-11-23 14:47 UTC" in impact


def test_action_items_show_owner_and_due_or_what_to_write_and_the_done_ones_apart():
    text = section(render(worked()).text, "## Action items")
    assert "- [ ] **#1** (detect) Add an eval for refund promises · owner @UBOB · due 2026-12-01" in text
    assert ("- [ ] **#2** (prevent) Gate prompt releases on the eval suite · owner [to write: owner]"
            " · due [to write: due date]") in text
    assert "- [x] **#3** (detect) Page the support lead on refund spikes · owner @UCAROL · done 2026-11-23 15:45 UTC" in text
    assert "### Done" in text and "None yet." not in text


def test_user_text_stays_data_in_a_markdown_file():
    sneaky = "{{ 7*7 }} <!channel> {% raw %}"
    record = worked(title=sneaky)
    record["timeline"].append(TimelineEntry(DECLARED + 2 * M, "UBOB", "log", f"note {sneaky}"))
    record["actions"][0].text = sneaky
    text = render(record).text
    assert text.startswith(f"# Postmortem: incident 42 · {sneaky}\n")
    assert f"· _log_ · note {sneaky}\n" in text
    assert f"**#1** (detect) {sneaky} ·" in text
    assert "<!channel>" in text and "&lt;" not in text  # Markdown, not Slack mrkdwn: left as typed


def test_firehouse_mentions_in_the_timeline_read_as_names_in_markdown():
    record = nothing()
    record["timeline"] = [TimelineEntry(DECLARED, "UALICE", "role", "<@UBOB> is scribe, taking over from <@UCAROL>")]
    assert "· _role_ · @UBOB is scribe, taking over from @UCAROL" in render(record).text


def write(folder: Path, name: str, text: str) -> TemplateCatalogue:
    (folder / name).parent.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(text)
    return TemplateCatalogue.with_override(folder)


def test_a_class_may_shadow_the_default_postmortem(tmp_path: Path):
    catalogue = write(tmp_path, "postmortem/output.md.j2",
                      "{#-\ntitle: Output postmortem\n-#}\nOutput: {{ incident.title }} {{ timeline | length }}")
    rendered = render(worked(), catalogue)  # worked() ends as an action incident: the default
    assert rendered.name == "postmortem/default"
    rendered = render(nothing(), catalogue)
    assert (rendered.name, rendered.title, rendered.text) == ("postmortem/output", "Output postmortem",
                                                               "Output: Support bot promised refunds 0")


def test_a_broken_shadowing_template_names_the_template_and_the_line(tmp_path: Path):
    catalogue = write(tmp_path, "postmortem/output.md.j2", "# Postmortem\n\n{% for entry in timeline %}\n")
    with pytest.raises(TemplateProblem, match=r"Template `postmortem/output`, line 3 is broken"):
        render(nothing(), catalogue)


def test_variables_stay_strict_in_a_postmortem(tmp_path: Path):
    catalogue = write(tmp_path, "postmortem/output.md.j2", "{{ incident.title }}\n{{ lessons }}")
    with pytest.raises(TemplateProblem, match=r"`postmortem/output`, line 2 is broken: 'lessons' is undefined"):
        render(nothing(), catalogue)


def test_templates_check_renders_the_postmortem_with_the_whole_record_and_with_nothing(tmp_path: Path):
    catalogue = TemplateCatalogue((tmp_path,))
    write(tmp_path, "postmortem/x.md.j2",
          "{% if snapshots %}{{ snapshots[0].fingerprint[:4] }} {{ firebreaks[1].answer }}{% else %}{{ nope }}{% endif %}")
    problems, renders = check_templates(catalogue, CATALOG)
    assert problems == ["Template `postmortem/x`, line 1 is broken: 'nope' is undefined"]
    assert renders == len(CATALOG.classes) * len(Status)  # the full-record half rendered
    write(tmp_path, "postmortem/x.md.j2", "{{ incident.title }}{% for e in timeline %} {{ e.text }}{% endfor %}")
    assert check_templates(catalogue, CATALOG) == ([], 2 * len(CATALOG.classes) * len(Status))
    write(tmp_path, "postmortem/x.md.j2", "{{ incident.title }} {{ 1234 * 5 }}")
    assert check_templates(catalogue, CATALOG)[0] == ["Template `postmortem/x` evaluated user text as a template."]


def test_the_shipped_postmortem_passes_the_templates_check():
    problems, _ = check_templates(TemplateCatalogue(), CATALOG)
    assert problems == []
