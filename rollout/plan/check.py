"""The plan's checker: every rule a plan folder must follow, with every problem reported in one pass.

The checker runs on plain values first (``fast``): valid plans, the usual case, cost little more
than reading the YAML. It stops at the first problem; ``validate_folder`` then runs it again on
positioned nodes, which collects every problem with its file, line and column. The same rules run
both times, so a plan the fast run accepts is one the positioned run accepts too.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from rollout.plan.model import DEFAULT_EDITION, EDITIONS, STAGE_FILE, STAGES, TASK_ID, Clause, Plan, Stage, Task
from rollout.plan.tasks import AnyNode, TaskChecks
from rollout.plan.yamlnodes import Issue, NotPlain, compose_file, read_plain, type_name


class Checker(TaskChecks):
    """Collects every issue of a plan folder instead of stopping at the first; ``fast``: raises NotPlain at the first."""

    def __init__(self, folder: Path, fast: bool):
        self.folder = folder
        self.fast = fast
        self.issues: list[Issue] = []
        self.warnings: list[Issue] = []
        self.correspondence: dict[str, tuple[str, ...]] = {}  # read before the tasks, for the hint on the earlier form
        self.clause_lines: dict[tuple[str, str], AnyNode] = {}
        # ids of tasks already reported as broken, and stages not read: a dependency on
        # them is not reported again as unknown
        self.broken_ids: set[str] = set()
        self.unread_stages: set[int] = set()

    def add(self, issue: Issue) -> None:
        if self.fast:
            raise NotPlain(issue.message)
        self.issues.append(issue)

    def flag(self, node: AnyNode, message: str) -> None:
        self.add(node.issue(message))

    def flag_file(self, path: Path, message: str) -> None:
        """A problem of a whole file (or of the folder), shown at its line 1."""
        self.add(Issue(str(path), 1, message))

    def open(self, name: str) -> AnyNode | None:
        path = self.folder / name
        shown = str(path)
        if not path.exists():  # a folder, FIFO or device of that name is reported by the reader
            self.flag_file(self.folder, f"{name} is missing from the plan folder")
            return None
        if self.fast:
            root: AnyNode | None = read_plain(path, shown)
        else:
            root, issues = compose_file(path, shown)
            self.issues.extend(issues)
        if root is not None and not root.is_mapping():
            self.flag(root, f"expected a mapping of keys at the top of {name}, got {type_name(root.value)}")
            return None
        return root

    def run(self) -> Plan | None:
        header = self._plan_header()
        clauses, correspondence = self._clauses()
        self.correspondence = correspondence
        stages, tasks, task_nodes = self._stages()
        edition = header.get("edition", DEFAULT_EDITION) if header else DEFAULT_EDITION
        if clauses:
            self._check_tasks(tasks, task_nodes, clauses, correspondence, edition)
        renames = self._renames(tasks)
        if self.issues or header is None:
            return None
        return Plan(
            organisation=header["organisation"],
            scope=header["scope"],
            start_date=header["start_date"],
            target_date=header["target_date"],
            stages=stages,
            tasks=tasks,
            clauses=clauses,
            correspondence=correspondence,
            edition=edition,
            folder=str(self.folder),
            renames=renames,
            warnings=self.warnings,
        )

    # plan.yaml -----------------------------------------------------------------
    def _plan_header(self) -> dict | None:
        root = self.open("plan.yaml")
        if root is None:
            return None
        spec = {"organisation": str, "scope": str, "start_date": dt.date, "target_date": dt.date, "edition": str}
        required = set(spec) - {"edition"}
        found = self._fields(root, spec, required, "plan.yaml")
        values = {k: v.value for k, v in found.items()}
        start, target = values.get("start_date"), values.get("target_date")
        if start and target and target <= start:
            self.flag(root, f"plan.yaml: target_date {target} must be after start_date {start}")
        if values.get("edition", DEFAULT_EDITION) not in EDITIONS:
            self.flag(
                found["edition"], f'plan.yaml: edition {values["edition"]!r} is not one of "2018", "2011" (quoted)'
            )
            values.pop("edition")
        return values if required <= set(values) else None

    # clauses.yaml --------------------------------------------------------------
    def _clauses(self) -> tuple[dict[str, dict[str, Clause]], dict[str, tuple[str, ...]]]:
        root = self.open("clauses.yaml")
        if root is None:
            return {}, {}
        spec = {"editions": dict, "correspondence": dict}
        top = self._fields(root, spec, set(spec), "clauses.yaml")
        trees: dict[str, dict[str, Clause]] = {}
        if "editions" in top:
            found = {k.value: v for k, v in top["editions"].items()}
            for edition in EDITIONS:
                if edition not in found:
                    self.flag(top["editions"], f'edition "{edition}" is missing under editions (quote it)')
                    continue
                trees[edition] = {}
                self._clause_list(found[edition], edition, None, 0, trees[edition])
            for key, _ in top["editions"].items():
                if key.value not in EDITIONS:
                    self.flag(key, f'unknown edition {key.value!r}; expected "2011" or "2018" (quoted)')
        if len(trees) < len(EDITIONS):
            return {}, {}
        correspondence = self._correspondence(top.get("correspondence"), trees)
        return trees, correspondence

    def _clause_list(
        self, node: AnyNode, edition: str, parent: Clause | None, depth: int, out: dict[str, Clause]
    ) -> list[str]:
        if not node.is_sequence():
            self.flag(node, f"edition {edition}: expected a list of clauses, got {type_name(node.value)}")
            return []
        ids = []
        for item in node.elements():
            spec = {"id": str, "title": str, "children": list}
            values = self._fields(item, spec, {"id", "title"}, f"clause of edition {edition}")
            if "id" not in values or "title" not in values:
                continue
            cid = values["id"].value
            if parent and not cid.startswith(parent.id + "."):
                self.flag(
                    values["id"], f"clause {cid} sits under {parent.id}; expected an id starting with {parent.id}."
                )
            if cid in out:
                self.flag(values["id"], f"clause {cid} appears twice in edition {edition}")
                continue
            self.clause_lines[(edition, cid)] = values["id"]
            placeholder = Clause(cid, values["title"].value, edition, parent.id if parent else None, (), depth)
            out[cid] = placeholder
            children = (
                self._clause_list(values["children"], edition, placeholder, depth + 1, out)
                if "children" in values
                else []
            )
            out[cid] = Clause(cid, placeholder.title, edition, placeholder.parent, tuple(children), depth)
            ids.append(cid)
        return ids

    def _correspondence(self, node: AnyNode | None, trees: dict[str, dict[str, Clause]]) -> dict[str, tuple[str, ...]]:
        if node is None:
            return {}
        out: dict[str, tuple[str, ...]] = {}
        seen = set()
        for key, value in node.items():
            old = key.value
            seen.add(old)
            if not isinstance(old, str):
                self.flag(key, f"correspondence key {old!r} must be a quoted 2011 clause id")
                continue
            if old not in trees["2011"] or not trees["2011"][old].is_leaf:
                self.flag(key, f"correspondence: {old} is not a leaf clause of the 2011 edition")
                continue
            if not value.is_sequence() or not value.elements():
                self.flag(value, f"correspondence of {old}: expected a non-empty list of 2018 leaf clause ids")
                continue
            targets = []
            for item in value.elements():
                new = item.value
                if not isinstance(new, str) or new not in trees["2018"] or not trees["2018"][new].is_leaf:
                    self.flag(
                        item, f"correspondence of {old}: {new!r} is not a leaf clause of the 2018 edition (quote ids)"
                    )
                else:
                    targets.append(new)
            out[old] = tuple(targets)
        for leaf in (c.id for c in trees["2011"].values() if c.is_leaf):
            if leaf not in seen:
                self.flag(
                    node, f"correspondence: 2011 leaf {leaf} has no entry; expected the 2018 leaves it corresponds to"
                )
        return out

    # stage files ---------------------------------------------------------------
    def _stages(self) -> tuple[list[Stage], dict[str, Task], dict[str, AnyNode]]:
        files: dict[int, list[str]] = {}
        for path in sorted(self.folder.glob("phase-*.y*ml")):
            match = STAGE_FILE.match(path.name)
            if not match:
                self.flag_file(path, "file name not understood; expected phase-<stage>[-name].yaml")
                continue
            files.setdefault(int(match.group(1)), []).append(path.name)
        for number in sorted(files):
            if number not in STAGES:
                self.flag_file(
                    self.folder / files[number][0], f"stage {number} is not a stage of the plan; expected 0 to 4"
                )
            elif len(files[number]) > 1:
                for name in files[number]:
                    self.flag_file(
                        self.folder / name,
                        f"stage {number} is doubled: {', '.join(files[number])}; keep one file per stage",
                    )
        for number in STAGES:
            if number not in files:
                self.flag_file(
                    self.folder, f"the file of stage {number} is missing; expected phase-{number}[-name].yaml"
                )
        stages, tasks, nodes = [], {}, {}
        for number in STAGES:
            stage = self._stage(files[number][0], number, tasks, nodes) if len(files.get(number, [])) == 1 else None
            if stage:
                stages.append(stage)
            else:
                self.unread_stages.add(number)
        return stages, tasks, nodes

    def _stage(self, name: str, number: int, tasks: dict[str, Task], nodes: dict[str, AnyNode]) -> Stage | None:
        root = self.open(name)
        if root is None:
            return None
        spec = {"phase": int, "name": str, "objective": str, "gate": list, "tasks": list}
        values = self._fields(root, spec, set(spec), f"stage {number}")
        if "phase" in values and values["phase"].value != number:
            self.flag(values["phase"], f"phase is {values['phase'].value} but the file name says stage {number}")
        gate = self._text_list(values["gate"], "gate", f"stage {number}") if "gate" in values else ()
        ids = []
        for item in values["tasks"].elements() if "tasks" in values else []:
            task = self._task(item, number, nodes)
            if task is None:
                continue
            if task.id in tasks:
                first = nodes[task.id]
                self.flag(item, f"task {task.id}: duplicate id; also defined at {first.file}:{first.line}")
                self.flag(first, f"task {task.id}: duplicate id; also defined at {item.file}:{item.line}")
                continue
            tasks[task.id] = task
            nodes[task.id] = item
            ids.append(task.id)
        if not all(k in values for k in ("name", "objective")):
            return None
        return Stage(number, values["name"].value, values["objective"].value, gate, tuple(ids), root.file)

    # field helpers -------------------------------------------------------------
    def _fields(self, node: AnyNode, spec: dict, required: set, where: str) -> dict[str, AnyNode]:
        """Check a mapping's keys and value types; return the nodes of the good values."""
        if not node.is_mapping():
            self.flag(node, f"{where}: expected a mapping of keys, got {type_name(node.value)}")
            return {}
        out, given = {}, set()
        for key, value in node.items():
            name = key.value
            given.add(name)
            if name not in spec:
                self.flag(key, f"{where}: unknown key {name!r}; expected one of {', '.join(spec)}")
            elif not _fits(value, spec[name]):
                self.flag(
                    value,
                    f"{where}: {name} must be {_expected(spec[name])}, got {type_name(value.value)} ({value.value!r})",
                )
            else:
                out[name] = value
        for name in sorted(required - given):
            self.flag(node, f"{where}: {name} is missing; expected {_expected(spec[name])}")
        return out

    def _text_list(self, node: AnyNode, name: str, where: str, min_items: int = 0) -> tuple[str, ...]:
        items = node.elements()
        if len(items) < min_items:
            self.flag(node, f"{where}: {name} is empty; expected at least {min_items} item")
        good = []
        for item in items:
            if isinstance(item.value, str) and item.value:
                good.append(item.value)
            else:
                hint = "; quote ids: unquoted, 4.10 reads as the number 4.1" if isinstance(item.value, float) else ""
                got = f"{type_name(item.value)} ({item.value!r})"
                self.flag(item, f"{where}: {name} items must be quoted text, got {got}{hint}")
        return tuple(good)

    def _texts(self, values: dict[str, AnyNode], name: str, tid: str) -> tuple[str, ...]:
        """An optional list of a task: its items, or () when it is not given."""
        return self._text_list(values[name], name, f"task {tid}") if name in values else ()

    def _already_reported(self, task_id: str) -> bool:
        match = TASK_ID.match(task_id)
        return task_id in self.broken_ids or bool(match and int(match.group(1)) in self.unread_stages)

    @staticmethod
    def _at(node: AnyNode, key: str) -> AnyNode:
        return next((v for k, v in node.items() if k.value == key), node)


def _fits(node: AnyNode, kind: type) -> bool:
    # containers are told by their node: building a list of tasks only to check its type is slow
    if kind is list:
        return node.is_sequence()
    if kind is dict:
        return node.is_dict()
    value = node.value
    if kind is float:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if kind is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if kind is dt.date:
        return isinstance(value, dt.date) and not isinstance(value, dt.datetime)
    if kind is str:
        return isinstance(value, str) and value.strip() != ""
    return isinstance(value, kind)


def _expected(kind: type) -> str:
    return {
        str: "non-empty text",
        int: "a whole number",
        float: "a number",
        bool: "true or false",
        list: "a list",
        dict: "a mapping",
        dt.date: "a date YYYY-MM-DD",
    }[kind]
