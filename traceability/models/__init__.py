"""SQLModel tables, one module per concept; importing this registers them all."""

from traceability.models.api_token import ApiToken
from traceability.models.audit import AuditEntry
from traceability.models.batch import Batch
from traceability.models.certificate import (
    Certificate,
    CertificateStatus,
    CertificateStyle,
    CertificateUpstream,
    ItemCode,
)
from traceability.models.compliance import (
    ComplianceCase,
    InputUse,
    IntervalDefault,
    IssueRefusal,
    LabReportFile,
    RapidTest,
    ReferenceRevision,
    ReferenceSubstance,
)
from traceability.models.idempotency import IdempotencyRecord
from traceability.models.intake import IntakeRecord, IntakeVerdict, Recall, RecallAlert
from traceability.models.kiosk import JobState, PrintJob, Terminal
from traceability.models.lookup_revision import LookupRevision
from traceability.models.market import Market, MarketKind
from traceability.models.producer import Producer, ProducerKind, ProducerStatus
from traceability.models.producer_credential import ProducerCredential
from traceability.models.product import Product, ProductCategory
from traceability.models.production_base import AreaUnit, ProductionBase
from traceability.models.region import Region, RegionLevel
from traceability.models.revocation import RevocationEvent
from traceability.models.roll import CodeRoll
from traceability.models.scan import ScanEvent, ScanPlace
from traceability.models.signing_key import KeyStatus, SigningKeyRecord
from traceability.models.user import LoginThrottle, User

__all__ = [
    "ApiToken",
    "AreaUnit",
    "AuditEntry",
    "Batch",
    "Certificate",
    "CertificateStatus",
    "CertificateStyle",
    "CertificateUpstream",
    "CodeRoll",
    "ComplianceCase",
    "IdempotencyRecord",
    "InputUse",
    "IntakeRecord",
    "IntakeVerdict",
    "IntervalDefault",
    "IssueRefusal",
    "ItemCode",
    "JobState",
    "KeyStatus",
    "LabReportFile",
    "LoginThrottle",
    "LookupRevision",
    "Market",
    "MarketKind",
    "PrintJob",
    "Producer",
    "ProducerCredential",
    "ProducerKind",
    "ProducerStatus",
    "Product",
    "ProductCategory",
    "ProductionBase",
    "RapidTest",
    "Recall",
    "RecallAlert",
    "ReferenceRevision",
    "ReferenceSubstance",
    "Region",
    "RegionLevel",
    "RevocationEvent",
    "ScanEvent",
    "ScanPlace",
    "SigningKeyRecord",
    "Terminal",
    "User",
]
