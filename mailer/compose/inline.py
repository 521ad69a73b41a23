"""CSS inlining behind a one-method interface, so premailer can be swapped out.

Mail clients ignore or strip ``<style>`` in many cases (Gmail in non-Google
accounts, Outlook.com forwards), so every rule that can be inlined is. Media
queries and dark-mode rules cannot be inlined: the templates put them in a
``<style data-premailer="ignore">`` block, which premailer leaves untouched
(this keeps exactly the media queries, where ``keep_style_tags=True`` would
also keep a second copy of every inlined rule and cost bytes against Gmail's
102 KB clip). premailer has had no release since 2021; ``css-inline`` could
replace it by implementing ``Inliner``.
"""

from __future__ import annotations

import logging
from typing import Protocol

from premailer import Premailer


class Inliner(Protocol):
    """Turns a complete HTML document with ``<style>`` rules into one with inline styles."""

    def inline(self, html: str) -> str: ...


class PremailerInliner:
    """premailer, configured once and reused for every document of an edition.

    Never call it per recipient: personalisation happens by placeholder
    substitution on the inlined result.
    """

    def __init__(self) -> None:
        self._premailer = Premailer(
            # No base_url: it would rewrite the per-recipient placeholders in hrefs.
            base_url=None,
            disable_link_rewrites=True,
            keep_style_tags=False,
            remove_classes=False,  # media queries and dark mode select by class
            strip_important=False,
            exclude_pseudoclasses=True,
            allow_network=False,
            allow_loading_external_files=False,
            disable_validation=True,
            cache_css_parsing=True,
            # cssutils warns about every mso-* and -webkit-* property; they are intended.
            cssutils_logging_level=logging.CRITICAL,
            align_floating_images=False,
            # premailer copies CSS width/height into attributes (width="100%",
            # height="auto"), replacing the pixel widths classic Outlook needs.
            disable_basic_attributes=["width", "height"],
        )

    def inline(self, html: str) -> str:
        out = self._premailer.transform(html, pretty_print=False)
        if html.lstrip().lower().startswith("<!doctype") and not out.lstrip().lower().startswith(
            "<!doctype"
        ):
            out = "<!DOCTYPE html>\n" + out
        return out
