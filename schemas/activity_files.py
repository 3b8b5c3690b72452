"""Tables of the activity-files source besides its workouts (which use schemas.workouts)."""

import pandera.polars as pa
import polars as pl

from schemas.tables import polars_schema
from schemas.workouts import Workouts

# One workout's aligned series as rows, one per sample (what reading an activity file gives):
# the list columns of Workouts, in its order, with their element types and units.
ACTIVITY_SERIES = pl.Schema(
    {
        name: dtype.inner
        for name, dtype in polars_schema(Workouts).items()
        if isinstance(dtype, pl.List)
    }
)


class ActivityQuarantine(pa.DataFrameModel):
    """A file (or an activities.csv row naming one) that could not be loaded, and why; the
    reason starts with the file and names the element, line or field at fault."""

    file: pl.String
    reason: pl.String = pa.Field(str_length={"min_value": 1})

    class Config:
        strict = True
        ordered = True
