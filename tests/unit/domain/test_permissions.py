import pytest

from firehouse.domain.permissions import DEFAULT_RULES, Action, NotAllowed, Policy

ROLES = {"legal": "ULAWYER", "comms": "UCOMMS"}


def allows(action, user, *, admin=False, policy=None):
    return (policy or Policy()).allows(action, user=user, captain="UCAPTAIN", roles=ROLES, is_admin=lambda: admin)


def test_every_action_has_a_default_rule():
    assert set(DEFAULT_RULES) == set(Action)


@pytest.mark.parametrize("action", ["log", "update", "escalate", "status", "change_cause", "hand_over"])
def test_anyone_in_the_war_room_may(action):
    assert allows(action, "USOMEONE")


@pytest.mark.parametrize("action", ["deescalate", "resolve", "waive_notice", "change_class"])
def test_only_the_captain_or_an_admin_may(action):
    assert allows(action, "UCAPTAIN")
    assert allows(action, "UADMIN", admin=True)
    assert not allows(action, "USOMEONE")
    assert not allows(action, "ULAWYER")


def test_only_the_legal_role_holder_approves_legal_notices():
    assert allows("approve_legal", "ULAWYER")
    assert not allows("approve_legal", "UCAPTAIN")
    assert not allows("approve_legal", "UADMIN", admin=True)
    assert allows("approve_product", "UCOMMS") and allows("approve_product", "UCAPTAIN")


def test_admin_status_is_only_asked_for_when_it_matters():
    asked = []
    Policy().allows("log", user="U1", captain="UCAPTAIN", roles={}, is_admin=lambda: asked.append(1) or True)
    Policy().allows("resolve", user="UCAPTAIN", captain="UCAPTAIN", roles={}, is_admin=lambda: asked.append(1))
    assert not asked


def test_a_refusal_names_who_may():
    with pytest.raises(NotAllowed) as err:
        Policy().require("deescalate", user="U1", captain="UCAPTAIN", roles=ROLES, is_admin=lambda: False)
    assert str(err.value) == "Only the fire captain (<@UCAPTAIN>) or a Firehouse admin may lower the severity."
    with pytest.raises(NotAllowed) as err:
        Policy().require("approve_legal", user="U1", captain="UCAPTAIN", roles={}, is_admin=lambda: False)
    assert str(err.value) == "Only the legal role holder (nobody yet) may approve legal-lane notices."


def test_rules_are_configurable():
    policy = Policy({**DEFAULT_RULES, "log": frozenset({"captain", "scribe"})})
    assert not allows("log", "USOMEONE", policy=policy)
    assert allows("log", "UCAPTAIN", policy=policy)


def test_admins_may_not_record_that_an_incident_is_not_reportable():
    assert allows("not_reportable", "ULAWYER")
    assert not allows("not_reportable", "UADMIN", admin=True)
    assert not allows("not_reportable", "UCAPTAIN")


def test_the_captain_may_do_what_only_the_captain_may():
    Policy().require("resolve", user="UCAPTAIN", captain="UCAPTAIN", roles=ROLES, is_admin=lambda: False)


def test_a_refusal_names_the_role_holder_when_there_is_one():
    with pytest.raises(NotAllowed) as err:
        Policy().require("approve_product", user="U1", captain="UCAPTAIN", roles=ROLES, is_admin=lambda: False)
    assert str(err.value) == ("Only the fire captain (<@UCAPTAIN>) or the comms role holder (<@UCOMMS>) may approve"
                              " product-lane notices.")


def test_who_may_is_listed_captain_first_then_admins_then_roles():
    policy = Policy({**DEFAULT_RULES, "facts": frozenset({"scribe", "admins", "legal", "captain"})})
    assert policy.describe("facts", captain="UCAPTAIN", roles=ROLES) == (
        "the fire captain (<@UCAPTAIN>) or a Firehouse admin or the legal role holder (<@ULAWYER>)"
        " or the scribe role holder (nobody yet)")
