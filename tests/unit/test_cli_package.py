"""The command-line package's seams: shared options without the commands, and the parsers the
commands call."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import pytest

from matrix.concierge.config_input import config_update
from matrix.envelopes import read_envelopes
from matrix.errors import ContractError, UsageError
from tests.conftest import ROOT


def test_shared_options_import_no_command_module() -> None:
    code = (
        "import sys, matrix.cli.options, matrix.cli.output;"
        "print(sorted(m for m in sys.modules if m.startswith('matrix.cli')))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.replace("'", '"')) == [
        "matrix.cli",
        "matrix.cli.options",
        "matrix.cli.output",
    ]


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({"assignments": ["openai.model=gpt-5-mini"]}, {"openai": {"model": "gpt-5-mini"}}),
        ({"assignments": ["execution.confirmations_enabled=false"]},
         {"execution": {"confirmations_enabled": False}}),
        ({"assignments": ["a.b=3", "a.c=0.5", "d=null", "e=[1]"]},
         {"a": {"b": 3, "c": 0.5}, "d": None, "e": [1]}),
        ({"document": '{"openai": {"model": "x"}}', "assignments": ["openai.model=y"]},
         {"openai": {"model": "y"}}),
        ({"openai_key": ""}, {"openai": {"api_key": ""}}),
    ],
)  # fmt: skip
def test_config_update_reads_what_people_type(kwargs: dict[str, Any], expected: Any) -> None:
    assert config_update(**kwargs) == expected


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"assignments": ["no-equals"]}, "must look like FIELD=VALUE"),
        ({"document": "[1]"}, "must hold a JSON object"),
        ({"document": "{oops"}, "--file is not JSON"),
        ({}, "Nothing to change"),
    ],
)
def test_config_update_refuses_what_it_cannot_read(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(UsageError, match=message):
        config_update(**kwargs)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('{"a": 1}', [{"a": 1}]),
        ('[{"a": 1}, {"a": 2}]', [{"a": 1}, {"a": 2}]),
        ('{"a": 1}\n\n{"a": 2}\n', [{"a": 1}, {"a": 2}]),
    ],
)
def test_read_envelopes_takes_an_object_an_array_or_lines(text: str, expected: Any) -> None:
    assert read_envelopes(text) == expected


def test_read_envelopes_names_the_bad_line() -> None:
    with pytest.raises(ContractError, match=r"chain\.ndjson line 2 is not JSON"):
        read_envelopes('{"a": 1}\n{oops\n', "chain.ndjson")
