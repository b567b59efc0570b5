"""Import audit findings from the spreadsheet a certification body or an internal auditor sends.

The same pipeline as progress: a bounded read, the header found by the usual column names (or chosen),
the mapping remembered, every row checked by the register's own rules (``records``), a preview of
the findings to add, the changes to existing ones and the rejected rows, then one all-or-nothing save.

Re-importing a report adds nothing twice. A row is matched to a finding of the register by its id
(F-0001, as this tool exports it); a report's own reference ("NC-03") is kept at the start of the
finding's text ("NC-03: ...") and matched there, within the same source; a row without either is
matched by its text. An import never verifies a finding: that is a person's check of the action.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from rollout import config, values
from rollout.access import Acting
from rollout.plan import Plan
from rollout.progress import ChangeError, PlanRules, SaveResult, Snapshot
from rollout.records import FINDING_SOURCES, FINDINGS, apply_record_change, choice, diff_records, empty_row
from rollout.sheets import columns, exporter
from rollout.sheets.importer import check_choices, problem_lines, read_layout
from rollout.sheets.limits import Remedy
from rollout.sheets.mapping import MappingNeeded, remember_mapping
from rollout.sheets.preview import PROBLEM_COLUMNS, Reading
from rollout.sheets.spreadsheet import open_workbook
from rollout.sheets.targets import FINDINGS as TARGET
from rollout.stores.base import Store
from rollout.stores.filerecords import rows as record_rows

OWN_ID = re.compile(r"^F-\d{4,}$", re.IGNORECASE)
CLAUSE_ID = re.compile(r"(?<![\d.])\d{1,2}(?:\.\d{1,2})+(?!\.?\d)")  # 8.2.4 in "Clause 8.2.4 Service catalogue"
ADDED_COLUMNS = ["sheet", "row", *TARGET.imported]
CHANGE_COLUMNS = ["sheet", "row", "id", "field", "old", "new"]
NEVER_VERIFIES = (
    "an import never verifies a finding: a person other than its owner checks the action's effectiveness "
    "and records it in the register"
)


@dataclass(kw_only=True)
class FindingsPreview(Reading):
    """What a findings import would do: ``added`` (one row per new finding), ``changes`` (field by field, of
    findings already in the register), the rows unchanged and rejected; nothing is written before applied."""

    added: pd.DataFrame
    changes: pd.DataFrame
    changed: int  # rows changing a finding of the register
    found_in: str | None = None
    new: list[dict[str, Any]] = field(default_factory=list, repr=False)
    updates: dict[str, dict[str, Any]] = field(default_factory=dict, repr=False)
    revisions: dict[str, int] = field(default_factory=dict, repr=False)


def clause_ids(cell: Any) -> str:
    """The clause ids a cell names ("8.2.4; 8.3.2"); the cell itself when it names none, for the rules to refuse."""
    text = values.normalise_text(cell)
    return "; ".join(dict.fromkeys(CLAUSE_ID.findall(text))) or text


def preview_findings(
    source: str | Path | bytes,
    plan: Plan,
    store: Store,
    *,
    name: str | None = None,
    sheet: str | None = None,
    header: int | None = None,
    overrides: Mapping[str, str] | None = None,
    dates: str | None = None,
    found_in: str | None = None,
    snapshot: Snapshot | None = None,
) -> FindingsPreview:
    """Read an audit report (a path, or uploaded bytes named ``name``) and compare it with the findings register.

    ``found_in`` is where the findings come from (stage1, stage2, internal_audit, ...), for rows
    that do not say it themselves.
    """
    overrides = dict(overrides or {})
    check_choices(TARGET, overrides, dates)
    if found_in is not None:
        found_in = choice(found_in, FINDING_SOURCES, "source")
    book = open_workbook(source, name)
    layout = read_layout(book, TARGET, store, sheet=sheet, header=header, overrides=overrides)
    if "source" not in layout.mapping.values() and found_in is None:
        raise MappingNeeded(
            "does not say where the findings come from", layout.head, layout, file=book.file,
            remedy=Remedy("finding_source"),
        )  # fmt: skip
    rows = columns.extract(layout)
    for dated in ("due", "closed_on"):
        if dated in rows.columns and dates is None:
            columns.check_date_order(rows.columns[dated], rows, dated)
    snapshot = snapshot or store.load()
    register = record_rows(snapshot.records["findings"], FINDINGS)
    preview = _Comparison(rows, layout.own, plan, register, dates, found_in).preview()
    return FindingsPreview(
        file=book.file, records="findings", sheets=[s.name for s in layout.sheets], own_export=layout.own,
        columns=layout.columns, mapping=layout.mapping, header=layout.header, head=layout.head, notes=layout.notes,
        remember=not layout.own and layout.mapping != layout.auto, found_in=found_in, **preview,
    )  # fmt: skip


class _Comparison:
    """Row by row (a report holds tens of findings): read, match, check by the register's rules, diff."""

    def __init__(self, rows: columns.Rows, own: bool, plan: Plan, register: dict, order: str | None, found_in):
        self.rows, self.own, self.register, self.order, self.found_in = rows, own, register, order, found_in
        self.rules, self.today = PlanRules.of(plan), config.today()
        self.problems: list[tuple[int, str, str]] = []
        self.added: list[tuple[int, dict]] = []
        self.changes: list[tuple[int, str, str, str, str]] = []
        self.updates: dict[str, dict] = {}
        self.revisions: dict[str, int] = {}
        self.unchanged = 0

    def preview(self) -> dict[str, Any]:
        read = [self._read(p) for p in range(len(self.rows))]
        keys = [self._key(p, fields) if fields is not None else None for p, fields in enumerate(read)]
        where: dict[tuple[str, str], list[int]] = {}
        for position, key in enumerate(keys):
            if key is not None:
                where.setdefault(key, []).append(position)
        for key, positions in where.items():
            if len(positions) > 1:
                rows = ", ".join(str(self.rows.row[p]) for p in positions)
                for position in positions:
                    self._problem(position, "id", f"the same finding is on rows {rows}")
                continue
            position = positions[0]
            if key[0] == "new":
                self._add(position, read[position])
            else:
                self._change(position, key[1], read[position])
        added = [
            (self.rows.sheet[p], int(self.rows.row[p]), *(f.get(n) for n in TARGET.imported)) for p, f in self.added
        ]
        return {
            "added": pd.DataFrame(added, columns=ADDED_COLUMNS),
            "changes": pd.DataFrame(self._change_records(), columns=CHANGE_COLUMNS),
            "changed": len(self.updates), "unchanged": self.unchanged,
            "rejected": len({p for p, _, _ in self.problems}), "problems": self._problem_table(),
            "new": [f for _, f in self.added], "updates": self.updates, "revisions": self.revisions,
        }  # fmt: skip

    def _problem(self, position: int, name: str, message: str) -> None:
        self.problems.append((position, name, message))

    def _read(self, position: int) -> dict[str, Any] | None:
        """The row's cells as the register's fields (blank cells left out, except in this tool's own export)."""
        fields, ok = {}, True
        for name, column in self.rows.columns.items():
            cell = column.cell(position)
            if not self.own and values.is_blank(cell):
                continue
            try:
                fields[name] = self._value(name, cell)
            except values.ValueProblem as exc:
                self._problem(position, name, str(exc))
                ok = False
        if not fields.get("source") and self.found_in:
            fields["source"] = self.found_in
        return fields if ok else None

    def _value(self, name: str, cell: Any) -> Any:
        if name in ("due", "closed_on"):
            return values.normalise_date(cell, self.order)
        if name == "revision":
            return columns.as_number(cell)
        text = values.normalise_text(exporter.undefuse(cell) if self.own else cell)
        if name == "clauses":
            return clause_ids(text)
        if name in FINDINGS.choices and text:
            return choice(text, FINDINGS.choices[name], name)
        return text

    def _key(self, position: int, fields: dict) -> tuple[str, str] | None:
        """("id", F-NNNN) for a finding of the register the row names, else ("new", what identifies it)."""
        ref = str(fields.pop("id", "") or "")
        if OWN_ID.match(ref):
            if ref.upper() not in self.register:
                self._problem(position, "id", f"{ref} is not a finding of the register")
                return None
            return "id", ref.upper()
        text = fields.get("description", "")
        if not ref and not text:
            self._problem(position, "description", "the row has values but no finding: no text and no id")
            return None
        if ref and text and not text.startswith(f"{ref}: "):
            fields["description"] = f"{ref}: {text}"
        wanted = _same(f"{ref}:" if ref else text)
        found = [
            i
            for i, r in self.register.items()
            if r["source"] == fields.get("source")
            and (_same(r["description"]).startswith(wanted) if ref else _same(r["description"]) == wanted)
        ]
        if len(found) > 1:
            self._problem(position, "id", f"matches several findings ({', '.join(found)}); give their F- ids")
            return None
        return ("id", found[0]) if found else ("new", f"{fields.get('source')}|{wanted}")

    def _add(self, position: int, fields: dict) -> None:
        if fields.get("status") == "verified":
            self._problem(position, "status", NEVER_VERIFIES)
            return
        fields = {"status": "open", **fields}  # what a new finding starts as
        try:
            apply_record_change(FINDINGS, empty_row(FINDINGS, "F-new"), fields, self.rules, "", self.today)
        except ChangeError as exc:
            for _, name, message in exc.problems:
                self._problem(position, name, message)
            return
        self.added.append((position, fields))

    def _change(self, position: int, record_id: str, fields: dict) -> None:
        current = self.register[record_id]
        if fields.get("status") == "verified" and current["status"] != "verified":
            self._problem(position, "status", NEVER_VERIFIES)
            return
        loaded = fields.pop("revision", current["revision"])
        if loaded != current["revision"]:
            self._problem(
                position, "revision", f"{record_id} was changed in the tool since the export (revision "
                f"{current['revision']}, exported at {loaded}); it is not overwritten",
            )  # fmt: skip
            return
        try:
            new = apply_record_change(FINDINGS, current, fields, self.rules, "", self.today)
        except ChangeError as exc:
            for _, name, message in exc.problems:
                self._problem(position, name, message)
            return
        diffs = diff_records(FINDINGS, current, new)
        if not diffs:
            self.unchanged += 1
            return
        self.changes += [(position, record_id, f, o, n) for f, o, n in diffs]
        self.updates[record_id] = fields
        self.revisions[record_id] = current["revision"]

    def _change_records(self) -> list[tuple]:
        return [(self.rows.sheet[p], int(self.rows.row[p]), i, f, o, n) for p, i, f, o, n in self.changes]

    def _problem_table(self) -> pd.DataFrame:
        records = []
        for position, name, message in sorted(self.problems, key=lambda p: p[0]):
            sheet, row = self.rows.sheet[position], int(self.rows.row[position])
            letter = self.rows.letters.get((sheet, name), "")
            column = self.rows.columns.get(name)
            cell = columns.shown(column.cell(position)) if column else ""
            records.append((sheet, row, self.rows.names.get(name, name), f"{letter}{row}" if letter else "", cell,
                            "", message, []))  # fmt: skip
        return pd.DataFrame(records, columns=PROBLEM_COLUMNS)


