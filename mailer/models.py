"""Every table of the mailer, imported in one place so ``Base.metadata`` is complete.

Alembic's autogenerate and the schema test read the metadata from here.
"""

from mailer.content.models import (
    Announcement,
    AnnouncementMode,
    AnnouncementStatus,
    Event,
    NewsItem,
    Observance,
    Source,
    SourceKind,
    announcement_lists,
)
from mailer.db import AuditLog, Base, Lock
from mailer.delivery.models import (
    Campaign,
    CampaignKind,
    CampaignStatus,
    Delivery,
    DeliveryStatus,
    RateBucket,
)
from mailer.feedback.clicks import Click, Open
from mailer.users import Role, User
from subscribers.models import (
    BounceRecord,
    MailingList,
    Subscriber,
    SubscriberStatus,
    Subscription,
    SubscriptionSource,
    SubscriptionStatus,
    Suppression,
    SuppressionReason,
)

__all__ = [
    "Announcement",
    "AnnouncementMode",
    "AnnouncementStatus",
    "AuditLog",
    "Base",
    "BounceRecord",
    "Campaign",
    "CampaignKind",
    "CampaignStatus",
    "Click",
    "Delivery",
    "DeliveryStatus",
    "Event",
    "Lock",
    "MailingList",
    "NewsItem",
    "Observance",
    "Open",
    "RateBucket",
    "Role",
    "Source",
    "SourceKind",
    "Subscriber",
    "SubscriberStatus",
    "Subscription",
    "SubscriptionSource",
    "SubscriptionStatus",
    "Suppression",
    "SuppressionReason",
    "User",
    "announcement_lists",
]
