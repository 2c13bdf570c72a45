"""Command-line entry points: `flask --app addin_server <command>`."""

from __future__ import annotations

import json
from importlib import resources

import click
from flask import Flask, current_app
from flask.cli import with_appcontext

from .services import plans as plan_services
from .store.migrate import upgrade


def init_app(app: Flask) -> None:
    """Register the commands."""
    from .web.manifests import manifest_command

    app.cli.add_command(db_upgrade)
    app.cli.add_command(seed_demo)
    app.cli.add_command(manifest_command)
    app.cli.add_command(process_notifications)
    app.cli.add_command(renew_watches)


@click.command("db-upgrade")
@with_appcontext
def db_upgrade():
    """Apply the database migrations (run before starting production instances)."""
    upgrade(current_app.extensions["addin"].engine)
    click.echo("Database is at the latest schema.")


@click.command("process-notifications")
@click.option("--limit", default=100, show_default=True, help="At most this many per run.")
@with_appcontext
def process_notifications(limit):
    """Process stored push notifications that are due (run it every minute)."""
    from .services import push

    counts = push.process_pending(push.deps_for(current_app), limit=limit)
    click.echo(f"Notifications processed: {counts['done']} done, {counts['failed']} to retry.")


@click.command("renew-watches")
@with_appcontext
def renew_watches():
    """Renew Gmail watches and Graph subscriptions expiring within a day (run it hourly)."""
    from .services import push

    report = push.renew_watches(push.deps_for(current_app))
    click.echo(f"Watches renewed: {report['renewed']}, failed: {report['failed']}.")


def demo_plan() -> dict:
    """The onboarding example that make run loads."""
    text = resources.files("addin_server").joinpath("demo_plan.json").read_text("utf-8")
    return json.loads(text)


@click.command("seed-demo")
@with_appcontext
@click.option("--user", default=None, help="Owner of the demo plan (default: the demo user).")
def seed_demo(user):
    """Load the onboarding example as a demo plan (once per user)."""
    addin = current_app.extensions["addin"]
    owner = (user or current_app.config["DEMO_USER"]).lower()
    plan = demo_plan()
    existing = [
        p for p in plan_services.list_plans(addin.uow(), owner) if p["title"] == plan["title"]
    ]
    if existing:
        click.echo(f"Demo plan {existing[0]['id']} is already there.")
        return
    created = plan_services.create_plan(addin.uow(write=True), owner, plan, source="import")
    click.echo(f"Demo plan {created['id']} created for {owner}.")


def main() -> None:
    """`addin-server` console script: the Flask CLI bound to this app."""
    from flask.cli import FlaskGroup

    from .app import create_app

    FlaskGroup(create_app=create_app)()
