"""The facts notices are written from. Each has a key people type and a meaning templates rely on."""

from __future__ import annotations

FACTS: dict[str, str] = {
    "affected_users": "how many users were affected (a number or an estimate)",
    "affected_tenants": "which customers or tenants were affected",
    "feature": "the product feature that misbehaved",
    "model": "the model and version involved",
    "prompt_version": "the prompt or template version involved",
    "window_start": "when outputs may have started to be wrong (a time)",
    "window_end": "when that stopped (a time), if it has",
    "not_affected": "what is not affected",
    "workaround": "what users can do meanwhile",
    "degraded": "what was disabled or degraded to contain it",
    "recheck": "what users should re-check",
    "actions_taken_by_ai": "what the agent or tool did (refunds, emails, account changes)",
    "actions_reversed": "which of those actions were reversed",
    "jurisdictions": "the countries or regions involved",
    "data_categories": "the categories of personal data involved",
    "data_subjects": "the approximate number of people whose data was involved",
    "records": "the approximate number of records involved",
    "consequences": "the likely consequences for the people involved",
    "measures": "the measures taken or proposed",
    "contact": "who to contact for more information (e.g. the DPO)",
    "organisation": "the organisation's name as notices should show it",
    "system": "the AI system involved",
    "high_risk": "whether it is a high-risk AI system under the EU AI Act (yes/no)",
    "cross_border": "whether the impact crosses borders (yes/no, where)",
    "malicious": "whether an unlawful or malicious act is suspected (yes/no)",
    "root_cause": "the root cause, once known",
    "indicators": "indicators of compromise, if any",
    "status_page_url": "where customers can follow the incident",
    "ai_act_case": "for the EU AI Act clock: standard, widespread, critical_infrastructure or death",
}

# Facts whose value sets a deadline must be one of a few words.
CHOICES: dict[str, tuple[str, ...]] = {
    "ai_act_case": ("standard", "widespread", "critical_infrastructure", "death"),
}

MAX_FACT = 1000  # characters in one fact's value
