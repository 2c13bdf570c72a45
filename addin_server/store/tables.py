"""The database tables (SQLAlchemy Core); Alembic migrations create them."""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

metadata = MetaData()

plans = Table(
    "plans",
    metadata,
    Column("id", String(16), primary_key=True),
    Column("owner", String(320), nullable=False, index=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("version", Integer, nullable=False),
    Column("document", Text, nullable=False),
    Column("title", String(500), nullable=False, default=""),
    Column("status", String(20), nullable=False, default="draft"),
    Column("sent_version", Integer, nullable=True),
    Column("confirmed_version", Integer, nullable=True),
)

plan_versions = Table(
    "plan_versions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("plan_id", String(16), ForeignKey("plans.id", ondelete="CASCADE"), nullable=False),
    Column("number", Integer, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("author", String(320), nullable=False),
    Column("source", String(32), nullable=False),
    Column("patch", Text, nullable=False),
    Column("snapshot", Text, nullable=True),
    Column("origin_message_id", Integer, nullable=True),
    Column("sent_at", DateTime(timezone=True), nullable=True),
    UniqueConstraint("plan_id", "number", name="uq_plan_versions_plan_number"),
)

plan_threads = Table(
    "plan_threads",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("plan_id", String(16), ForeignKey("plans.id", ondelete="CASCADE"), nullable=False),
    Column("owner", String(320), nullable=False),
    Column("provider", String(16), nullable=False),
    Column("thread_id", String(500), nullable=False),
    Column("message_id", String(998), nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("owner", "provider", "thread_id", name="uq_plan_threads_owner_thread"),
)
Index("ix_plan_threads_plan", plan_threads.c.plan_id)

messages = Table(
    "messages",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("plan_id", String(16), ForeignKey("plans.id", ondelete="CASCADE"), nullable=False),
    Column("message_id", String(998), nullable=False),
    Column("provider_message_id", String(500), nullable=True),
    Column("from_addr", String(320), nullable=False, default=""),
    Column("from_name", String(500), nullable=False, default=""),
    Column("sent_at", DateTime(timezone=True), nullable=True),
    Column("subject", String(1000), nullable=False, default=""),
    Column("text", Text, nullable=False, default=""),
    Column("html", Text, nullable=True),
    Column("intent", String(32), nullable=False),
    Column("from_customer", Boolean, nullable=False),
    Column("seen_version", Integer, nullable=True),
    Column("questions", Text, nullable=False, default="[]"),
    Column("created_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("plan_id", "message_id", name="uq_messages_plan_message"),
)

proposals = Table(
    "proposals",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("plan_id", String(16), ForeignKey("plans.id", ondelete="CASCADE"), nullable=False),
    Column("message_row", Integer, ForeignKey("messages.id", ondelete="CASCADE"), nullable=False),
    Column("path", String(500), nullable=False),
    Column("item_id", String(64), nullable=True),
    Column("old", Text, nullable=True),
    Column("new", Text, nullable=True),
    Column("label", String(500), nullable=False),
    Column("evidence", Text, nullable=False, default=""),
    Column("status", String(16), nullable=False, default="open"),
    Column("base_version", Integer, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("decided_at", DateTime(timezone=True), nullable=True),
    Column("decided_by", String(320), nullable=True),
    Column("result_version", Integer, nullable=True),
)
Index("ix_proposals_plan", proposals.c.plan_id)

confirmations = Table(
    "confirmations",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("plan_id", String(16), ForeignKey("plans.id", ondelete="CASCADE"), nullable=False),
    Column("message_row", Integer, ForeignKey("messages.id", ondelete="CASCADE"), nullable=False),
    Column("who", String(320), nullable=False),
    Column("name", String(500), nullable=False, default=""),
    Column("confirmed_at", DateTime(timezone=True), nullable=True),
    Column("version", Integer, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)
Index("ix_confirmations_plan", confirmations.c.plan_id)

drafts = Table(
    "drafts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("owner", String(320), nullable=False),
    Column("key", String(500), nullable=False),
    Column("document", Text, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("owner", "key", name="uq_drafts_owner_key"),
)

notifications = Table(
    "notifications",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("provider", String(16), nullable=False),
    Column("dedupe_key", String(500), nullable=False),
    Column("payload", Text, nullable=False),
    Column("received_at", DateTime(timezone=True), nullable=False),
    Column("status", String(16), nullable=False, default="pending"),
    Column("attempts", Integer, nullable=False, default=0),
    Column("next_attempt_at", DateTime(timezone=True), nullable=True),
    Column("processed_at", DateTime(timezone=True), nullable=True),
    Column("last_error", String(1000), nullable=True),
    UniqueConstraint("provider", "dedupe_key", name="uq_notifications_dedupe"),
)
Index("ix_notifications_pending", notifications.c.status, notifications.c.next_attempt_at)

rate_limits = Table(
    "rate_limits",
    metadata,
    Column("key", String(500), primary_key=True),
    Column("count", Integer, nullable=False),
    Column("expires_at", Float, nullable=False),
)

mailbox_watches = Table(
    "mailbox_watches",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("owner", String(320), nullable=False),
    Column("provider", String(16), nullable=False),
    Column("external_id", String(500), nullable=False),
    Column("cursor", String(100), nullable=True),
    Column("client_state", String(200), nullable=True),
    Column("expires_at", DateTime(timezone=True), nullable=True),
    Column("status", String(32), nullable=False, default="active"),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("provider", "external_id", name="uq_mailbox_watches_external"),
)
