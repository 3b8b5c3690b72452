"""The unified workout table's polars schema, which every source's workouts are cast to."""

from schemas.tables import polars_schema
from schemas.workouts import Workouts

UNIFIED = polars_schema(Workouts)
