"""All models, imported here so Alembic and the app see the whole schema."""

from intake.models.city import City, ProgrammeStage
from intake.models.job import JobRecord, JobState
from intake.models.letter import Letter

__all__ = ["City", "JobRecord", "JobState", "Letter", "ProgrammeStage"]
