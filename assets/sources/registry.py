"""Every source, one line each, in the order the inbox offers them a drop (a source that takes
any folder comes last). Quality, evaluation, the sensor, the schedules, `pulselake register`
and `pulselake run` iterate this list; adding a source is its package and one line here."""

from assets.sources.activity_files.source import ACTIVITY_FILES
from assets.sources.apple_health.source import APPLE_HEALTH
from assets.sources.fitrec.source import FITREC

SOURCES = (FITREC, APPLE_HEALTH, ACTIVITY_FILES)
