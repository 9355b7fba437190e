"""All models, imported here so Alembic and the app see the whole schema."""

from intake.models.api_token import ApiToken
from intake.models.audit import AuditEvent
from intake.models.city import City, ProgrammeStage
from intake.models.conversation import Conversation
from intake.models.datapoint_check import DataPointCheck
from intake.models.duplicate import PossibleDuplicate
from intake.models.export import ExportJob
from intake.models.gains import Consent, Initiative, Recommendation, ValueHistory
from intake.models.job import JobRecord, JobState
from intake.models.letter import Letter
from intake.models.local_kpi import LocalKpi, LocalKpiStatus, LocalKpiValue
from intake.models.peers import PeerStatistic
from intake.models.pipeline import StageChange
from intake.models.programme import CaseStudy, Milestone
from intake.models.score import CategoryScore
from intake.models.submission import CategoryState
from intake.models.summary import CitySummary
from intake.models.team import (
    Assignment,
    CollectionDeadline,
    MissingFigure,
    ProgrammeSetting,
    ReminderSent,
    ReminderStop,
    TeamMember,
)
from intake.models.user import StaffSession, User, UserRole, VerifierAssignment
from intake.models.values import DataValue, EvidenceFile, KpiProvenance, ValueAudit
from intake.models.verification import KpiVerification, Question, QuestionMessage

__all__ = [
    "AuditEvent",
    "ApiToken",
    "CaseStudy",
    "Assignment",
    "CategoryScore",
    "CategoryState",
    "City",
    "CitySummary",
    "PeerStatistic",
    "CollectionDeadline",
    "Consent",
    "Conversation",
    "DataPointCheck",
    "DataValue",
    "EvidenceFile",
    "ExportJob",
    "Initiative",
    "JobRecord",
    "JobState",
    "KpiProvenance",
    "KpiVerification",
    "Letter",
    "LocalKpi",
    "LocalKpiStatus",
    "LocalKpiValue",
    "Milestone",
    "PossibleDuplicate",
    "MissingFigure",
    "ProgrammeSetting",
    "ProgrammeStage",
    "Question",
    "QuestionMessage",
    "Recommendation",
    "StaffSession",
    "ReminderSent",
    "ReminderStop",
    "StageChange",
    "TeamMember",
    "User",
    "UserRole",
    "ValueAudit",
    "ValueHistory",
    "VerifierAssignment",
]
