"""What every command shares: the errors that end a command, the plan and the store it works on, JSON out."""

from __future__ import annotations

import argparse
import io
import json
import re
import shlex
import sys

from rollout import config, overview, readiness
from rollout.plan import Plan, load_plan
from rollout.progress import Advice
from rollout.stores import Store, open_store


class CliError(Exception):
    """A refusal: printed on stderr, exit 1."""


def locations(parser: argparse.ArgumentParser, default: object = None) -> None:
    parser.add_argument(
        "--phases", metavar="DIR", default=default, help="plan folder (env ROLLOUT_PHASES, default phases/)"
    )
    parser.add_argument("--data", metavar="DIR", default=default, help="data folder (env ROLLOUT_DATA, default data/)")


def plan_of(args: argparse.Namespace) -> Plan:
    return load_plan(config.phases_dir(getattr(args, "phases", None)))


def store_of(args: argparse.Namespace, plan: Plan, existing: bool = True) -> Store:
    """The store of --data; ``existing``: refuse a folder that does not exist (only demo makes one)."""
    store = open_store(config.data_dir(getattr(args, "data", None)), plan)
    if existing:
        store.require_existing()
    return store


def outside(store: Store, path: str | None) -> str | None:
    """``path``, unless it is one of the data folder's own files or folders: no command writes over those."""
    if path is not None and store.holds(path):
        raise CliError(
            f"{path}: is one of the data folder's own files or folders ({store.location}); choose another path"
        )
    return path


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


# Control characters in stored values would move the cursor, recolour or clear a terminal; bidi
# overrides reorder what it shows. Every line the CLI prints shows them as \u escapes (valid in JSON too).
_UNPRINTABLE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def printable(text: str) -> str:
    return _UNPRINTABLE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


class Printable(io.TextIOBase):
    """A text stream writing through ``printable`` to another."""

    def __init__(self, stream):
        self.stream = stream

    def write(self, text: str) -> int:
        self.stream.write(printable(text))
        return len(text)

    def flush(self) -> None:
        self.stream.flush()


def advised(advice: Advice, args: argparse.Namespace) -> str:
    """The command that does what an error advises."""
    data = f" --data {shlex.quote(args.data)}" if getattr(args, "data", None) else ""
    return f"to repair it: python -m rollout{data} {advice.action} {shlex.quote(advice.argument)}"
