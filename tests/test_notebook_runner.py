"""``make outputs`` (``distlab.notebooks``) commits outputs that depend on the code only."""

from __future__ import annotations

import nbformat

from distlab.notebooks import _normalise


def test_streams_coalesce_and_widget_ids_are_numbered():
    nb = nbformat.v4.new_notebook()
    view = "application/vnd.jupyter.widget-view+json"
    nb.cells = [
        nbformat.v4.new_code_cell("print('a'); print('b')", outputs=[
            nbformat.v4.new_output("stream", name="stdout", text="a\n"),
            nbformat.v4.new_output("stream", name="stdout", text="b\n"),
            nbformat.v4.new_output("stream", name="stderr", text="warn\n"),
            nbformat.v4.new_output("stream", name="stdout", text="c\n")]),
        nbformat.v4.new_markdown_cell("text"),
        nbformat.v4.new_code_cell("w", outputs=[nbformat.v4.new_output(
            "display_data", data={"text/plain": "VBox()",
                                  view: {"model_id": "d9bf771f0d56", "version_major": 2}})]),
        nbformat.v4.new_code_cell("w2", outputs=[nbformat.v4.new_output(
            "display_data", data={view: {"model_id": "ae98fdddeb42", "version_major": 2}})]),
    ]
    _normalise(nb)
    outs = nb.cells[0].outputs
    assert [(o.name, o.text) for o in outs] == [("stdout", "a\nb\n"), ("stderr", "warn\n"),
                                                ("stdout", "c\n")]
    ids = [c.outputs[0].data[view]["model_id"] for c in nb.cells[2:]]
    assert ids == ["0" * 31 + "1", "0" * 31 + "2"]
    nbformat.validate(nb)
