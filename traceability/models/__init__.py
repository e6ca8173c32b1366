"""SQLModel tables, one module per concept; importing this registers them all."""

from traceability.models.batch import Batch
from traceability.models.certificate import (
    Certificate,
    CertificateStatus,
    CertificateStyle,
    CertificateUpstream,
    ItemCode,
)
from traceability.models.producer import Producer, ProducerKind, ProducerStatus
from traceability.models.product import Product, ProductCategory
from traceability.models.region import Region, RegionLevel

__all__ = [
    "Batch",
    "Certificate",
    "CertificateStatus",
    "CertificateStyle",
    "CertificateUpstream",
    "ItemCode",
    "Producer",
    "ProducerKind",
    "ProducerStatus",
    "Product",
    "ProductCategory",
    "Region",
    "RegionLevel",
]
