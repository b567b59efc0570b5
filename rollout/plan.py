"""The implementation plan: load the YAML files of phases/ and validate them in one pass."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from rollout.yamlnodes import Issue, Node, compose_file, type_name

EDITIONS = ("2011", "2018")
STAGES = (0, 1, 2, 3, 4)
STAGE_FILE = re.compile(r"^phase-(\d+)(-[a-z0-9-]+)?\.ya?ml$")
TASK_ID = re.compile(r"^P(\d)\.(\d+)$")


class PlanError(Exception):
    """The plan is invalid; ``issues`` holds every problem found."""

    def __init__(self, issues: list[Issue]):
        self.issues = issues
        super().__init__("\n".join(str(i) for i in issues))


@dataclass(frozen=True)
class Clause:
    id: str
    title: str
    edition: str
    parent: str | None
    children: tuple[str, ...]
    depth: int

    @property
    def is_leaf(self) -> bool:
        return not self.children


@dataclass(frozen=True)
class Task:
    id: str
    stage: int
    title: str
    clauses: tuple[str, ...]
    deliverable: str
    role: str
    effort_days: float
    description: str = ""
    clauses_2018: tuple[str, ...] = ()
    depends_on: tuple[str, ...] = ()
    mandatory: bool = True


@dataclass(frozen=True)
class Stage:
    number: int
    name: str
    objective: str
    gate: tuple[str, ...]
    task_ids: tuple[str, ...]
    file: str


@dataclass
class Plan:
    organisation: str
    scope: str
    start_date: dt.date
    target_date: dt.date
    stages: list[Stage]
    tasks: dict[str, Task]
    clauses: dict[str, dict[str, Clause]]
    correspondence: dict[str, tuple[str, ...]]
    folder: str = ""
    _served_2018: dict[str, tuple[str, ...]] = field(default_factory=dict, repr=False)

    def stage(self, number: int) -> Stage:
        return next(s for s in self.stages if s.number == number)

    def leaves(self, edition: str) -> list[str]:
        return [c.id for c in self.clauses[edition].values() if c.is_leaf]

    def clauses_of(self, task: Task, edition: str) -> tuple[str, ...]:
        """The leaf clauses a task serves in an edition (2018: correspondence plus extras)."""
        if edition == "2011":
            return task.clauses
        if task.id not in self._served_2018:
            mapped = [c for leaf in task.clauses for c in self.correspondence.get(leaf, ())]
            self._served_2018[task.id] = tuple(dict.fromkeys(mapped + list(task.clauses_2018)))
        return self._served_2018[task.id]

    def ancestors(self, clause_id: str, edition: str) -> list[str]:
        """The clause and every clause above it, nearest first."""
        out, tree = [], self.clauses[edition]
        current: str | None = clause_id
        while current is not None:
            out.append(current)
            current = tree[current].parent
        return out


def load_plan(folder: str | Path) -> Plan:
    """Load and validate the plan in ``folder``; raise PlanError listing every problem."""
    plan, issues = validate_folder(folder)
    if issues or plan is None:
        raise PlanError(issues)
    return plan


def validate_folder(folder: str | Path) -> tuple[Plan | None, list[Issue]]:
    folder = Path(folder)
    shown = str(folder)
    if not folder.is_dir():
        return None, [
            Issue(shown, 1, "the plan folder does not exist; expected plan.yaml, clauses.yaml and phase-*.yaml")
        ]
    checker = _Checker(folder)
    plan = checker.run()
    return (None if checker.issues else plan), checker.issues


class _Checker:
    """Collects every issue of a plan folder instead of stopping at the first."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.issues: list[Issue] = []
        self.clause_lines: dict[tuple[str, str], Node] = {}
        # ids of tasks already reported as broken, and stages not read: a dependency on
        # them is not reported again as unknown
        self.broken_ids: set[str] = set()
        self.unread_stages: set[int] = set()

    def add(self, issue: Issue) -> None:
        self.issues.append(issue)

    def open(self, name: str) -> Node | None:
        path = self.folder / name
        shown = str(path)
        if not path.is_file():
            self.add(Issue(str(self.folder), 1, f"{name} is missing from the plan folder"))
            return None
        root, issues = compose_file(path, shown)
        self.issues.extend(issues)
        if root is not None and not root.is_mapping():
            self.add(root.issue(f"expected a mapping of keys at the top of {name}, got {type_name(root.value)}"))
            return None
        return root

    def run(self) -> Plan | None:
        header = self._plan_header()
        clauses, correspondence = self._clauses()
        stages, tasks, task_nodes = self._stages(clauses)
        if clauses:
            self._check_tasks(tasks, task_nodes, clauses, correspondence)
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
            folder=str(self.folder),
        )

    # plan.yaml -----------------------------------------------------------------
    def _plan_header(self) -> dict | None:
        root = self.open("plan.yaml")
        if root is None:
            return None
        spec = {"organisation": str, "scope": str, "start_date": dt.date, "target_date": dt.date}
        values = self._fields(root, spec, required=set(spec), where="plan.yaml")
        start, target = values.get("start_date"), values.get("target_date")
        if start and target and target <= start:
            self.add(root.issue(f"plan.yaml: target_date {target} must be after start_date {start}"))
        return values if len(values) == len(spec) else None

    # clauses.yaml --------------------------------------------------------------
    def _clauses(self) -> tuple[dict[str, dict[str, Clause]], dict[str, tuple[str, ...]]]:
        root = self.open("clauses.yaml")
        if root is None:
            return {}, {}
        top = self._fields(
            root, {"editions": dict, "correspondence": dict}, {"editions", "correspondence"}, "clauses.yaml", raw=True
        )
        trees: dict[str, dict[str, Clause]] = {}
        if "editions" in top:
            found = {k.value: v for k, v in top["editions"].items()}
            for edition in EDITIONS:
                if edition not in found:
                    self.add(top["editions"].issue(f'edition "{edition}" is missing under editions (quote it)'))
                    continue
                trees[edition] = {}
                self._clause_list(found[edition], edition, None, 0, trees[edition])
            for key, _ in top["editions"].items():
                if key.value not in EDITIONS:
                    self.add(key.issue(f'unknown edition {key.value!r}; expected "2011" or "2018" (quoted)'))
        if len(trees) < len(EDITIONS):
            return {}, {}
        correspondence = self._correspondence(top.get("correspondence"), trees)
        return trees, correspondence

    def _clause_list(
        self, node: Node, edition: str, parent: Clause | None, depth: int, out: dict[str, Clause]
    ) -> list[str]:
        if not node.is_sequence():
            self.add(node.issue(f"edition {edition}: expected a list of clauses, got {type_name(node.value)}"))
            return []
        ids = []
        for item in node.elements():
            spec = {"id": str, "title": str, "children": list}
            values = self._fields(item, spec, {"id", "title"}, f"clause of edition {edition}", raw=True)
            if "id" not in values or "title" not in values:
                continue
            cid = values["id"].value
            if parent and not cid.startswith(parent.id + "."):
                self.add(
                    values["id"].issue(
                        f"clause {cid} sits under {parent.id}; expected an id starting with {parent.id}."
                    )
                )
            if cid in out:
                self.add(values["id"].issue(f"clause {cid} appears twice in edition {edition}"))
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

    def _correspondence(self, node: Node | None, trees: dict[str, dict[str, Clause]]) -> dict[str, tuple[str, ...]]:
        if node is None:
            return {}
        out: dict[str, tuple[str, ...]] = {}
        seen = set()
        for key, value in node.items():
            old = key.value
            seen.add(old)
            if not isinstance(old, str):
                self.add(key.issue(f"correspondence key {old!r} must be a quoted 2011 clause id"))
                continue
            if old not in trees["2011"] or not trees["2011"][old].is_leaf:
                self.add(key.issue(f"correspondence: {old} is not a leaf clause of the 2011 edition"))
                continue
            if not value.is_sequence() or not value.elements():
                self.add(value.issue(f"correspondence of {old}: expected a non-empty list of 2018 leaf clause ids"))
                continue
            targets = []
            for item in value.elements():
                new = item.value
                if not isinstance(new, str) or new not in trees["2018"] or not trees["2018"][new].is_leaf:
                    self.add(
                        item.issue(
                            f"correspondence of {old}: {new!r} is not a leaf clause of the 2018 edition (quote ids)"
                        )
                    )
                else:
                    targets.append(new)
            out[old] = tuple(targets)
        for leaf in (c.id for c in trees["2011"].values() if c.is_leaf):
            if leaf not in seen:
                self.add(
                    node.issue(
                        f"correspondence: 2011 leaf {leaf} has no entry; expected the 2018 leaves it corresponds to"
                    )
                )
        return out

    # stage files ---------------------------------------------------------------
    def _stages(self, clauses: dict) -> tuple[list[Stage], dict[str, Task], dict[str, Node]]:
        files: dict[int, list[str]] = {}
        for path in sorted(self.folder.glob("phase-*.y*ml")):
            match = STAGE_FILE.match(path.name)
            if not match:
                self.add(Issue(str(path), 1, "file name not understood; expected phase-<stage>[-name].yaml"))
                continue
            files.setdefault(int(match.group(1)), []).append(path.name)
        for number in sorted(files):
            if number not in STAGES:
                self.add(
                    Issue(
                        str(self.folder / files[number][0]),
                        1,
                        f"stage {number} is not a stage of the plan; expected 0 to 4",
                    )
                )
            elif len(files[number]) > 1:
                for name in files[number]:
                    self.add(
                        Issue(
                            str(self.folder / name),
                            1,
                            f"stage {number} is doubled: {', '.join(files[number])}; keep one file per stage",
                        )
                    )
        for number in STAGES:
            if number not in files:
                self.add(
                    Issue(
                        str(self.folder),
                        1,
                        f"the file of stage {number} is missing; expected phase-{number}[-name].yaml",
                    )
                )
        stages, tasks, nodes = [], {}, {}
        for number in STAGES:
            stage = self._stage(files[number][0], number, tasks, nodes) if len(files.get(number, [])) == 1 else None
            if stage:
                stages.append(stage)
            else:
                self.unread_stages.add(number)
        return stages, tasks, nodes

    def _stage(self, name: str, number: int, tasks: dict[str, Task], nodes: dict[str, Node]) -> Stage | None:
        root = self.open(name)
        if root is None:
            return None
        spec = {"phase": int, "name": str, "objective": str, "gate": list, "tasks": list}
        values = self._fields(root, spec, set(spec), f"stage {number}", raw=True)
        if "phase" in values and values["phase"].value != number:
            self.add(values["phase"].issue(f"phase is {values['phase'].value} but the file name says stage {number}"))
        gate = self._text_list(values["gate"], "gate", f"stage {number}") if "gate" in values else ()
        ids = []
        for item in values["tasks"].elements() if "tasks" in values else []:
            task = self._task(item, number, nodes)
            if task is None:
                continue
            if task.id in tasks:
                first = nodes[task.id]
                self.add(item.issue(f"task {task.id}: duplicate id; also defined at {first.file}:{first.line}"))
                self.add(first.issue(f"task {task.id}: duplicate id; also defined at {item.file}:{item.line}"))
                continue
            tasks[task.id] = task
            nodes[task.id] = item
            ids.append(task.id)
        if not all(k in values for k in ("name", "objective")):
            return None
        return Stage(number, values["name"].value, values["objective"].value, gate, tuple(ids), root.file)

    def _task(self, item: Node, stage: int, nodes: dict[str, Node]) -> Task | None:
        spec = {
            "id": str,
            "title": str,
            "description": str,
            "clauses": list,
            "clauses_2018": list,
            "deliverable": str,
            "role": str,
            "effort_days": float,
            "depends_on": list,
            "mandatory": bool,
        }
        required = {"id", "title", "clauses", "deliverable", "role", "effort_days"}
        label = (
            f"task {item.value.get('id', '?')}"
            if item.is_mapping() and isinstance(item.value.get("id"), str)
            else f"a task of stage {stage}"
        )
        values = self._fields(item, spec, required, label, raw=True)
        if "id" not in values:
            return None
        tid = values["id"].value
        match = TASK_ID.match(tid)
        if not match:
            self.add(values["id"].issue(f"task {tid}: id must look like P{stage}.01 (P<stage>.<digits>)"))
        elif int(match.group(1)) != stage:
            self.add(
                values["id"].issue(
                    f"task {tid}: id names stage {match.group(1)} but the task is in stage {stage}; expected P{stage}.<digits>"
                )
            )
        if "effort_days" in values and values["effort_days"].value <= 0:
            self.add(
                values["effort_days"].issue(
                    f"task {tid}: effort_days is {values['effort_days'].value}; expected a number above 0"
                )
            )
        if any(k not in values for k in required):
            self.broken_ids.add(tid)
            return None
        return Task(
            id=tid,
            stage=stage,
            title=values["title"].value,
            clauses=self._text_list(values["clauses"], "clauses", f"task {tid}", min_items=1),
            deliverable=values["deliverable"].value,
            role=values["role"].value,
            effort_days=float(values["effort_days"].value),
            description=values["description"].value if "description" in values else "",
            clauses_2018=self._text_list(values["clauses_2018"], "clauses_2018", f"task {tid}")
            if "clauses_2018" in values
            else (),
            depends_on=self._text_list(values["depends_on"], "depends_on", f"task {tid}")
            if "depends_on" in values
            else (),
            mandatory=values["mandatory"].value if "mandatory" in values else True,
        )

    # cross-checks --------------------------------------------------------------
    def _check_tasks(self, tasks: dict[str, Task], nodes: dict[str, Node], clauses: dict, correspondence: dict) -> None:
        for task in tasks.values():
            node = nodes[task.id]
            for key, edition, ids in (("clauses", "2011", task.clauses), ("clauses_2018", "2018", task.clauses_2018)):
                for cid in ids:
                    known = clauses[edition].get(cid)
                    if known is None:
                        self.add(
                            self._at(node, key).issue(
                                f"task {task.id}: {key} names {cid}, which is not a clause of the {edition} edition"
                            )
                        )
                    elif not known.is_leaf:
                        leaves = ", ".join(known.children)
                        self.add(
                            self._at(node, key).issue(
                                f"task {task.id}: {key} names {cid}, which has sub-clauses; name a leaf ({leaves})"
                            )
                        )
            for dep in task.depends_on:
                other = tasks.get(dep)
                if other is None and not self._already_reported(dep):
                    self.add(
                        self._at(node, "depends_on").issue(
                            f"task {task.id}: depends_on names {dep}, which is not a task of the plan"
                        )
                    )
                elif other is not None and other.stage > task.stage:
                    self.add(
                        self._at(node, "depends_on").issue(
                            f"task {task.id}: depends_on names {dep} of the later stage {other.stage}; a task may only depend on its own or earlier stages"
                        )
                    )
        for cycle in _cycles(tasks):
            self.add(
                self._at(nodes[cycle[0]], "depends_on").issue(
                    f"dependency cycle: {' -> '.join([*cycle, cycle[0]])} (A -> B: A depends on B)"
                )
            )
        self._coverage(tasks, clauses, correspondence)

    def _coverage(self, tasks: dict[str, Task], clauses: dict, correspondence: dict) -> None:
        served = {"2011": set(), "2018": set()}
        for task in tasks.values():
            served["2011"].update(task.clauses)
            served["2018"].update(task.clauses_2018)
            served["2018"].update(c for leaf in task.clauses for c in correspondence.get(leaf, ()))
        for edition in EDITIONS:
            for clause in clauses[edition].values():
                if clause.is_leaf and clause.id not in served[edition]:
                    how = (
                        "in a task's clauses"
                        if edition == "2011"
                        else "through the correspondence or a task's clauses_2018"
                    )
                    node = self.clause_lines[(edition, clause.id)]
                    self.add(node.issue(f"clause {clause.id} ({edition}) is served by no task; name it {how}"))

    # field helpers -------------------------------------------------------------
    def _fields(self, node: Node, spec: dict, required: set, where: str, raw: bool = False) -> dict:
        """Check a mapping's keys and value types; return the good values (or nodes with raw)."""
        if not node.is_mapping():
            self.add(node.issue(f"{where}: expected a mapping of keys, got {type_name(node.value)}"))
            return {}
        out = {}
        for key, value in node.items():
            name = key.value
            if name not in spec:
                self.add(key.issue(f"{where}: unknown key {name!r}; expected one of {', '.join(spec)}"))
                continue
            if not _fits(value.value, spec[name]):
                self.add(
                    value.issue(
                        f"{where}: {name} must be {_expected(spec[name])}, got {type_name(value.value)} ({value.value!r})"
                    )
                )
                continue
            out[name] = value if raw else value.value
        for name in sorted(required - set(out) - {k.value for k, _ in node.items()}):
            self.add(node.issue(f"{where}: {name} is missing; expected {_expected(spec[name])}"))
        return out

    def _text_list(self, node: Node, name: str, where: str, min_items: int = 0) -> tuple[str, ...]:
        items = node.elements()
        if len(items) < min_items:
            self.add(node.issue(f"{where}: {name} is empty; expected at least {min_items} item"))
        good = []
        for item in items:
            if isinstance(item.value, str) and item.value:
                good.append(item.value)
            else:
                hint = "; quote ids: unquoted, 4.10 reads as the number 4.1" if isinstance(item.value, float) else ""
                got = f"{type_name(item.value)} ({item.value!r})"
                self.add(item.issue(f"{where}: {name} items must be quoted text, got {got}{hint}"))
        return tuple(good)

    def _already_reported(self, task_id: str) -> bool:
        match = TASK_ID.match(task_id)
        return task_id in self.broken_ids or bool(match and int(match.group(1)) in self.unread_stages)

    @staticmethod
    def _at(node: Node, key: str) -> Node:
        return next((v for k, v in node.items() if k.value == key), node)


def _fits(value: object, kind: type) -> bool:
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


def _cycles(tasks: dict[str, Task]) -> Iterable[list[str]]:
    """Each dependency cycle once, found by depth-first search."""
    state: dict[str, int] = {}
    for start in tasks:
        if state.get(start):
            continue
        stack = [(start, iter(tasks[start].depends_on))]
        path = [start]
        state[start] = 1
        while stack:
            tid, deps = stack[-1]
            dep = next((d for d in deps if d in tasks), None)
            if dep is None:
                state[tid] = 2
                stack.pop()
                path.pop()
            elif state.get(dep) == 1:
                yield path[path.index(dep) :]
            elif not state.get(dep):
                state[dep] = 1
                path.append(dep)
                stack.append((dep, iter(tasks[dep].depends_on)))
