"""All models, imported here so Alembic and the app see the whole schema."""

from intake.models.city import City, ProgrammeStage
from intake.models.conversation import Conversation
from intake.models.job import JobRecord, JobState
from intake.models.letter import Letter
from intake.models.pipeline import StageChange
from intake.models.score import CategoryScore
from intake.models.submission import CategoryState
from intake.models.user import User, UserRole, VerifierAssignment
from intake.models.values import DataValue, EvidenceFile, KpiProvenance, ValueAudit

__all__ = [
    "CategoryScore",
    "CategoryState",
    "City",
    "Conversation",
    "DataValue",
    "EvidenceFile",
    "JobRecord",
    "JobState",
    "KpiProvenance",
    "Letter",
    "ProgrammeStage",
    "StageChange",
    "User",
    "UserRole",
    "ValueAudit",
    "VerifierAssignment",
]
