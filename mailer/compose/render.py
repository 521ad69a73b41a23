"""Render an edition, an announcement or a transactional message into a ``Snapshot``.

Each message is rendered and inlined exactly once; the result (inlined HTML,
text twin, subject, preheader) is the snapshot that is previewed, stored on
the campaign, archived and sent. The per-recipient parts are the placeholder
strings of ``snapshot.PLACEHOLDERS``, which delivery substitutes per message.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from typing import Any

from mailer.compose import colors, view_link
from mailer.compose.budget import cap, fit_to_budget
from mailer.compose.fit import FitReport, fit_edition, fit_html
from mailer.compose.formatting import as_text, longdate
from mailer.compose.inline import Inliner, PremailerInliner
from mailer.compose.plaintext import html_to_text
from mailer.compose.snapshot import PLACEHOLDERS, Snapshot
from mailer.compose.templating import (
    TemplateProblem,
    environment,
    has_template,
    is_user_template,
    render,
)
from mailer.config import Settings
from mailer.content.edition import AnnouncementEntry, EditionContent
from subscribers import lists
from subscribers.models import MailingList

__all__ = [
    "TRANSACTIONAL_KINDS",
    "TemplateProblem",
    "render_announcement",
    "render_digest",
    "render_transactional",
]

#: Transactional message kinds and the context each one needs.
TRANSACTIONAL_KINDS: dict[str, tuple[str, ...]] = {
    "confirm": ("confirm_url",),
    "welcome": (),
    "unsubscribed": (),
}

PREHEADER_MAX = 140
#: Inboxes cut subjects at about 70 characters; the digest's headline is fitted to it.
SUBJECT_BUDGET = 70


def _plural(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def _join(parts: list[str]) -> str:
    if len(parts) <= 1:
        return "".join(parts)
    return ", ".join(parts[:-1]) + " and " + parts[-1]


def _one_line(text: str, limit: int | None = None) -> str:
    line = " ".join(text.split())
    if limit and len(line) > limit:
        line = line[: limit - 1].rsplit(" ", 1)[0].rstrip(",;:.") + "…"
    return line


def _brand(settings: Settings) -> dict[str, str]:
    for name in ("brand_color", "brand_text_color"):
        if not colors.is_hex_colour(getattr(settings, name)):
            raise TemplateProblem(
                f"setting {name} = {getattr(settings, name)!r} is not a colour; "
                f"use #rrggbb (MAILER_{name.upper()})"
            )
    # Links use the brand colour only where it is readable on the white card.
    readable = colors.contrast(settings.brand_color, colors.CARD) >= colors.AA
    return {
        "name": settings.org_name,
        "short_name": settings.org_short_name,
        "color": settings.brand_color,
        "text_color": settings.brand_text_color,
        "link_color": settings.brand_color if readable else colors.TEXT,
        "logo_url": settings.logo_url,
        "website": settings.org_website,
        "website_label": re.sub(r"^https?://", "", settings.org_website).rstrip("/"),
        "postal_address": settings.org_postal_address,
    }


def digest_title(mailing_list: MailingList) -> str:
    """The digest's title in its subject and heading: the list's own, else its name.

    Each list has its own digest; an organisation-wide "Weekly" would tell a
    reader of one list that they got another's.
    """
    return _one_line(mailing_list.digest_title or "") or _one_line(mailing_list.name)


def _list_info(mailing_list: MailingList) -> dict[str, Any]:
    return {
        "name": mailing_list.name,
        "digest_title": digest_title(mailing_list),
        "slug": mailing_list.slug,
        "description": mailing_list.description or "",
    }


def _timezone(content_tz: str, mailing_list: MailingList, settings: Settings) -> str:
    """The zone the edition's times are shown in: the content's, else the list's (one rule)."""
    try:
        if content_tz:
            return lists.zone(content_tz).key
        return lists.list_zone(mailing_list, settings.default_timezone).key
    except lists.ListError as exc:  # its message names the zone (and the list's own, the list)
        raise TemplateProblem(str(exc)) from None


def _base_context(mailing_list: MailingList, settings: Settings) -> dict[str, Any]:
    return {
        "lang": "en",
        "brand": _brand(settings),
        "list": _list_info(mailing_list),
        "recipient": dict(PLACEHOLDERS),
        "base_url": settings.base_url.rstrip("/"),
        "show_unsubscribe": True,
        "show_preferences": True,
        # "View in your browser" (digests and announcements; mailer.compose.view_link).
        "view_url": "",
    }


