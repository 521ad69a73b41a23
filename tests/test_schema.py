"""The models and the migrations describe the same schema, on every database we support."""

from __future__ import annotations

import datetime as dt

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from mailer.db import alembic_config
from mailer.delivery.campaigns import edition_key
from mailer.delivery.models import Campaign, CampaignKind
from mailer.migrations import include_object
from mailer.models import Base
from mailer.scheduling.announcements import announcement_key
from tests.helpers import make_campaign, make_list


def test_migrations_match_models(engine: Engine) -> None:
    with engine.connect() as conn:
        context = MigrationContext.configure(
            conn,
            opts={"compare_type": True, "include_object": include_object},
        )
        diff = compare_metadata(context, Base.metadata)
    assert diff == [], f"models and migrations disagree: {diff}"


def test_every_model_table_exists(engine: Engine) -> None:
    tables = set(inspect(engine).get_table_names())
    assert set(Base.metadata.tables) <= tables
    assert "alembic_version" in tables


def test_edition_keys_name_the_list_by_id_after_the_migration(
    engine: Engine, session_factory: sessionmaker[Session], db_url: str
) -> None:
    """0003_sched rewrites slug keys ("weekly:2027-W10") to id keys ("list-1:2027-W10"),
    and back on downgrade, for digests and announcements alike."""
    from alembic import command

    with session_factory() as session:
        ml = make_list(session, "weekly")
        make_campaign(session, ml, edition_key(ml, dt.date(2027, 3, 8)))
        session.add(
            Campaign(
                kind=CampaignKind.ANNOUNCEMENT,
                list_id=ml.id,
                edition_key=announcement_key(7, ml),
                subject="Iftar",
            )
        )
        session.commit()
        list_id = ml.id

    def keys() -> list[str]:
        with engine.connect() as conn:
            return sorted(conn.execute(text("SELECT edition_key FROM campaigns")).scalars())

    assert keys() == [f"announcement:7:list-{list_id}", f"list-{list_id}:2027-W10"]
    engine.dispose()
    command.downgrade(alembic_config(db_url), "0003_sched-1")
    assert keys() == ["announcement:7:weekly", "weekly:2027-W10"]  # as 0002 wrote them
    engine.dispose()
    command.upgrade(alembic_config(db_url), "head")
    assert keys() == [f"announcement:7:list-{list_id}", f"list-{list_id}:2027-W10"]
