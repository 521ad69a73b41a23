"""Forms of the subscriber and account pages built for issue 13 (add, edit, tokens).

Kept apart from ``mailer.web.forms`` so each area's forms sit with it; the
validators are the shared ones.
"""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    Field,
    PasswordField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from mailer.web.forms import UserForm, choices, no_line_breaks, valid_address
from subscribers.models import SubscriberStatus


class CheckboxList(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


ATTRIBUTES_HINT = "One per line: name = value (e.g. department = Surgery)."


class SubscriberAddForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired(), Length(max=320), valid_address])
    name = StringField("Name", validators=[Optional(), Length(max=200), no_line_breaks])
    attributes = TextAreaField("Attributes", validators=[Optional(), Length(max=20_000)])
    lists = CheckboxList("Lists", choices=[])
    confirmed = BooleanField("They gave their consent: subscribe them confirmed")
    override_reason = StringField(
        "Override reason (only to re-add someone who left or is suppressed; audited)",
        validators=[Optional(), Length(max=500), no_line_breaks],
    )


class SubscriberEditForm(FlaskForm):
    name = StringField("Name", validators=[Optional(), Length(max=200), no_line_breaks])
    attributes = TextAreaField("Attributes", validators=[Optional(), Length(max=20_000)])
    status = SelectField(
        "Status",
        choices=choices(
            [
                (SubscriberStatus.ACTIVE.value, "active"),
                (SubscriberStatus.BLOCKLISTED.value, "blocklisted (gets nothing, cannot rejoin)"),
            ]
        ),
    )
    override_reason = StringField(
        "Override reason (only to re-add someone who left or is suppressed; audited)",
        validators=[Optional(), Length(max=500), no_line_breaks],
    )


class TokenForm(FlaskForm):
    name = StringField(
        "Token name",
        validators=[
            DataRequired("Name the token (what will use it)."),
            Length(max=100),
            no_line_breaks,
        ],
    )


class ResetPasswordForm(FlaskForm):
    new = PasswordField(
        "New password", validators=[DataRequired("Choose a password."), Length(max=1000)]
    )
    confirm = PasswordField(
        "The new password again", validators=[DataRequired("Type it again."), Length(max=1000)]
    )

    def validate_confirm(self, field: Field) -> None:
        if field.data != self.new.data:
            raise ValidationError("The two passwords differ.")


class UserInviteForm(UserForm):
    """A new account: a password typed by the admin, or a mailed link to choose one."""

    password = PasswordField("Password", validators=[Length(max=1000)])
    invite = BooleanField("Mail them a link to choose their own password (leave it empty)")

    def validate_password(self, field: Field) -> None:
        if self.invite.data and field.data:
            raise ValidationError("Leave the password empty when they choose their own.")
        if not self.invite.data and not field.data:
            raise ValidationError("Give a password, or tick “mail them a link”.")
