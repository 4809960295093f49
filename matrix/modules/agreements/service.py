"""Agreements: legal contract templates (fields and clauses) rendered for a customer.

A template is data: typed fields and Markdown clauses with ``{{field}}`` placeholders. Saving a
template under an existing key makes a new version; documents keep the version they were made
from. Rendering checks every field (required, type) and reports every problem at once, then
produces Markdown and a DOCX file, and stores both with the values used.
"""

from __future__ import annotations

import base64
import io
import re
import zipfile
from datetime import date
from typing import Any
from xml.sax.saxutils import escape

from matrix import envelopes as env
from matrix.errors import NotFoundError, UsageError
from matrix.issues import Issues
from matrix.modules import values
from matrix.modules.context import Work
from matrix.modules.customers import service as customers
from matrix.modules.ports import ModuleStore, Record

FIELD_TYPES = ("text", "tax_id", "email", "phone", "money", "number", "date")
AUTOMATIC = {"customer_name", "customer_phone", "customer_email", "today"}
_PLACEHOLDER = re.compile(r"\{\{\s*([a-z0-9_]+)\s*\}\}")


def save_template(
    store: ModuleStore, work: Work, *, key: Any, title: Any, fields: Any, clauses: Any
) -> Record:
    """Validate and store a template version; every problem is listed in one error."""
    issues = Issues()
    if not isinstance(key, str) or not re.fullmatch(r"[a-z0-9][a-z0-9_-]{1,60}", key or ""):
        issues.error("key", f"key {key!r} must be 2-61 lower-case letters, digits, '-' or '_'")
    if not isinstance(title, str) or len(title.strip()) < 3:
        issues.error("title", "title must have at least 3 characters")
    names: set[str] = set()
    if not isinstance(fields, list) or not fields:
        issues.error("fields", "fields must be a non-empty list")
        fields = []
    for i, field in enumerate(fields):
        where = f"fields[{i}]"
        if not isinstance(field, dict):
            issues.error(where, f"{where} must be an object with name, label, type and required")
            continue
        name = field.get("name")
        if not isinstance(name, str) or not re.fullmatch(r"[a-z0-9_]+", name or ""):
            issues.error(f"{where}.name", f"{where}.name {name!r} must be lower_snake_case")
        elif name in names or name in AUTOMATIC:
            issues.error(
                f"{where}.name",
                f"{where}.name {name!r} is {'a duplicate' if name in names else 'filled automatically'}",
            )
        names.add(str(name))
        if field.get("type") not in FIELD_TYPES:
            issues.error(
                f"{where}.type",
                f"{where}.type {field.get('type')!r} is not one of {list(FIELD_TYPES)}",
            )
        if not isinstance(field.get("required", False), bool):
            issues.error(f"{where}.required", f"{where}.required must be true or false")
    if not isinstance(clauses, list) or not clauses:
        issues.error("clauses", "clauses must be a non-empty list")
        clauses = []
    for i, clause in enumerate(clauses):
        if (
            not isinstance(clause, dict)
            or not isinstance(clause.get("title"), str)
            or not isinstance(clause.get("body"), str)
        ):
            issues.error(f"clauses[{i}]", f"clauses[{i}] must be an object with a title and a body")
            continue
        for used in _PLACEHOLDER.findall(clause["body"]):
            if used not in names and used not in AUTOMATIC:
                issues.error(
                    f"clauses[{i}]",
                    f"clauses[{i}] uses {{{{{used}}}}}, which is no field of the template",
                )
    issues.raise_invalid("Invalid agreement template")
    with store.transaction():
        versions = store.modules.agreement_templates.find(
            work.tenant_id, template_key=key, order="version DESC", limit=1
        )
        template = {
            "template_id": env.new_id(), "tenant_id": work.tenant_id, "template_key": key,
            "version": (versions[0]["version"] + 1) if versions else 1, "title": title.strip(),
            "fields": fields, "clauses": clauses, "created_at": work.clock.now(),
        }  # fmt: skip
        store.modules.agreement_templates.insert(template)
    return template


def latest(store: ModuleStore, tenant_id: str, key: str) -> Record:
    found = store.modules.agreement_templates.find(
        tenant_id, template_key=key, order="version DESC", limit=1
    )
    if not found:
        raise NotFoundError(f"No agreement template {key!r} for tenant {tenant_id!r}.")
    return found[0]


