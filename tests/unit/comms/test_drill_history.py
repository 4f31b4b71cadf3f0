"""`firehouse report drills`: the ended drills as a text table grouped by scenario, and as CSV."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from firehouse.comms.drill_history import CSV_HEADER, csv_text, text_table
from firehouse.domain.drills import MILESTONES, DrillRun, Milestone, Readiness, Scenario
from firehouse.domain.severity import Severity

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
S, MIN = timedelta(seconds=1), timedelta(minutes=1)
TARGETS = (10 * MIN, 10 * MIN, 20 * MIN, 40 * MIN, 60 * MIN, 60 * MIN)  # the ends of each milestone's phase


def ended(incident_id: int, name: str, started: datetime, ran: timedelta, afters: tuple[timedelta | None, ...], *,
          severity: Severity, expected: Severity, class_id: str = "action", expected_class: str = "action",
          missed: tuple[str, ...] = (), timed_out: bool = False, ended_by: str = "UALICE") -> DrillRun:
    """An ended run of `name` whose milestones were reached `afters` the alarm (None: never)."""
    milestones = tuple(Milestone(key, label, target, after)
                       for (key, label, _), target, after in zip(MILESTONES, TARGETS, afters, strict=True))
    report = Readiness(scenario=name, started_at=started, ended_at=started + ran, milestones=milestones,
                       missed=missed, severity=severity, expected_severity=expected, class_id=class_id,
                       expected_class=expected_class, timed_out=timed_out)
    scenario = Scenario(name=name, title=name, summary="", alarm="", class_id=expected_class, severity=expected,
                        why="")
    return DrillRun(incident_id=incident_id, scenario=scenario, started_by="UALICE", started_at=started,
                    ended_by=ended_by, ended_at=started + ran, report=report)


# Two runs of refund-fraud around one of runaway-tool-loop: late, never reached, on the minute, and sub-minute.
FIRST = ended(7, "refund-fraud", T0, 45 * MIN, (2 * MIN, 12 * MIN, None, 30.6 * S, 41 * MIN, 61 * MIN),
              severity=Severity.SEV2, expected=Severity.SEV1, missed=("classify", "contain"))
LOOP = ended(9, "runaway-tool-loop", T0 + timedelta(days=7, hours=5, minutes=30), 60 * MIN,
             (10 * MIN, 10 * MIN, 20 * MIN, 40 * MIN, 60 * MIN, 59 * MIN + 59 * S), severity=Severity.SEV2,
             expected=Severity.SEV2, class_id="cost", expected_class="cost", timed_out=True, ended_by="Firehouse")
SECOND = ended(12, "refund-fraud", T0 + timedelta(days=14), 125 * MIN,
               (0 * S, 9 * MIN, 19 * MIN + 59 * S, 39 * MIN, None, None), severity=Severity.SEV1,
               expected=Severity.SEV1, class_id="output", missed=("communicate",))

HEADER = ("incident  started (UTC)         ran    captain   classify  firebreak   snapshot     update     notice"
          "  on time  severity     missed")
FOOTER = "severity: chosen/the scenario's. missed: first-hour checklist items done after their checkpoint."


def test_the_table_groups_runs_by_scenario_in_the_order_met_with_each_milestones_time_and_a_star_when_late():
    assert text_table([FIRST, LOOP, SECOND]).splitlines() == [
        "3 drills, by scenario, oldest first. Times from the alarm; * marks a milestone reached after the end of"
        " its phase of the 60-minute flow.",
        "",
        "refund-fraud:",
        HEADER,
        "       7  2026-03-02 09:00      45m         2m       12m*      never        30s        41m    1h 01m*"
        "    3 of 6  SEV2/SEV1    2",
        "      12  2026-03-16 09:00   2h 05m         0s         9m        19m        39m      never      never"
        "    4 of 6  SEV1/SEV1    1",
        "",
        "runaway-tool-loop:",
        HEADER,
        "       9  2026-03-09 14:30   1h 00m        10m        10m        20m        40m     1h 00m        59m"
        "    6 of 6  SEV2/SEV2    0",
        "",
        FOOTER,
    ]


def test_one_drill_is_one_drill_and_the_table_ends_with_a_newline():
    table = text_table([LOOP])
    assert table.startswith("1 drill, by scenario, oldest first. Times from the alarm;")
    assert table.endswith("\n\n" + FOOTER + "\n")
    assert table.count("runaway-tool-loop:") == 1 and table.count(HEADER) == 1


def test_a_milestone_reached_at_the_end_of_its_phase_is_on_time_and_has_no_star():
    row = text_table([LOOP]).splitlines()[4]
    assert "*" not in row and row.endswith("6 of 6  SEV2/SEV2    0")


def test_without_drills_the_table_says_how_to_start_one():
    assert text_table([]) == "No drill has ended yet. Start one in Slack with `/incident drill`.\n"


def test_the_csv_has_one_row_per_run_in_the_order_given_with_whole_seconds_and_empty_for_never():
    assert csv_text([FIRST, LOOP, SECOND]).split("\n") == [
        "incident,scenario,started_at,ended_at,ended_by,timed_out,captain_seconds,classify_seconds,"
        "firebreak_seconds,snapshot_seconds,update_seconds,notice_seconds,captain_on_time,classify_on_time,"
        "firebreak_on_time,snapshot_on_time,update_on_time,notice_on_time,on_time,milestones,severity,"
        "expected_severity,class,expected_class,checklist_missed",
        "7,refund-fraud,2026-03-02T09:00:00+00:00,2026-03-02T09:45:00+00:00,UALICE,false,120,720,,31,2460,3660,"
        "true,false,false,true,true,false,3,6,sev2,sev1,action,action,2",
        "9,runaway-tool-loop,2026-03-09T14:30:00+00:00,2026-03-09T15:30:00+00:00,Firehouse,true,600,600,1200,2400,"
        "3600,3599,true,true,true,true,true,true,6,6,sev2,sev2,cost,cost,0",
        "12,refund-fraud,2026-03-16T09:00:00+00:00,2026-03-16T11:05:00+00:00,UALICE,false,0,540,1199,2340,,,"
        "true,true,true,true,false,false,4,6,sev1,sev1,output,action,1",
        "",
    ]


def test_the_csv_of_no_drills_is_its_header_alone():
    assert csv_text([]) == ",".join(CSV_HEADER) + "\n"
    assert len(CSV_HEADER) == 6 + 2 * len(MILESTONES) + 7
