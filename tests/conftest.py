"""Shared fixtures: hand-written FitRec lines and a temp lake."""

from pathlib import Path

import dagster as dg
import pytest


def fitrec_line(
    workout_id: int, user_id: int = 7, sport: str = "run", n: int = 3, speed=True
) -> str:
    """A FitRec line exactly as Python's repr writes it (keys in the real order)."""
    record = {
        "longitude": [24.64977040886879 + i * 1e-4 for i in range(n)],
        "altitude": [41.6 + i for i in range(n)],
        "latitude": [60.173348765820265 + i * 1e-4 for i in range(n)],
        "sport": sport,
        "id": workout_id,
        "heart_rate": [100 + i for i in range(n)],
        "gender": "male",
        "timestamp": [1408898746 + 8 * i for i in range(n)],
        "url": f"https://www.endomondo.com/users/{user_id}/workouts/{workout_id}",
        "userId": user_id,
    }
    if speed:
        record["speed"] = [6.8652 + i for i in range(n)]
    return repr(record)


@pytest.fixture
def lake(tmp_path: Path) -> Path:
    root = tmp_path / "lake"
    root.mkdir()
    return root


def materialize_partition(
    assets: list, resources: dict, partitions: str, key: str, **kwargs
) -> dg.ExecuteInProcessResult:
    """Materialize one dynamic partition (registered first) of per-file ingestion assets."""
    instance = kwargs.pop("instance", None) or dg.DagsterInstance.ephemeral()
    instance.add_dynamic_partitions(partitions, [key])
    return dg.materialize(
        assets, resources=resources, instance=instance, partition_key=key, **kwargs
    )
