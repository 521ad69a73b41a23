"""The web forms (Flask-WTF: every form carries a CSRF token).

Validation messages are written for the person filling the form in and are
shown next to the field; nothing here raises into a stack trace.
"""

from __future__ import annotations

import re
from typing import Any
from zoneinfo import available_timezones

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    Field,
    PasswordField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms.validators import DataRequired, Length, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from mailer.users import Role
from subscribers import lists
from subscribers.addresses import InvalidAddress, normalise_email
from subscribers.names import clean_name

try:  # WTForms 3.3 deprecates (value, label) tuples in favour of SelectChoice.
    from wtforms import SelectChoice as _Choice
except ImportError:  # older WTForms

    def _Choice(value: str, label: str) -> Any:
        return (value, label)


def choices(pairs: list[tuple[str, str]]) -> list[Any]:
    return [_Choice(value, label) for value, label in pairs]


WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]


def valid_address(form: Any, field: Field) -> None:
    """An email address the audience package accepts; stores the normal form."""
    if not field.data:
        return
    try:
        field.data = normalise_email(field.data)
    except InvalidAddress as exc:
        raise ValidationError(f"This is not a usable email address: {exc}.") from None


def no_line_breaks(form: Any, field: Field) -> None:
    if field.data and ("\r" in field.data or "\n" in field.data):
        raise ValidationError("Line breaks are not allowed here.")


class SubscribeForm(FlaskForm):
    # A reader's name goes into To: of every message: made one line, never refused.
    name = StringField("Your name", filters=[clean_name], validators=[Optional()])
    email = EmailField(
        "Email address",
        validators=[DataRequired("Enter your email address."), Length(max=320), valid_address],
    )
    mailing_list = SelectField("List", coerce=str, validate_choice=True)
    # Honeypot: hidden from people (CSS and aria-hidden), filled in by bots.
    website = StringField("Leave this field empty", validators=[Optional()])


# The rules are subscribers.lists' (one home); the words here are the console's.
def validate_timezone(form: Any, field: Field) -> None:
    try:
        lists.zone(field.data or "")
    except lists.ListError:
        raise ValidationError(
            "Unknown time zone. Use an IANA name such as America/Chicago."
        ) from None


def validate_time(form: Any, field: Field) -> None:
    try:
        lists.check_time(field.data or "")
    except lists.ListError:
        raise ValidationError("Use 24-hour HH:MM, for example 07:00.") from None


def validate_slug(form: Any, field: Field) -> None:
    try:
        lists.check_slug(field.data or "")
    except lists.ListError:
        raise ValidationError(
            "Use lower-case letters, digits and hyphens (at most 63), starting with a letter "
            "or digit."
        ) from None


class ListForm(FlaskForm):
    slug = StringField("Slug (used in links)", validators=[DataRequired(), validate_slug])
    name = StringField(
        "Name", validators=[DataRequired("Give the list a name."), Length(max=200), no_line_breaks]
    )
    description = TextAreaField("Description", validators=[Optional(), Length(max=5000)])
    public = BooleanField("Public (shown on the subscribe page)")
    double_opt_in = BooleanField("Double opt-in (new subscribers confirm by email)")
    from_name = StringField("From name", validators=[Optional(), Length(max=200), no_line_breaks])
    from_email = EmailField("From address", validators=[Optional(), valid_address])
    reply_to = EmailField("Reply-To address", validators=[Optional(), valid_address])
    timezone = StringField("Time zone", validators=[DataRequired(), validate_timezone])
    digest_enabled = BooleanField("Send the weekly digest")
    digest_title = StringField(
        "Digest title", validators=[Optional(), Length(max=200), no_line_breaks]
    )
    digest_weekday = SelectField(
        "Digest day", choices=choices([(str(i), d) for i, d in enumerate(WEEKDAYS)]), coerce=str
    )
    digest_time = StringField("Digest time (local)", validators=[DataRequired(), validate_time])
    archive = BooleanField("Public archive of sent editions")
    track_clicks = BooleanField("Count clicks on links, per reader (off by default)")
    track_opens = BooleanField("Count opens with a tracking pixel (off by default; unreliable)")


class UserForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired(), Length(max=320), valid_address])
    name = StringField("Name", validators=[Optional(), Length(max=200), no_line_breaks])
    role = SelectField("Role", choices=choices([(r.value, r.value) for r in Role]))
    password = PasswordField("Password", validators=[DataRequired(), Length(max=1000)])


class UserEditForm(FlaskForm):
    name = StringField("Name", validators=[Optional(), Length(max=200), no_line_breaks])
    role = SelectField("Role", choices=choices([(r.value, r.value) for r in Role]))
    active = BooleanField("Active (may log in)")


class EmptyForm(FlaskForm):
    """A POST button: only the CSRF token."""


def timezone_names() -> list[str]:
    return sorted(available_timezones())


def https_url(form: Any, field: Field) -> None:
    if field.data and not re.match(r"^https?://[^\s/]+\.[^\s]+$", field.data.strip()):
        raise ValidationError("Use a full web address starting with https://.")


