"""Database tables (SQLModel), one module per capability. Timestamps are timezone-aware and
stored as UTC.

Schema changes go through Alembic (qa_app/migrations); after editing a table here,
add a migration revision and run ``qa-app db upgrade``.

Every table and helper is re-exported here, so ``from qa_app.models import Call`` works and
importing this package registers every table on ``SQLModel.metadata``.
"""

from qa_app.models.accounts import LoginAttempt, Role, User
from qa_app.models.audit import AuditEvent
from qa_app.models.base import naive_utc, utcnow
from qa_app.models.calibration import (
    CalibrationCall,
    CalibrationConsensus,
    CalibrationParticipant,
    CalibrationRating,
    CalibrationSession,
    CalibrationSubmission,
    ParticipantKind,
    SessionState,
)
from qa_app.models.calls import Call, Outcome, TranscriptTurn, TranscriptVersion
from qa_app.models.customers import Customer, CustomerEvent
from qa_app.models.data_versions import DataVersion
from qa_app.models.experiments import AgentExposure, Experiment, ExperimentAmendment, ExperimentUnit
from qa_app.models.final_scores import FinalScore, FinalValue
from qa_app.models.forms import FormSubmission
from qa_app.models.jobs import ExportJob, ImportJob
from qa_app.models.machine import (
    MachineFailure,
    MachineJob,
    MachineModel,
    MachineScore,
    MachineVisibility,
)
from qa_app.models.outreach import OutreachAlert, OutreachOptOut, OutreachSuppression
from qa_app.models.panels import AnalysisPlan
from qa_app.models.reviews import Assignment, Review, ReviewScore, ReviewStatus
from qa_app.models.rubrics import RubricVersion
from qa_app.models.sampling import SampledCall, SamplingPlan
from qa_app.models.surveys import SurveyLink, SurveyResponse
from qa_app.models.tokens import ApiIdempotency, ApiToken

__all__ = [
    "AgentExposure",
    "AnalysisPlan",
    "ApiIdempotency",
    "ApiToken",
    "Assignment",
    "AuditEvent",
    "CalibrationCall",
    "CalibrationConsensus",
    "CalibrationParticipant",
    "CalibrationRating",
    "CalibrationSession",
    "CalibrationSubmission",
    "Call",
    "Customer",
    "CustomerEvent",
    "DataVersion",
    "Experiment",
    "ExperimentAmendment",
    "ExperimentUnit",
    "ExportJob",
    "FinalScore",
    "FinalValue",
    "FormSubmission",
    "ImportJob",
    "LoginAttempt",
    "MachineFailure",
    "MachineJob",
    "MachineModel",
    "MachineScore",
    "MachineVisibility",
    "Outcome",
    "OutreachAlert",
    "OutreachOptOut",
    "OutreachSuppression",
    "ParticipantKind",
    "Review",
    "ReviewScore",
    "ReviewStatus",
    "Role",
    "RubricVersion",
    "SampledCall",
    "SamplingPlan",
    "SessionState",
    "SurveyLink",
    "SurveyResponse",
    "TranscriptTurn",
    "TranscriptVersion",
    "User",
    "naive_utc",
    "utcnow",
]
