"""The built-in observance calendar: rules and fallback feature texts.

These are what a medical school's diversity office features through the year:
heritage and awareness months, civic, federal and UN days, and the holy days
and festivals of the faiths and cultures of its community. Admins override the
text (and, for custom observances, the rule) in the ``observances`` table; the
texts here are only the fallback, so each is a few truthful sentences that
stand on their own in a digest. They live in one module per kind:

- :mod:`~mailer.content.observance_texts_months`: heritage and awareness months;
- :mod:`~mailer.content.observance_texts_civic`: federal, UN and civic days;
- :mod:`~mailer.content.observance_texts_faiths`: Jewish, Christian and Muslim days;
- :mod:`~mailer.content.observance_texts_cultures`: Asian, South Asian, Persian,
  Mexican and African American festivals.
"""

from __future__ import annotations

from mailer.content.observance_def import EVE, ObservanceDef
from mailer.content.observance_texts_civic import CIVIC
from mailer.content.observance_texts_cultures import CULTURES
from mailer.content.observance_texts_faiths import FAITHS
from mailer.content.observance_texts_months import MONTHS

__all__ = ["BUILTINS", "BUILTIN_BY_SLUG", "EVE", "ObservanceDef"]

BUILTINS: tuple[ObservanceDef, ...] = MONTHS + CIVIC + FAITHS + CULTURES

BUILTIN_BY_SLUG: dict[str, ObservanceDef] = {d.slug: d for d in BUILTINS}
if len(BUILTIN_BY_SLUG) != len(BUILTINS):  # pragma: no cover - a typo in a slug
    raise RuntimeError("two built-in observances share a slug")