class NewsForm(FlaskForm):
    title = StringField(
        "Headline",
        validators=[DataRequired("Give the item a headline."), Length(max=500), no_line_breaks],
    )
    url = StringField(
        "Link to the full story", validators=[Optional(), Length(max=2000), https_url]
    )
    summary = TextAreaField("Summary (Markdown)", validators=[Optional(), Length(max=5000)])
    image_url = StringField("Image address", validators=[Optional(), Length(max=2000), https_url])
    image_alt = StringField(
        "Image description (alt text)", validators=[Length(max=500), no_line_breaks]
    )
    published_on = DateField("Date", validators=[Optional()])

    def validate_image_alt(self, field: Field) -> None:
        if self.image_url.data and not (field.data or "").strip():
            raise ValidationError("Describe the image for readers who cannot see it.")


class EventForm(FlaskForm):
    title = StringField(
        "Event", validators=[DataRequired("Name the event."), Length(max=500), no_line_breaks]
    )
    description = TextAreaField("Description", validators=[Optional(), Length(max=5000)])
    location = StringField("Where", validators=[Optional(), Length(max=500), no_line_breaks])
    url = StringField("Link", validators=[Optional(), Length(max=2000), https_url])
    day = DateField("Date", validators=[DataRequired("Give the date, e.g. 2026-03-12.")])
    all_day = BooleanField("All day")
    last_day = DateField("Last day", validators=[Optional()])
    starts = TimeField("Starts", validators=[Optional()])
    ends = TimeField("Ends", validators=[Optional()])
    timezone = StringField("Time zone", validators=[DataRequired(), validate_timezone])

    def validate(self, extra_validators: Any = None) -> bool:
        # Cross-field rules; Optional() on the time fields would skip inline validators.
        ok = bool(super().validate(extra_validators))
        starts, ends = self.starts.data, self.ends.data
        if not self.all_day.data and starts is None and not self.starts.errors:
            self.starts.errors = [*self.starts.errors, "Give a start time, or tick “All day”."]
            ok = False
        last_day, day = self.last_day.data, self.day.data
        if self.all_day.data and last_day is not None and day is not None and last_day < day:
            self.last_day.errors = [*self.last_day.errors, "The last day is before the first."]
            ok = False
        if ends is not None and starts is not None and ends <= starts:
            self.ends.errors = [*self.ends.errors, "The end must be after the start."]
            ok = False
        return ok


class PasswordChangeForm(FlaskForm):
    current = PasswordField("Current password", validators=[DataRequired(), Length(max=1000)])
    new = PasswordField("New password", validators=[DataRequired(), Length(max=1000)])
    confirm = PasswordField("New password again", validators=[DataRequired(), Length(max=1000)])

    def validate_confirm(self, field: Field) -> None:
        if field.data != self.new.data:
            raise ValidationError("The two new passwords differ.")


class PreferencesForm(FlaskForm):
    """The preference page; the list boxes are plain inputs named ``lists`` (ids)."""

    name = StringField("Your name", filters=[clean_name], validators=[Optional()])
    unsubscribe_all = BooleanField("Unsubscribe from everything (no more mail from us)")


class AnnouncementForm(FlaskForm):
    """Staff queue an announcement; list choices are filled in per request."""

    title = StringField(
        "Title",
        validators=[
            DataRequired("Give the announcement a title."),
            Length(max=300),
            no_line_breaks,
        ],
    )
    body_md = TextAreaField(
        "Text (Markdown)",
        validators=[DataRequired("Write the announcement."), Length(max=20000)],
    )
    lists = SelectMultipleField(
        "Lists",
        coerce=int,
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
        validators=[DataRequired("Choose at least one list.")],
    )
    mode = RadioField(
        "When",
        choices=choices([("digest", "In the next digest"), ("standalone", "On its own at")]),
        default="digest",
    )
    send_on = DateField("Date", validators=[Optional()])
    send_time = TimeField("Time", validators=[Optional()])
    timezone = StringField("Time zone", validators=[DataRequired(), validate_timezone])

    def validate(self, extra_validators: Any = None) -> bool:
        ok = bool(super().validate(extra_validators))
        if self.mode.data == "standalone":
            if self.send_on.data is None and not self.send_on.errors:
                self.send_on.errors = [*self.send_on.errors, "Give the day to send it."]
                ok = False
            if self.send_time.data is None and not self.send_time.errors:
                self.send_time.errors = [*self.send_time.errors, "Give the time to send it."]
                ok = False
        return ok


class ReviewForm(FlaskForm):
    note = TextAreaField(
        "Note to the author",
        validators=[Optional(), Length(max=2000)],
        description="Required when rejecting: say what to change.",
    )


class ImportForm(FlaskForm):
    file = FileField("CSV file", validators=[FileRequired("Choose a CSV file.")])
    mailing_list = SelectField("Into list", coerce=str)
    confirmed = BooleanField("These people gave their consent: subscribe them as confirmed")
    override_reason = StringField(
        "Override reason (re-subscribes addresses that left or are suppressed; audited)",
        validators=[Optional(), Length(max=500), no_line_breaks],
    )


class TestSendForm(FlaskForm):
    address = EmailField(
        "Send a test to",
        validators=[DataRequired("Enter an address."), Length(max=320), valid_address],
    )


class ForgetForm(FlaskForm):
    confirm_email = StringField(
        "Type the address to confirm",
        validators=[DataRequired("Type the address to confirm."), Length(max=320)],
    )


class SuppressForm(FlaskForm):
    note = StringField("Why", validators=[Optional(), Length(max=500), no_line_breaks])