def _palette(brand: dict[str, str]) -> dict[str, list[str]]:
    """Foreground/background pairs of the rendered message, for the contrast check."""
    return {
        "body text": [colors.TEXT, colors.CARD],
        "muted text": [colors.MUTED, colors.CARD],
        "links": [brand["link_color"], colors.CARD],
        "header": [brand["text_color"], brand["color"]],
        "footer": [colors.MUTED, colors.PAGE],
    }


def _compose(
    name: str,
    context: dict[str, Any],
    settings: Settings,
    inliner: Inliner | None,
    meta: dict[str, Any],
) -> Snapshot:
    """Render subject, preheader, HTML and text of message ``name`` and inline the HTML once."""
    env = environment(settings.templates_dir)
    subject = _one_line(render(env, f"{name}.subject.txt", context))
    if not subject:
        raise TemplateProblem(f"{name}.subject.txt rendered an empty subject", filename=name)
    if "\r" in subject or "\n" in subject:  # pragma: no cover - _one_line collapses them
        raise TemplateProblem(f"{name}.subject.txt: the subject must be one line")
    preheader = _one_line(render(env, f"{name}.preheader.txt", context), PREHEADER_MAX)
    context = {**context, "subject": subject, "preheader": preheader}

    html_source = render(env, f"{name}.html", context)
    user_html = is_user_template(env, f"{name}.html")
    fallback = user_html and not (
        has_template(env, f"{name}.txt") and is_user_template(env, f"{name}.txt")
    )
    text = html_to_text(html_source) if fallback else render(env, f"{name}.txt", context)
    text = re.sub(r"[ \t]+\n", "\n", text)
    text = re.sub(r"\n{3,}", "\n\n", text).strip() + "\n"

    html = (inliner or PremailerInliner()).inline(html_source)
    for key, placeholder in PLACEHOLDERS.items():
        if placeholder in html_source and placeholder not in html:
            raise TemplateProblem(
                f"the CSS inliner changed the {key} placeholder in {name}.html; "
                "keep placeholders in plain href/text positions"
            )
    brand = context["brand"]
    meta = {
        **meta,
        "template": name,
        "user_templates": user_html,
        "text_fallback": fallback,
        "palette": _palette(brand),
        "html_bytes": len(html.encode("utf-8")),
        "text_bytes": len(text.encode("utf-8")),
        "rendered_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }
    return Snapshot(subject=subject, preheader=preheader, html=html, text=text, meta=meta)


def _summary_parts(content: EditionContent) -> list[str]:
    parts: list[str] = []
    if content.announcements:
        parts.append(_plural(len(content.announcements), "announcement", "announcements"))
    if content.news:
        parts.append(_plural(len(content.news), "news story", "news stories"))
    if content.events:
        parts.append(_plural(len(content.events), "upcoming event", "upcoming events"))
    return parts


def digest_summary(content: EditionContent) -> str:
    """'1 announcement, 3 news stories and 4 upcoming events': what the edition holds."""
    return _join(_summary_parts(content))


def digest_headline(content: EditionContent) -> str:
    """What the subject leads with: the feature, else an announcement, else the top story."""
    if content.features:
        return content.features[0].name
    if content.announcements:
        return content.announcements[0].title
    # Never an untitled item ("ODEI Weekly — December 2, 2026: (untitled)").
    return next((n.title for n in content.news if n.titled), "")


def events_page_url(mailing_list: MailingList, settings: Settings) -> str:
    """The list's page of upcoming events in the web app ("N more events")."""
    return f"{settings.base_url.rstrip('/')}/lists/{mailing_list.slug}/events"


def render_digest(
    content: EditionContent,
    mailing_list: MailingList,
    settings: Settings,
    *,
    inliner: Inliner | None = None,
    reader_note: str = "",
) -> Snapshot:
    """The weekly digest of one list, rendered and inlined once, within the size budget.

    ``reader_note`` is a variant's line for its readers ("Chosen for your topics:
    ..."; see mailer.compose.variants), empty for the whole edition.

    Sections are capped and items bounded first (:mod:`mailer.compose.budget`);
    only an edition still over the budget is rendered again with fewer items.
    """
    tz = _timezone(content.timezone, mailing_list, settings)
    events_in_window = len(content.events)
    content, fitting = fit_edition(cap(content, settings.news_limit, settings.events_limit))
    title = digest_title(mailing_list)
    why = f"You are receiving {mailing_list.name} because you subscribed to it" + (
        f": {_one_line(mailing_list.description)}" if mailing_list.description else "."
    )
    room = SUBJECT_BUDGET - len(f"{title} — {longdate(content.edition_date)}: ")

    def once(shown: EditionContent, more_events: int) -> Snapshot:
        context = _base_context(mailing_list, settings)
        parts = [f.name for f in shown.features] + _summary_parts(shown)
        context.update(
            edition=shown,
            tz=tz,
            title=title,
            headline=_one_line(digest_headline(shown), max(room, 24)),
            summary=digest_summary(shown),
            intro=f"This week: {_join(parts)}." if parts else "Nothing new on the list this week.",
            why=why,
            more_events=max(more_events, 0),
            events_url=events_page_url(mailing_list, settings),
            reader_note=reader_note,
            view_url=view_link.view_url(
                settings, mailing_list.id or 0, view_link.digest_ref(shown.edition_date)
            ),
        )
        meta = {
            "kind": "digest",
            "list": mailing_list.slug,
            "edition_date": shown.edition_date.isoformat(),
            "timezone": tz,
            "items": shown.item_ids(),
            "more_events": max(more_events, 0),
            "content_images_without_alt": fitting.images_without_alt,
            "dropped_links": fitting.dropped_links,
        }
        return _compose("digest", context, settings, inliner, meta)

    fitted = fit_to_budget(content, once, events_in_window=events_in_window)
    if any(fitted.trimmed.values()):
        fitted.snapshot.meta["trimmed"] = fitted.trimmed
    return fitted.snapshot


def render_announcement(
    entry: AnnouncementEntry,
    mailing_list: MailingList,
    settings: Settings,
    *,
    inliner: Inliner | None = None,
) -> Snapshot:
    """A standalone announcement to one list."""
    fitting = FitReport()
    body_html = fit_html(entry.body_html, f"announcement {entry.title!r}", fitting)
    entry = dataclasses.replace(entry, body_html=body_html)
    context = _base_context(mailing_list, settings)
    context.update(
        announcement=entry,
        tz=_timezone("", mailing_list, settings),
        excerpt=_one_line(as_text(entry.body_html), PREHEADER_MAX),
        why=(f"You are receiving this announcement because you subscribed to {mailing_list.name}."),
        view_url=view_link.view_url(
            settings, mailing_list.id or 0, view_link.announcement_ref(entry.id)
        ),
    )
    meta = {
        "kind": "announcement",
        "list": mailing_list.slug,
        "announcement_id": entry.id,
        "content_images_without_alt": fitting.images_without_alt,
        "dropped_links": fitting.dropped_links,
    }
    return _compose("announcement", context, settings, inliner, meta)


def render_transactional(
    kind: str,
    mailing_list: MailingList,
    settings: Settings,
    *,
    inliner: Inliner | None = None,
    **extra: Any,
) -> Snapshot:
    """Confirmation, welcome or unsubscribe confirmation for one list.

    ``extra`` carries what the message needs (``confirm_url`` for confirm;
    optional ``resubscribe_url`` for unsubscribed); name, unsubscribe and
    preference links remain recipient placeholders.
    """
    if kind not in TRANSACTIONAL_KINDS:
        raise ValueError(
            f"unknown transactional message {kind!r}; use one of {', '.join(TRANSACTIONAL_KINDS)}"
        )
    missing = [key for key in TRANSACTIONAL_KINDS[kind] if not extra.get(key)]
    if missing:
        raise ValueError(f"render_transactional({kind!r}) needs {', '.join(missing)}")
    context = _base_context(mailing_list, settings)
    context.update(extra)
    if kind == "confirm":
        context["show_unsubscribe"] = False
        context["show_preferences"] = False
        context["why"] = (
            f"You are receiving this message because someone, hopefully you, asked to "
            f"subscribe this address to {mailing_list.name}. If it was not you, ignore it: "
            "you will not be subscribed and will not hear from us again."
        )
    elif kind == "unsubscribed":
        context["show_unsubscribe"] = False
        context["why"] = (
            f"You are receiving this one message to confirm that you left {mailing_list.name}."
        )
    else:
        context["why"] = f"You are receiving this because you subscribed to {mailing_list.name}."
    meta = {"kind": kind, "list": mailing_list.slug}
    return _compose(kind, context, settings, inliner, meta)
