"""The fault table of docs/reliability.md, for the tests that produce its rows for real."""

import pathlib
import re

ROOT = pathlib.Path(__file__).resolve().parents[1]


def fault_table():
    """{id: what the user sees} from the table in docs/reliability.md."""
    text = (ROOT / "docs" / "reliability.md").read_text()
    rows = {}
    for line in text.split("## Fault table", 1)[1].splitlines():
        cells = [cell.strip() for cell in re.split(r"(?<!\\)\|", line)[1:-1]]
        if len(cells) == 4 and cells[0] not in ("id", "---"):
            rows[cells[0]] = cells[3].strip("`").replace("\\`", "`")
    return rows


def documented(fault):
    """What the table says the user sees for `fault`."""
    return fault_table()[fault]
