"""The rules a plan's tasks follow: their fields, their clauses per edition, dependencies and coverage.

A mixin of the plan's Checker (rollout.plan.check), which supplies the reading of files and
fields and the reporting of issues; kept apart so that each module holds one set of rules.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from rollout.plan.model import EDITIONS, KINDS, TASK_ID, Clause, Task
from rollout.plan.yamlnodes import Node, Plain, type_name

if TYPE_CHECKING:
    from pathlib import Path

    from rollout.plan.yamlnodes import Issue

AnyNode = Node | Plain
TASK_SPEC = {
    "id": str,
    "title": str,
    "description": str,
    "kind": str,
    "clauses": dict,
    "deliverable": str,
    "role": str,
    "effort_days": float,
    "depends_on": list,
    "mandatory": bool,
    "min_weeks": int,
}
TASK_REQUIRED = frozenset({"id", "title", "deliverable", "role", "effort_days"})
RENAMES_FILE = "renames.yaml"


class TaskChecks:
    """Checks of the tasks; the Checker it is mixed into reports the issues."""

    folder: Path
    fast: bool
    correspondence: dict[str, tuple[str, ...]]
    warnings: list[Issue]
    clause_lines: dict[tuple[str, str], AnyNode]
    broken_ids: set[str]
    unread_stages: set[int]

    def _task(self, item: AnyNode, stage: int, nodes: dict[str, AnyNode]) -> Task | None:
        # the id alone, not the whole task built, for the label
        given = item.get("id") if item.is_mapping() else None
        label = (
            f"task {given.value}" if given is not None and isinstance(given.value, str) else f"a task of stage {stage}"
        )
        if item.is_mapping() and self._earlier_form(item, label):
            if given is not None and isinstance(given.value, str):
                self.broken_ids.add(given.value)
            return None
        values = self._fields(item, TASK_SPEC, TASK_REQUIRED, label)
        if "id" not in values:
            return None
        tid = values["id"].value
        match = TASK_ID.match(tid)
        if not match:
            self.flag(values["id"], f"task {tid}: id must look like P{stage}.01 (P<stage>.<digits>)")
        elif int(match.group(1)) != stage:
            self.flag(
                values["id"],
                f"task {tid}: id names stage {match.group(1)} but the task is in stage {stage}; expected P{stage}.<digits>",
            )
        if "effort_days" in values and values["effort_days"].value <= 0:
            self.flag(
                values["effort_days"],
                f"task {tid}: effort_days is {values['effort_days'].value}; expected a number above 0",
            )
        if "min_weeks" in values and values["min_weeks"].value <= 0:
            self.flag(
                values["min_weeks"], f"task {tid}: min_weeks is {values['min_weeks'].value}; expected weeks above 0"
            )
        kind = values["kind"].value if "kind" in values else "sms"
        if kind not in KINDS:
            self.flag(values["kind"], f"task {tid}: kind {kind!r} is not one of {', '.join(KINDS)}")
        if any(k not in values for k in TASK_REQUIRED) or kind not in KINDS:
            self.broken_ids.add(tid)
            return None
        return Task(
            id=tid,
            stage=stage,
            title=values["title"].value,
            deliverable=values["deliverable"].value,
            role=values["role"].value,
            effort_days=float(values["effort_days"].value),
            description=values["description"].value if "description" in values else "",
            kind=kind,
            clauses=self._clause_tags(values.get("clauses"), tid),
            depends_on=self._texts(values, "depends_on", tid),
            mandatory=values["mandatory"].value if "mandatory" in values else True,
            min_weeks=values["min_weeks"].value if "min_weeks" in values else None,
        )

    def _earlier_form(self, item: AnyNode, label: str) -> bool:
        """Refuse the format before editions were explicit (clauses as a 2011 list, clauses_2018), showing the new one."""
        old = item.get("clauses")
        extra = item.get("clauses_2018")
        if extra is None and (old is None or not old.is_sequence()):
            return False
        given = [str(v.value) for v in old.elements()] if old is not None and old.is_sequence() else []
        more = [str(v.value) for v in extra.elements()] if extra is not None and extra.is_sequence() else []
        mapped = [c for leaf in given for c in self.correspondence.get(leaf, ())]
        new = {"2018": list(dict.fromkeys(mapped + more)) or ["..."], "2011": given or ["..."]}
        shown = ", ".join(f'"{e}": [{", ".join(_quoted(c) for c in ids)}]' for e, ids in new.items())
        self.flag(
            old if old is not None else extra,
            f"{label}: clauses in the earlier form (a list of 2011 ids, clauses_2018); name them per edition, "
            f"e.g. clauses: {{{shown}}} (2018 leaves from the correspondence: keep those the work evidences); "
            "project and certification work: kind: project or kind: certification, and no clauses",
        )
        return True

    def _clause_tags(self, node: AnyNode | None, tid: str) -> dict[str, tuple[str, ...]]:
        if node is None:
            return {}
        tags = {}
        for key, value in node.items():
            edition = key.value
            if edition not in EDITIONS:
                self.flag(key, f'task {tid}: clauses names edition {edition!r}; expected "2018" or "2011" (quoted)')
            elif not value.is_sequence():
                self.flag(value, f"task {tid}: clauses of {edition} must be a list of leaf clause ids")
            else:
                tags[edition] = self._text_list(value, f"clauses of {edition}", f"task {tid}")
        return tags

    # cross-checks --------------------------------------------------------------
    def _check_tasks(
        self,
        tasks: dict[str, Task],
        nodes: dict[str, AnyNode],
        clauses: dict[str, dict[str, Clause]],
        correspondence: dict[str, tuple[str, ...]],
        edition: str,
    ) -> None:
        for task in tasks.values():
            node = nodes[task.id]
            self._check_tags(task, node, clauses, edition)
            self._check_dependencies(task, node, tasks)
            self._check_consistency(task, node, correspondence)
        for cycle in _cycles(tasks):
            self.flag(
                self._at(nodes[cycle[0]], "depends_on"),
                f"dependency cycle: {' -> '.join([*cycle, cycle[0]])} (A -> B: A depends on B)",
            )
        if not (self.unread_stages or self.broken_ids):  # a gap from an unread task is not a gap in the plan
            self._coverage(tasks, clauses)

    def _check_tags(self, task: Task, node: AnyNode, clauses: dict[str, dict[str, Clause]], edition: str) -> None:
        where = self._at(node, "clauses")
        if task.kind != "sms":
            if any(task.clauses.values()):
                self.flag(where, f"task {task.id}: a {task.kind} task serves no clause; remove its clauses")
            return
        if not task.clauses.get(edition):
            self.flag(
                where,
                f'task {task.id}: an sms task names at least one leaf clause of the plan\'s edition: clauses: {{"{edition}": [...]}}'
                " (or make it kind: project or kind: certification)",
            )
        for ed, ids in task.clauses.items():
            for cid in ids:
                known = clauses[ed].get(cid)
                if known is None:
                    self.flag(
                        where, f"task {task.id}: clauses of {ed} name {cid}, which is not a clause of the {ed} edition"
                    )
                elif not known.is_leaf:
                    leaves = ", ".join(known.children)
                    self.flag(
                        where,
                        f"task {task.id}: clauses of {ed} name {cid}, which has sub-clauses; name a leaf ({leaves})",
                    )

    def _check_dependencies(self, task: Task, node: AnyNode, tasks: dict[str, Task]) -> None:
        for dep in task.depends_on:
            other = tasks.get(dep)
            if other is None and not self._already_reported(dep):
                self.flag(
                    self._at(node, "depends_on"),
                    f"task {task.id}: depends_on names {dep}, which is not a task of the plan",
                )
            elif other is not None and other.stage > task.stage:
                self.flag(
                    self._at(node, "depends_on"),
                    f"task {task.id}: depends_on names {dep} of the later stage {other.stage}; a task may only depend on its own or earlier stages",
                )

    def _check_consistency(self, task: Task, node: AnyNode, correspondence: dict[str, tuple[str, ...]]) -> None:
        """A warning, not an error: the 2011 and 2018 tags of a task that the correspondence does not link."""
        old, new = task.clauses.get("2011", ()), set(task.clauses.get("2018", ()))
        if old and new and not any(new.intersection(correspondence.get(leaf, ())) for leaf in old):
            mapped = sorted({c for leaf in old for c in correspondence.get(leaf, ())})
            self.warnings.append(
                self._at(node, "clauses").issue(
                    f"task {task.id}: its 2011 clauses {', '.join(old)} correspond to {', '.join(mapped) or 'nothing'} "
                    f"in 2018, none of which it names ({', '.join(sorted(new))}); check the tags"
                )
            )

    def _coverage(self, tasks: dict[str, Task], clauses: dict[str, dict[str, Clause]]) -> None:
        """ISO/IEC 20000-1 permits no exclusion: every leaf of every edition needs a mandatory sms task."""
        served: dict[str, set[str]] = {e: set() for e in EDITIONS}
        for task in tasks.values():
            if task.builds_sms:
                for edition, ids in task.clauses.items():
                    served[edition].update(ids)
        for edition in EDITIONS:
            for clause in clauses[edition].values():
                if clause.is_leaf and clause.id not in served[edition]:
                    node = self.clause_lines[(edition, clause.id)]
                    self.flag(
                        node,
                        f'clause {clause.id} ({edition}) is served by no mandatory sms task; name it in a task\'s clauses: {{"{edition}": [...]}}',
                    )

    # renames.yaml --------------------------------------------------------------
    def _renames(self, tasks: dict[str, Task]) -> dict[str, str]:
        """Tasks of an earlier release that took a new id (old: new); optional file."""
        if not (self.folder / RENAMES_FILE).exists():
            return {}
        root = self.open(RENAMES_FILE)
        out: dict[str, str] = {}
        for key, value in root.items() if root is not None else []:
            old, new = key.value, value.value
            if not isinstance(old, str) or not isinstance(new, str):
                self.flag(key, f"{RENAMES_FILE}: expected old: new task ids, got {type_name(old)}: {type_name(new)}")
            elif old in tasks:
                self.flag(key, f"{RENAMES_FILE}: {old} is still a task of the plan; only ids that left it are renamed")
            elif new not in tasks:
                self.flag(value, f"{RENAMES_FILE}: {old} is renamed to {new}, which is not a task of the plan")
            else:
                out[old] = new
        return out


def _quoted(text: str) -> str:
    return f'"{text}"'


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
