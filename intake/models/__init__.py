"""All models, imported here so Alembic and the app see the whole schema."""

from intake.models.city import City, ProgrammeStage
from intake.models.job import JobRecord, JobState

__all__ = ["City", "JobRecord", "JobState", "ProgrammeStage"]
