"""Tables of the activity-files source besides its workouts (which use schemas.workouts)."""

import pandera.polars as pa
import polars as pl


class ActivityQuarantine(pa.DataFrameModel):
    """A file (or an activities.csv row naming one) that could not be loaded, and why; the
    reason starts with the file and names the element, line or field at fault."""

    file: pl.String
    reason: pl.String = pa.Field(str_length={"min_value": 1})

    class Config:
        strict = True
        ordered = True
