"""Agreement templates and rendered documents on both backends."""

from __future__ import annotations

import base64
import io
import zipfile

import pytest

from matrix.clock import FrozenClock
from matrix.errors import NotFoundError, UsageError
from matrix.modules.agreements import service as agreements
from matrix.modules.context import Work
from matrix.modules.customers import service as customers
from matrix.storage import Store

FIELDS = [
    {"name": "contractor_tax_id", "label": "CPF/CNPJ", "type": "tax_id", "required": True},
    {"name": "total", "label": "Valor total", "type": "money", "required": True},
    {"name": "installments", "label": "Parcelas", "type": "number", "required": False},
    {"name": "signed_on", "label": "Data", "type": "date", "required": True},
]
CLAUSES = [
    {
        "title": "Objeto",
        "body": "Serviço de revisão de crédito para {{customer_name}} (doc. {{contractor_tax_id}}).",
    },
    {
        "title": "Valor",
        "body": "Valor total de R$ {{total}} em {{installments}} parcelas, assinado em {{signed_on}}.",
    },
]


@pytest.fixture
def work(clock: FrozenClock) -> Work:
    return Work.new("acme", clock)


def test_template_problems_are_listed_together(store: Store, work: Work) -> None:
    bad_fields = [{"name": "Total", "type": "currency"}, {"name": "customer_name", "type": "text"}]
    with pytest.raises(UsageError) as info:
        agreements.save_template(store, work, key="Bad Key", title="x", fields=bad_fields,
                                 clauses=[{"title": "A", "body": "{{missing}}"}])  # fmt: skip
    message = str(info.value)
    for part in ("key 'Bad Key'", "title must have", "fields[0].name 'Total'", "fields[0].type 'currency'",
                 "fields[1].name 'customer_name' is filled automatically", "uses {{missing}}"):  # fmt: skip
        assert part in message
    assert store.modules.agreement_templates.find("acme") == []


def test_render_for_a_customer_keeps_markdown_docx_and_version(store: Store, work: Work) -> None:
    ana, _ = customers.upsert(store, work, display_name="Ana Souza", phone="+5511999990000")
    first = agreements.save_template(
        store, work, key="revisional", title="Contrato Revisional", fields=FIELDS, clauses=CLAUSES
    )
    document = agreements.render(store, work, key="revisional", customer_id=ana["customer_id"], field_values={
        "contractor_tax_id": "123.456.789-09", "total": "1500", "installments": 3, "signed_on": "2026-11-02"})  # fmt: skip
    assert (
        "Serviço de revisão de crédito para Ana Souza (doc. 123.456.789-09)."
        in document["markdown"]
    )
    assert "R$ 1,500.00 em 3 parcelas, assinado em 02/11/2026" in document["markdown"]
    with zipfile.ZipFile(io.BytesIO(base64.b64decode(document["docx_base64"]))) as docx:
        body = docx.read("word/document.xml").decode()
    assert "Contrato Revisional" in body and "Ana Souza" in body
    second = agreements.save_template(
        store,
        work,
        key="revisional",
        title="Contrato Revisional v2",
        fields=FIELDS,
        clauses=CLAUSES,
    )
    assert (first["version"], second["version"]) == (1, 2)
    [stored] = store.modules.agreement_documents.find("acme")
    assert stored["template_version"] == 1 and stored["markdown"] == document["markdown"]


def test_render_lists_every_bad_value_and_stores_nothing(store: Store, work: Work) -> None:
    ana, _ = customers.upsert(store, work, display_name="Ana Souza")
    agreements.save_template(
        store, work, key="revisional", title="Contrato Revisional", fields=FIELDS, clauses=CLAUSES
    )
    with pytest.raises(UsageError) as info:
        agreements.render(store, work, key="revisional", customer_id=ana["customer_id"],
                          field_values={"contractor_tax_id": "123", "total": "-5", "signed_on": "amanhã", "color": "blue"})  # fmt: skip
    message = str(info.value)
    for part in ("unknown field 'color'", "contractor_tax_id '123' is not a CPF", "total must be at least 0",
                 "signed_on 'amanhã' is not a date"):  # fmt: skip
        assert part in message
    assert store.modules.agreement_documents.find("acme") == []
    with pytest.raises(NotFoundError):
        agreements.render(
            store, work, key="unknown", customer_id=ana["customer_id"], field_values={}
        )
