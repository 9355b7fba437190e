"""All models, imported here so Alembic and the app see the whole schema."""

from intake.models.api_token import ApiToken
from intake.models.city import City, ProgrammeStage
from intake.models.conversation import Conversation
from intake.models.gains import Consent, Initiative, Recommendation, ValueHistory
from intake.models.job import JobRecord, JobState
from intake.models.letter import Letter
from intake.models.pipeline import StageChange
from intake.models.score import CategoryScore
from intake.models.submission import CategoryState
from intake.models.summary import CitySummary
from intake.models.user import User, UserRole, VerifierAssignment
from intake.models.values import DataValue, EvidenceFile, KpiProvenance, ValueAudit
from intake.models.verification import KpiVerification, Question, QuestionMessage

__all__ = [
    "ApiToken",
    "CategoryScore",
    "CategoryState",
    "City",
    "CitySummary",
    "Consent",
    "Conversation",
    "DataValue",
    "EvidenceFile",
    "Initiative",
    "JobRecord",
    "JobState",
    "KpiProvenance",
    "KpiVerification",
    "Letter",
    "ProgrammeStage",
    "Question",
    "QuestionMessage",
    "Recommendation",
    "StageChange",
    "User",
    "UserRole",
    "ValueAudit",
    "ValueHistory",
    "VerifierAssignment",
]
