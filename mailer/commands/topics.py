"""`mailer topics`: a list's topics, what content carries them, and what readers chose."""

from __future__ import annotations

import click
from rich.table import Table

from mailer.cli_support import console, default_actor, friendly_errors, get_list, unit_of_work

KINDS = ("source", "news", "event", "announcement")


@click.group("topics")
def command() -> None:
    """Define a list's topics, tag content with them, and set readers' choices.

    Readers pick topics when they subscribe and on their preference page; a
    reader who picks none gets everything. Sources, news items, events and
    announcements carry topics; features go to every reader.
    """


@command.command("list")
@click.option("--list", "list_slug", required=True, help="The list's slug.")
@friendly_errors
def list_(list_slug: str) -> None:
    """The list's topics, with how many readers chose each."""
    from sqlalchemy import func, select

    from subscribers.topic_models import subscription_topics
    from subscribers.topics import list_topics

    with unit_of_work() as session:
        ml = get_list(session, list_slug)
        counts: dict[int, int] = dict(
            session.execute(
                select(subscription_topics.c.topic_id, func.count()).group_by(
                    subscription_topics.c.topic_id
                )
            ).all()
        )
        table = Table("id", "slug", "name", "readers", "description")
        for t in list_topics(session, ml.id):
            table.add_row(str(t.id), t.slug, t.name, str(counts.get(t.id, 0)), t.description)
    console.print(table)


@command.command("add")
@click.argument("slug")
@click.option("--list", "list_slug", required=True, help="The list's slug.")
@click.option("--name", required=True, help="What readers see, e.g. 'MD Diversity Programs'.")
@click.option("--description", default="", help="One line shown under the name.")
@friendly_errors
def add(slug: str, list_slug: str, name: str, description: str) -> None:
    """Add a topic to a list.

    \b
    Example:
      mailer topics add pathways --list odei-weekly --name "Academic Pathway Programs"
    """
    from subscribers.topics import create_topic

    with unit_of_work() as session:
        ml = get_list(session, list_slug)
        topic = create_topic(
            session, ml, slug, name, description=description, actor=default_actor()
        )
        console.print(f"Added topic {topic.id}: {topic.slug} ({topic.name}) to {ml.slug}")


@command.command("update")
@click.argument("slug")
@click.option("--list", "list_slug", required=True, help="The list's slug.")
@click.option("--name", default=None, help="A new name.")
@click.option("--description", default=None, help="A new description.")
@friendly_errors
def update(slug: str, list_slug: str, name: str | None, description: str | None) -> None:
    """Rename a topic or change its description."""
    from subscribers.topics import update_topic

    with unit_of_work() as session:
        ml = get_list(session, list_slug)
        update_topic(session, ml, slug, name=name, description=description, actor=default_actor())
    console.print(f"Updated topic {slug} of {list_slug}")


@command.command("remove")
@click.argument("slug")
@click.option("--list", "list_slug", required=True, help="The list's slug.")
@click.option("--yes", is_flag=True, help="Do not ask.")
@friendly_errors
def remove(slug: str, list_slug: str, yes: bool) -> None:
    """Remove a topic: content loses it, readers who had only it get everything again."""
    from subscribers.topics import delete_topic

    if not yes:
        click.confirm(f"Remove topic {slug} from {list_slug}?", abort=True)
    with unit_of_work() as session:
        ml = get_list(session, list_slug)
        delete_topic(session, ml, slug, actor=default_actor())
    console.print(f"Removed topic {slug} from {list_slug}")


@command.command("tag")
@click.argument("kind", type=click.Choice(KINDS))
@click.argument("item")
@click.option("--list", "list_slug", required=True, help="The list whose topics are given.")
@click.option("--topic", "topics", multiple=True, help="A topic slug (repeat); none: untag.")
@friendly_errors
def tag(kind: str, item: str, list_slug: str, topics: tuple[str, ...]) -> None:
    """Set the topics (of one list) a source, news item, event or announcement carries.

    ITEM is an id (a source also by name). Its topics of other lists stay.

    \b
    Examples:
      mailer topics tag source "Pathways news" --list odei-weekly --topic pathways
      mailer topics tag announcement 12 --list odei-weekly --topic md --topic ppd
    """
    from sqlalchemy import select

    from mailer.content.models import Announcement, Event, NewsItem
    from mailer.content.sources import find_source
    from mailer.content.topic_tags import set_tags
    from subscribers.topics import list_topics, resolve_topics

    models: dict[str, type[NewsItem] | type[Event] | type[Announcement]] = {
        "news": NewsItem,
        "event": Event,
        "announcement": Announcement,
    }
    with unit_of_work() as session:
        ml = get_list(session, list_slug)
        if kind == "source":
            item_id = find_source(session, item).id
        else:
            model = models[kind]
            found = (
                session.scalar(select(model.id).where(model.id == int(item)))
                if item.isdigit()
                else None
            )
            if found is None:
                raise click.BadParameter(f"no {kind} with id {item!r}", param_hint="ITEM")
            item_id = found
        chosen = resolve_topics(session, ml.id, topics)
        within = [t.id for t in list_topics(session, ml.id)]
        set_tags(session, kind, item_id, sorted(chosen), within=within)
    console.print(f"{kind} {item}: {', '.join(topics) or 'no topics'} on {list_slug}")


@command.command("choose")
@click.argument("email")
@click.option("--list", "list_slug", required=True, help="The list's slug.")
@click.option("--topic", "topics", multiple=True, help="A topic slug (repeat).")
@click.option("--all", "everything", is_flag=True, help="No topics: everything.")
@click.option(
    "--mode",
    type=click.Choice(["digest", "instant"]),
    default=None,
    help="digest: the weekly digest; instant: each announcement as it is approved.",
)
@friendly_errors
def choose(
    email: str, list_slug: str, topics: tuple[str, ...], everything: bool, mode: str | None
) -> None:
    """Set a reader's topics and/or mode on a list (recorded as an admin change)."""
    from sqlalchemy import select

    from subscribers.addresses import email_key
    from subscribers.models import Subscriber, Subscription
    from subscribers.topics import resolve_topics, set_choices

    if topics and everything:
        raise click.UsageError("give --topic or --all, not both")
    with unit_of_work() as session:
        ml = get_list(session, list_slug)
        sub = session.scalar(
            select(Subscription)
            .join(Subscriber, Subscriber.id == Subscription.subscriber_id)
            .where(Subscriber.email_key == email_key(email), Subscription.list_id == ml.id)
        )
        if sub is None:
            raise click.BadParameter(f"{email} is not on {list_slug}", param_hint="EMAIL")
        wanted = resolve_topics(session, ml.id, topics) if (topics or everything) else None
        changed = set_choices(
            session, sub, topics=wanted, mode=mode, source="admin", actor=default_actor()
        )
    console.print(f"{email} on {list_slug}: {'changed' if changed else 'unchanged'}")
