"""Rendering editions (first cut; the composition issue brings the real templates)."""
# ruff: noqa: E501

from __future__ import annotations

from jinja2 import Environment, StrictUndefined

from mailer.compose.snapshot import PLACEHOLDERS, Snapshot
from mailer.config import Settings
from mailer.content.edition import EditionContent
from subscribers.models import MailingList

_env = Environment(autoescape=True, undefined=StrictUndefined)
_HTML = _env.from_string(
    """<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{{ subject }}</title></head>
<body><p>Hi {{ r.name }},</p>
{% for f in c.features %}<h2>{{ f.title }}</h2>{{ f.body_html|safe }}{% endfor %}
{% for n in c.news %}<h3><a href="{{ n.url }}">{{ n.title }}</a></h3>{{ n.summary_html|safe }}{% endfor %}
{% for e in c.events %}<p>{{ e.title }} {{ e.starts_at }}</p>{% endfor %}
<p><a href="{{ r.unsubscribe_url }}">Unsubscribe</a></p></body></html>"""
)
_TEXT = _env.from_string(
    """Hi {{ r.name }},
{% for f in c.features %}
{{ f.title }}
{% endfor %}{% for n in c.news %}
{{ n.title }}
{{ n.url }}
{% endfor %}
Unsubscribe: {{ r.unsubscribe_url }}
""",
)


def render_digest(
    content: EditionContent, mailing_list: MailingList, settings: Settings
) -> Snapshot:
    subject = f"{mailing_list.name} — {content.edition_date:%B %-d, %Y}"
    ctx = {"c": content, "r": PLACEHOLDERS, "subject": subject}
    return Snapshot(subject, "", _HTML.render(ctx), _TEXT.render(ctx))
