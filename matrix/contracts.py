"""The JSON Schema catalog in ``contracts/``: loading, validating documents, checking itself.

Schemas are JSON Schema 2020-12. Each schema file carries an ``$id``; ``$ref`` between files is
resolved through an in-memory registry, so nothing is fetched over the network. Examples live in
``contracts/examples/{valid,invalid}/*.json`` as small wrappers::

    {"description": "...", "schema": "<$id or catalog name>", "invalid_at": "/payload/amount",
     "instance": {...}}

``invalid_at`` (invalid examples only) is the JSON pointer where validation must fail.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import urljoin

from matrix.errors import ConfigError, ContractError
from matrix.issues import Issue as BaseIssue
from matrix.issues import Level

if TYPE_CHECKING:
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import ValidationError

Kind = Literal["command", "event"]


@dataclass(frozen=True, kw_only=True)
class Issue(BaseIssue):
    """One problem found by :meth:`Catalog.check`; ``where`` is the file, relative to the catalog."""

    @property
    def file(self) -> str:
        return self.where

    def as_dict(self) -> dict[str, str]:
        return {"level": str(self.level), "file": self.where, "pointer": self.pointer,
                "message": self.message}  # fmt: skip


@dataclass(kw_only=True)
class CheckReport:
    """What ``matrix contracts check`` found."""

    schemas: int = 0
    valid_examples: int = 0
    invalid_examples: int = 0
    issues: list[Issue] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not any(issue.level == "error" for issue in self.issues)

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "schemas": self.schemas,
            "valid_examples": self.valid_examples,
            "invalid_examples": self.invalid_examples,
            "issues": [issue.as_dict() for issue in self.issues],
        }


def _why_unreadable(exc: Exception) -> str:
    if isinstance(exc, UnicodeDecodeError):
        return f"not UTF-8 text (byte {exc.start})"
    if isinstance(exc, RecursionError):
        return "nested too deeply"
    return str(exc)


def pointer_of(path: Iterable[Any]) -> str:
    """The RFC 6901 JSON pointer of a jsonschema error path."""
    parts = [str(p).replace("~", "~0").replace("/", "~1") for p in path]
    return "".join("/" + p for p in parts)


class Catalog:
    """Every schema under one contracts folder, addressable by ``$id`` or by name."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        if not self.root.is_dir():
            raise ConfigError(
                f"Contracts folder {str(self.root)!r} does not exist; set MATRIX_CONTRACTS_DIR"
                " to the project's contracts/ folder."
            )
        self._schemas: dict[str, dict[str, Any]] = {}
        self._files: dict[str, Path] = {}
        self._load_errors: list[Issue] = []
        for path in sorted(self.root.rglob("*.schema.json")):
            rel = str(path.relative_to(self.root))
            try:
                schema = json.loads(path.read_text(encoding="utf-8"))
            except (json.JSONDecodeError, UnicodeDecodeError, RecursionError) as exc:
                self._load_errors.append(
                    Issue(level=Level.ERROR, where=rel, message=f"not JSON: {_why_unreadable(exc)}")
                )
                continue
            schema_id = schema.get("$id") if isinstance(schema, dict) else None
            if not schema_id:
                self._load_errors.append(
                    Issue(level=Level.ERROR, where=rel, message="schema has no $id")
                )
                continue
            self._schemas[schema_id] = schema
            self._files[schema_id] = path
        if not self._schemas and not self._load_errors:
            raise ConfigError(
                f"Contracts folder {str(self.root)!r} holds no *.schema.json file; set"
                " MATRIX_CONTRACTS_DIR (or --contracts-dir) to the project's contracts/ folder."
            )
        # jsonschema is imported here, not at module load: importing it takes about a second.
        from referencing import Registry, Resource
        from referencing.jsonschema import DRAFT202012

        self._registry: Registry[Any] = Registry().with_resources(
            (sid, Resource.from_contents(s, default_specification=DRAFT202012))
            for sid, s in self._schemas.items()
        )
        self._validators: dict[str, Draft202012Validator] = {}
        self._compiled: dict[str, Callable[[Any], Any]] = {}

    @cached_property
    def _by_name(self) -> dict[tuple[str, str], str]:
        index = {}
        for schema_id, path in self._files.items():
            folder = path.parent.name
            if folder in ("commands", "events"):
                name = path.name.removesuffix(".schema.json")
                index[(folder[:-1], name)] = schema_id
        return index

    def names(self, kind: Kind) -> list[str]:
        """Every command or event name that has a schema."""
        return sorted(name for (k, name) in self._by_name if k == kind)

    def schema_id(self, kind: Kind, name: str) -> str:
        """The ``$id`` of the schema for one command or event name.

        Raises:
            ContractError: the name is unknown (with the closest known names).
        """
        try:
            return self._by_name[(kind, name)]
        except KeyError:
            import difflib

            close = difflib.get_close_matches(name, self.names(kind), n=3)
            hint = f" Did you mean {', '.join(close)}?" if close else ""
            raise ContractError(
                f"Unknown {kind} name {name!r}: no schema contracts/{kind}s/{name}.schema.json.{hint}",
                pointer="/name",
                value=name,
            ) from None

    def resolve_id(self, ref: str) -> str:
        """Accept a full ``$id``, a file path relative to the contracts folder, or a bare name."""
        if ref in self._schemas:
            return ref
        for schema_id, path in self._files.items():
            rel = str(path.relative_to(self.root))
            if ref in (
                rel,
                rel.removesuffix(".schema.json"),
                path.name.removesuffix(".schema.json"),
            ):
                return schema_id
        raise ContractError(f"No schema {ref!r} in {self.root}.", value=ref)

    def document(self, schema_id: str) -> dict[str, Any]:
        """The schema file whose ``$id`` is ``schema_id``, as loaded (do not modify it)."""
        return self._schemas[schema_id]

    def validator(self, schema_id: str) -> Draft202012Validator:
        """The validator of a schema file's ``$id``, or of a part of one (``<$id>#/$defs/x``)."""
        from jsonschema import Draft202012Validator

        if schema_id not in self._validators:
            schema = {"$ref": schema_id} if "#" in schema_id else self._schemas[schema_id]
            self._validators[schema_id] = Draft202012Validator(schema, registry=self._registry)
        return self._validators[schema_id]

    def problems(self, schema_id: str, instance: Any) -> list[ValidationError]:
        """Every validation error of ``instance`` (deepest first); the compiled validator answers
        first, so a valid document costs little."""
        import fastjsonschema

        try:
            self._fast(schema_id)(instance)
            return []
        except fastjsonschema.JsonSchemaException:
            return self.errors(schema_id, instance)

    def errors(self, schema_id: str, instance: Any) -> list[ValidationError]:
        """All validation errors of ``instance``, deepest first."""
        errs = list(self.validator(schema_id).iter_errors(instance))
        return sorted(errs, key=lambda e: -len(e.absolute_path))

    def validate(self, schema_id: str, instance: Any) -> None:
        """Raise :class:`ContractError` at the most relevant failing pointer, if any.

        A compiled validator answers first (about 50 times faster); when it rejects, the
        reference validator decides and explains, so the fast path can never reject on its own.
        """
        import fastjsonschema

        try:
            self._fast(schema_id)(instance)
            return
        except fastjsonschema.JsonSchemaException:
            pass
        from jsonschema.exceptions import best_match  # only on a rejection: importing it is slow

        error = best_match(self.validator(schema_id).iter_errors(instance))
        if error is None:
            return
        raise contract_error(schema_id, error)

    def _fast(self, schema_id: str) -> Callable[[Any], Any]:
        if schema_id not in self._compiled:
            import fastjsonschema

            root = {"$ref": schema_id} if "#" in schema_id else self._schemas[schema_id]
            flat = self._inline(root, schema_id, depth=0)
            flat["$schema"] = "http://json-schema.org/draft-07/schema#"
            self._compiled[schema_id] = fastjsonschema.compile(
                flat, use_formats=False, use_default=False
            )
        return self._compiled[schema_id]

    def _inline(self, node: Any, base: str, *, depth: int) -> Any:
        """A copy of ``node`` with every ``$ref`` replaced by its target (for the compiler)."""
        if depth > 32:
            raise ContractError(f"$ref chain too deep (recursive schema?) at {base}.")
        if isinstance(node, list):
            return [self._inline(v, base, depth=depth) for v in node]
        if not isinstance(node, dict):
            return node
        if "$ref" in node:
            uri = urljoin(base, node["$ref"])
            doc_id, _, fragment = uri.partition("#")
            target: Any = self._schemas[doc_id]
            for part in filter(None, fragment.split("/")):
                target = target[part.replace("~1", "/").replace("~0", "~")]
            resolved = self._inline(target, doc_id, depth=depth + 1)
            rest = {k: v for k, v in node.items() if k != "$ref"}
            return (
                {"allOf": [resolved, self._inline(rest, base, depth=depth)]} if rest else resolved
            )
        skip = ("$id", "$schema", "$defs")
        return {k: self._inline(v, base, depth=depth) for k, v in node.items() if k not in skip}

    # -- self check -------------------------------------------------------------------------

    def check(self) -> CheckReport:
        """Check every schema against the 2020-12 meta-schema and every example against its schema.

        Collects every problem instead of stopping at the first.
        """
        from jsonschema import Draft202012Validator
        from jsonschema.exceptions import SchemaError

        report = CheckReport(schemas=len(self._schemas), issues=list(self._load_errors))
        for schema_id, schema in self._schemas.items():
            rel = str(self._files[schema_id].relative_to(self.root))
            try:
                Draft202012Validator.check_schema(schema)
            except SchemaError as exc:
                report.issues.append(
                    Issue(
                        level=Level.ERROR,
                        where=rel,
                        pointer=pointer_of(exc.absolute_path),
                        message=f"not a valid 2020-12 schema: {exc.message}",
                    )
                )
                continue
            try:  # every $ref must resolve inside the catalog
                list(self.validator(schema_id).iter_errors({}))
            except Exception as exc:  # referencing raises its own Unresolvable tree
                report.issues.append(
                    Issue(level=Level.ERROR, where=rel, message=f"unresolvable $ref: {exc}")
                )
        for expect_valid, path, example in self._examples(report):
            rel = str(path.relative_to(self.root))
            try:
                schema_id = self.resolve_id(str(example.get("schema", "")))
            except ContractError as exc:
                report.issues.append(Issue(level=Level.ERROR, where=rel, message=str(exc)))
                continue
            errs = self.errors(schema_id, example.get("instance"))
            if expect_valid:
                report.valid_examples += 1
                for err in errs[:5]:
                    report.issues.append(
                        Issue(
                            level=Level.ERROR,
                            where=rel,
                            pointer=pointer_of(err.absolute_path),
                            message=f"valid example fails: {err.message}",
                        )
                    )
                continue
            report.invalid_examples += 1
            expected = example.get("invalid_at")
            if not isinstance(expected, str):
                report.issues.append(
                    Issue(
                        level=Level.ERROR,
                        where=rel,
                        message='invalid example has no "invalid_at" JSON pointer',
                    )
                )
            elif not errs:
                report.issues.append(
                    Issue(
                        level=Level.ERROR,
                        where=rel,
                        pointer=expected,
                        message="invalid example passes validation",
                    )
                )
            elif expected not in {pointer_of(e.absolute_path) for e in errs}:
                got = sorted({pointer_of(e.absolute_path) for e in errs})
                report.issues.append(
                    Issue(
                        level=Level.ERROR,
                        where=rel,
                        pointer=expected,
                        message=f"invalid example fails, but at {got}, not at {expected!r}",
                    )
                )
        return report

    def _examples(self, report: CheckReport) -> Iterator[tuple[bool, Path, dict[str, Any]]]:
        for folder, expect_valid in (("valid", True), ("invalid", False)):
            for path in sorted((self.root / "examples" / folder).glob("*.json")):
                try:
                    example = json.loads(path.read_text(encoding="utf-8"))
                except json.JSONDecodeError as exc:
                    rel = str(path.relative_to(self.root))
                    report.issues.append(
                        Issue(level=Level.ERROR, where=rel, message=f"not JSON: {exc}")
                    )
                    continue
                if not isinstance(example, dict) or "instance" not in example:
                    rel = str(path.relative_to(self.root))
                    report.issues.append(
                        Issue(
                            level=Level.ERROR,
                            where=rel,
                            message='example must be an object with "schema" and "instance"',
                        )
                    )
                    continue
                yield expect_valid, path, example


def contract_error(schema_id: str, error: ValidationError) -> ContractError:
    """Turn one jsonschema error into a :class:`ContractError` naming the schema and pointer."""
    pointer = pointer_of(error.absolute_path)
    value = error.instance
    shown = json.dumps(value, default=str)
    if len(shown) > 80:
        shown = shown[:77] + "..."
    short_id = schema_id.rsplit("/v1/", 1)[-1]
    where = pointer or "(root)"
    message = error.message
    described = error.schema.get("description") if isinstance(error.schema, dict) else None
    if error.validator in ("pattern", "format") and described:
        # "'x' does not match '^[0-9a-f]{8}-...'" helps nobody; say what was expected instead.
        message = f"{shown} is not {described[0].lower()}{described[1:].rstrip('.')}"
    return ContractError(
        f"{where}: {message} (value {shown}; schema {short_id}).",
        schema_id=schema_id,
        pointer=pointer,
        value=value,
    )
