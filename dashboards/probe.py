"""The request Dash's renderer sends to run a callback, built from the app's own callback map, so
that tests and benchmarks can call a page's callback over HTTP as the browser does."""

from __future__ import annotations

from typing import Any

from dash import Dash


def callback_request(app: Dash, output_id: str, values: dict[str, Any]) -> dict[str, Any]:
    """The body to POST to ``/_dash-update-component`` for the callback that fills ``output_id``;
    inputs and state take their value from ``values`` by component id (missing ones are None)."""

    def outputs_of(key: str) -> list[dict[str, str]]:
        return [
            dict(zip(("id", "property"), o.split("."), strict=True))
            for o in key.strip(".").split("...")
        ]

    key = next(k for k in app.callback_map if output_id in [o["id"] for o in outputs_of(k)])
    spec, outputs = app.callback_map[key], outputs_of(key)

    def filled(items: list[dict[str, str]]) -> list[dict[str, Any]]:
        return [{**item, "value": values.get(item["id"])} for item in items]

    inputs = filled(spec["inputs"])
    return {"output": key, "outputs": outputs if len(outputs) > 1 else outputs[0], "inputs": inputs,
            "changedPropIds": [f"{inputs[0]['id']}.{inputs[0]['property']}"], "state": filled(spec["state"])}  # fmt: skip