def _same(text: str) -> str:
    """Text compared without case or extra spaces."""
    return " ".join(text.casefold().split())


def apply_findings(preview: FindingsPreview, store: Store, by: Acting, *, valid_rows_only: bool = False) -> SaveResult:
    """Add and change the previewed findings in one save; refused while rows are rejected unless valid rows only."""
    problem = preview.refusal(valid_rows_only)
    if problem is not None:
        raise problem
    result = store.save_records("findings", preview.new, preview.updates, preview.revisions, by=by,
                                source=preview.source)  # fmt: skip
    if preview.remember:
        remember_mapping(store, preview.columns, preview.mapping, TARGET)
    return result


def describe_findings(preview: FindingsPreview, wording) -> str:
    """The preview as text: what was read, the findings to add, the changes, the rejected rows, the counts."""
    mapped = ", ".join(f"{c} -> {f}" for c, f in preview.mapping.items())
    lines = [f"{preview.file} (sheet {', '.join(map(repr, preview.sheets))}, header on row {preview.header}): {mapped}"]
    lines += [f"  findings from {preview.found_in} unless a row says otherwise"] if preview.found_in else []
    lines += [f"  note: {n.words(wording)}" for n in preview.notes]
    if len(preview.added):
        lines.append(f"new findings ({len(preview.added)}):")
        lines += [
            f"  row {r.row:<6}{r.grade:<12}{r.clauses:<14}{r.description[:70]}" for r in preview.added.itertuples()
        ]
    if len(preview.changes):
        lines.append(f"changes ({len(preview.changes)}):")
        lines += [
            f"  row {r.row:<6}{r.id:<8}{r.field:<12} {r.old!r} -> {r.new!r}" for r in preview.changes.itertuples()
        ]
    lines += problem_lines(preview)
    lines.append(
        f"{len(preview.added)} new, {preview.changed} changed, {preview.unchanged} unchanged, {preview.rejected} rejected"
    )
    return "\n".join(lines)