def render(
    store: ModuleStore, work: Work, *, key: str, customer_id: str, field_values: dict[str, Any]
) -> Record:
    """Render the latest version of a template for a customer; store and return the document."""
    template = latest(store, work.tenant_id, key)
    customer = customers.require(store, work.tenant_id, customer_id)
    checked = _check_values(template["fields"], field_values)
    filled = {
        **checked, "customer_name": customer["display_name"], "customer_phone": customer.get("primary_phone") or "",
        "customer_email": customer.get("primary_email") or "", "today": work.clock.now().date().isoformat(),
    }  # fmt: skip
    markdown = _markdown(template, filled)
    document = {
        "document_id": env.new_id(), "tenant_id": work.tenant_id, "template_id": template["template_id"],
        "template_key": key, "template_version": template["version"], "customer_id": customer_id,
        "field_values": checked, "markdown": markdown,
        "docx_base64": base64.b64encode(docx(template["title"], markdown)).decode(), "created_at": work.clock.now(),
    }  # fmt: skip
    store.modules.agreement_documents.insert(document)
    return document


def _check_values(fields: list[dict[str, Any]], given: dict[str, Any]) -> dict[str, str]:
    if not isinstance(given, dict):
        raise UsageError("values must be an object of field name → value.")
    issues = Issues()
    for key in given:
        if key not in {f["name"] for f in fields}:
            issues.error(f"values.{key}", f"unknown field {key!r}")
    out: dict[str, str] = {}
    for field in fields:
        name, value = field["name"], given.get(field["name"])
        if value in (None, ""):
            if field.get("required"):
                issues.error(f"values.{name}", f"{name} ({field.get('label', name)}) is required")
            out[name] = ""
            continue
        try:
            out[name] = _format(field["type"], value, name)
        except UsageError as exc:
            issues.error(f"values.{name}", str(exc).rstrip("."))
    issues.raise_invalid("Cannot render the agreement")
    return out


def _format(kind: str, value: Any, name: str) -> str:
    text = str(value).strip()
    if kind == "money":
        return f"{values.amount(value, name, positive=False):,.2f}"
    if kind == "number":
        try:
            return str(int(text)) if re.fullmatch(r"-?\d+", text) else str(float(text))
        except ValueError:
            raise UsageError(f"{name} {value!r} is not a number") from None
    if kind == "date":
        try:
            return date.fromisoformat(text).strftime("%d/%m/%Y")
        except ValueError:
            raise UsageError(f"{name} {value!r} is not a date like 2026-12-01") from None
    if kind == "email":
        return values.email(text, name)
    if kind == "phone":
        return values.phone(text, name)
    if kind == "tax_id" and len(re.sub(r"\D", "", text)) not in (11, 14):
        raise UsageError(f"{name} {value!r} is not a CPF (11 digits) or CNPJ (14 digits)")
    return text


def _markdown(template: Record, filled: dict[str, str]) -> str:
    lines = [f"# {template['title']}", ""]
    for number, clause in enumerate(template["clauses"], 1):
        body = _PLACEHOLDER.sub(lambda m: filled.get(m.group(1), ""), clause["body"])
        lines += [f"## {number}. {clause['title']}", "", body.strip(), ""]
    return "\n".join(lines)


def docx(title: str, markdown: str) -> bytes:
    """A minimal Word document (OOXML) with one paragraph per Markdown line, headings kept."""
    paragraphs = []
    for line in markdown.splitlines():
        style = "Title" if line.startswith("# ") else "Heading1" if line.startswith("## ") else None
        text = escape(line.lstrip("#").strip())
        props = f'<w:pPr><w:pStyle w:val="{style}"/></w:pPr>' if style else ""
        paragraphs.append(f'<w:p>{props}<w:r><w:t xml:space="preserve">{text}</w:t></w:r></w:p>')
    ns = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
    document = f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:document {ns}><w:body>{"".join(paragraphs)}</w:body></w:document>'
    content_types = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/>'
        '<Override PartName="/docProps/core.xml" ContentType="application/vnd.openxmlformats-package.core-properties+xml"/>'
        "</Types>"
    )
    rels = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/>'
        '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties" Target="docProps/core.xml"/>'
        "</Relationships>"
    )
    core = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" '
        f'xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:title>{escape(title)}</dc:title></cp:coreProperties>'
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", content_types)
        archive.writestr("_rels/.rels", rels)
        archive.writestr("word/document.xml", document)
        archive.writestr("docProps/core.xml", core)
    return buffer.getvalue()
