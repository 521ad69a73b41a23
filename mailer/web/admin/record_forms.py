"""Forms of the suppression, feedback, audit and source pages (kept apart from the
shared ``mailer.web.forms`` so each console area can grow without touching the others)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import EmailField, StringField
from wtforms.validators import DataRequired, Length, Optional

from mailer.web.forms import no_line_breaks, valid_address


class SuppressionAddForm(FlaskForm):
    email = EmailField(
        "Address",
        validators=[DataRequired("Enter the address to suppress."), Length(max=320), valid_address],
    )
    note = StringField("Why", validators=[Optional(), Length(max=500), no_line_breaks])


class SuppressionRemoveForm(FlaskForm):
    # Lifting one means mail may reach the address again: the reason is kept in the audit log.
    note = StringField(
        "Why it is safe to mail again",
        validators=[
            DataRequired("Say why it is safe to mail this address again."),
            Length(max=500),
            no_line_breaks,
        ],
    )
