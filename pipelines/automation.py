"""Declarative automation: a newly ingested FitRec file or Apple export flows on, by itself,
into the unified and gated workouts, the audit report, the splits and the training tensors.

Training and evaluation are left to the weekly retraining: a new file refreshes the data at
once, the schedule decides when the models change. The automation sensor starts stopped, like
every schedule and sensor here (turn it on in the UI's Automation tab).
"""

import dagster as dg

CARRIED_GROUPS = ("quality", "features")


def carry_new_data(spec: dg.AssetSpec) -> dg.AssetSpec:
    """`eager` on the data stages after ingestion; every other spec unchanged."""
    if spec.group_name in CARRIED_GROUPS:
        return spec.replace_attributes(automation_condition=dg.AutomationCondition.eager())
    return spec


data_automation_sensor = dg.AutomationConditionSensorDefinition(
    "data_automation",
    target=dg.AssetSelection.groups(*CARRIED_GROUPS),
    default_status=dg.DefaultSensorStatus.STOPPED,
    description="Carry new ingestion partitions into the quality and feature stages.",
)
