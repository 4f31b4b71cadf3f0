"""Drill scenarios as files: the shipped four, a deployment's folder shadowing them, and every way a file is wrong."""

from __future__ import annotations

from datetime import timedelta

import pytest

from firehouse.cli import main
from firehouse.config.scenarios import default_folder, load
from firehouse.domain.classes import Catalog
from firehouse.domain.drills import DRY_RUN, LIVE
from firehouse.domain.severity import Severity

GOOD = '''title = "Support bot leaks a discount code"
summary = "A coupon meant for staff reaches customers."
alarm = "Finance: redemptions of STAFF50 up 40x"
class = "output"
severity = "sev2"
why = "Wrong output reached users; recoverable."
time_limit = "20s"
firebreaks = "live"

[[injects]]
at = "5s"
text = "Marketing asks who published the code."
'''


def write(folder, name: str, text: str):
    folder.mkdir(exist_ok=True)
    path = folder / f"{name}.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_shipped_scenarios_all_read_and_cover_the_four_seeds():
    scenarios = load(None, catalog=Catalog())
    assert scenarios.problems == {}
    by_class = {s.class_id: s for s in scenarios.found.values()}
    assert {"action", "data", "cost", "gate"} <= set(by_class)
    assert by_class["action"].severity is Severity.SEV1 and by_class["data"].severity is Severity.SEV1
    for scenario in scenarios.found.values():
        assert scenario.injects and all(i.at < scenario.time_limit for i in scenario.injects)
        assert scenario.firebreaks == DRY_RUN and scenario.why and scenario.alarm
        assert scenarios.paths[scenario.name].parent == default_folder()


def test_a_deployments_folder_shadows_a_shipped_scenario_and_adds_its_own(tmp_path):
    write(tmp_path, "refund-fraud", GOOD)
    write(tmp_path, "coupon-leak", GOOD)
    scenarios = load(tmp_path, catalog=Catalog())
    assert scenarios.found["refund-fraud"].title == "Support bot leaks a discount code"
    assert scenarios.paths["refund-fraud"] == tmp_path / "refund-fraud.toml"
    coupon = scenarios.found["coupon-leak"]
    assert coupon.time_limit == timedelta(seconds=20) and coupon.injects[0].at == timedelta(seconds=5)
    assert coupon.firebreaks == LIVE and coupon.severity is Severity.SEV2 and coupon.cause is None
    assert "runaway-tool-loop" in scenarios.found  # the others stay


@pytest.mark.parametrize(("text", "problem"), [
    ('title = "x"\nsummary = \n', "not valid TOML: Invalid value (at line 2, column 11)"),
    (GOOD.replace('class = "output"', 'class = "outage"'), "class must be one of output, action, data, cost, gate"),
    (GOOD.replace('severity = "sev2"', 'severity = "sev4"'), "severity must be sev1, sev2 or sev3, not 'sev4'"),
    (GOOD.replace('at = "5s"', 'at = "25s"'), "inject 1 at +25s is past the end of the drill (time_limit 20s)"),
    (GOOD.replace('at = "5s"', 'at = "soon"'), "injects[1].at: 'soon' is not a duration"),
    (GOOD.replace('text = "Marketing asks who published the code."\n', ''), "injects[1] needs at"),
    (GOOD.replace('why = "Wrong output reached users; recoverable."\n', ''), "why is missing"),
    ('colour = "red"\n' + GOOD, "unknown key 'colour'"),
    (GOOD.replace('firebreaks = "live"', 'firebreaks = "real"'), 'firebreaks must be "dry-run"'),
    (GOOD.replace('time_limit = "20s"', 'time_limit = "9h"'), "time_limit is at most 8h"),
    (GOOD.replace('title = "Support bot leaks a discount code"', 'title = "  "'), "title must be a non-empty string"),
    (GOOD.replace('title = "Support bot leaks a discount code"', f'title = "{"x" * 151}"'),
     "title is 151 characters long; keep it to 150"),
    ('cause = "gremlins"\n' + GOOD, "cause must be one of prompt, model"),
    ("\ufeff\x00", "not valid TOML"),
])
def test_a_scenario_that_cannot_run_is_named_with_its_problem_and_the_others_still_load(tmp_path, text, problem):
    write(tmp_path, "broken", text)
    scenarios = load(tmp_path, catalog=Catalog())
    assert "broken" not in scenarios.found
    assert scenarios.problems["broken"].startswith("broken.toml: ")
    assert problem in scenarios.problems["broken"]
    assert len(scenarios.found) == 4


def test_a_file_name_that_cannot_name_a_scenario_is_a_problem(tmp_path):
    write(tmp_path, "Refund Fraud", GOOD)
    assert "a-z, 0-9 and '-'" in load(tmp_path, catalog=Catalog()).problems["Refund Fraud"]


def test_a_scenario_of_a_class_the_deployment_removed_is_refused():
    catalog = Catalog(classes={k: v for k, v in Catalog().classes.items() if k != "gate"})
    assert "class must be one of" in load(None, catalog=catalog).problems["eval-gate-override"]


def test_firehouse_drills_check_lists_every_scenario_and_fails_on_a_broken_one(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    for variable in ("FIREHOUSE_CONFIG", "FIREHOUSE_DRILLS"):
        monkeypatch.delenv(variable, raising=False)
    assert main(["drills", "check"]) == 0
    out = capsys.readouterr().out
    assert "ok    refund-fraud" in out and out.rstrip().endswith("4 scenarios ok, 0 problems")

    write(tmp_path / "mine", "late", GOOD.replace('at = "5s"', 'at = "30s"'))
    monkeypatch.setenv("FIREHOUSE_DRILLS", "mine")
    assert main(["drills", "check"]) == 1
    out = capsys.readouterr().out
    assert "FAIL  late" in out and "past the end of the drill" in out
    assert out.rstrip().endswith("4 scenarios ok, 1 problem")


def test_a_drills_folder_that_does_not_exist_stops_the_command_with_one_line(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("FIREHOUSE_CONFIG", raising=False)
    monkeypatch.setenv("FIREHOUSE_DRILLS", "nowhere")
    assert main(["drills", "check"]) == 2
    assert capsys.readouterr().err == "firehouse: FIREHOUSE_DRILLS names nowhere, which is not a folder\n"


def test_firehouse_doctor_names_a_scenario_that_cannot_run(tmp_path):
    from firehouse.config import Settings
    from firehouse.ops.doctor import drills_check

    assert str(drills_check(Settings(bot_token="", signing_secret=""))) == "ok    drills               4 scenarios"
    write(tmp_path, "late", GOOD.replace('at = "5s"', 'at = "30s"'))
    write(tmp_path, "broken", 'title = "x"\nsummary =\n')
    check = drills_check(Settings(bot_token="", signing_secret="", drills_dir=tmp_path))
    assert check.ok is False and check.detail.startswith("broken.toml: not valid TOML")
    assert check.detail.endswith("(and 1 more: `firehouse drills check`)")
