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
from mailer.content.topic_tags import (
    announcement_topics,
    event_topics,
    news_topics,
    source_topics,
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
from mailer.delivery.variant_models import CampaignVariant
from mailer.feedback.clicks import Click, Open
from mailer.users import ApiToken, Role, User
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
from subscribers.topic_models import DeliveryMode, ReaderChoice, Topic, subscription_topics

__all__ = [
    "Announcement",
    "AnnouncementMode",
    "AnnouncementStatus",
    "ApiToken",
    "AuditLog",
    "Base",
    "BounceRecord",
    "Campaign",
    "CampaignKind",
    "CampaignStatus",
    "CampaignVariant",
    "Click",
    "Delivery",
    "DeliveryMode",
    "DeliveryStatus",
    "Event",
    "Lock",
    "MailingList",
    "NewsItem",
    "Observance",
    "Open",
    "RateBucket",
    "ReaderChoice",
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
    "Topic",
    "User",
    "announcement_lists",
    "announcement_topics",
    "event_topics",
    "news_topics",
    "source_topics",
    "subscription_topics",
]
