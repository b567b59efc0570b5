"""What every command shares: the errors that end a command, the plan and the store it works on, JSON out."""

from __future__ import annotations

import argparse
import json
import sys

from rollout import config, overview, readiness
from rollout.plan import Plan, load_plan
from rollout.stores.files import FileStore


class CliError(Exception):
    """A refusal: printed on stderr, exit 1."""


def locations(parser: argparse.ArgumentParser, default: object = None) -> None:
    parser.add_argument(
        "--phases", metavar="DIR", default=default, help="plan folder (env ROLLOUT_PHASES, default phases/)"
    )
    parser.add_argument("--data", metavar="DIR", default=default, help="data folder (env ROLLOUT_DATA, default data/)")


def plan_of(args: argparse.Namespace) -> Plan:
    return load_plan(config.phases_dir(getattr(args, "phases", None)))


def store_of(args: argparse.Namespace, plan: Plan) -> FileStore:
    return FileStore(config.data_dir(getattr(args, "data", None)), plan)


def loaded(args: argparse.Namespace):
    """The plan, its store and the task table joined with progress."""
    plan = plan_of(args)
    store = store_of(args, plan)
    snapshot = store.load()
    return plan, store, snapshot, readiness.task_table(plan, snapshot.progress)


def overview_of(args: argparse.Namespace) -> tuple[Plan, overview.Overview]:
    """The plan and the figures of its overview, read from the cache when no file changed."""
    plan = plan_of(args)
    return plan, overview.load(plan, store_of(args, plan), config.today())


def by_of(args: argparse.Namespace) -> str:
    """Who makes a change: --by, else ROLLOUT_USER, else the login name. The CLI never refuses for want of --by: a
    login name that names nobody in particular (root) is recorded as it is, with a note on how to name the person."""
    name = config.user(args.by)
    if name in config.NOT_A_PERSON:
        print(f"note: recorded as {name!r}, the login name; --by NAME or ROLLOUT_USER names a person", file=sys.stderr)
    return name


def emit_json(data: object) -> None:
    print(json.dumps(data, indent=2, ensure_ascii=False, default=str))


class UsageError(Exception):
    """Wrong words on the command line: exit 2."""
