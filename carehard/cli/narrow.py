"""Tables on a narrow terminal (80 columns, or piped): a table whose words do not all fit is shown
as one block per row instead (its first cell as a heading, then "Column: value" lines), never
with words broken in mid-letter or headers cut to "Verdi…"."""

from __future__ import annotations

from rich.console import Console, Group, RenderableType
from rich.measure import Measurement
from rich.table import Table
from rich.text import Text

UNBOUNDED = 10_000


def fits(table: Table, console: Console) -> bool:
    """Whether every column gets at least its longest word (and its whole no_wrap cells)."""
    needed = Measurement.get(console, console.options.update(max_width=UNBOUNDED), table).minimum
    return needed <= console.width


def as_blocks(table: Table) -> Group:
    """The rows of a table, one block each: the first cell as a heading, the others as "Header: value"."""
    columns = list(table.columns)
    rows = [list(column.cells) for column in columns]
    blocks: list[RenderableType] = []
    if table.title:
        blocks.append(Text(str(table.title), style="bold"))
    for index in range(table.row_count):
        if index or table.title:
            blocks.append(Text())
        fields = Table.grid(padding=(0, 1))
        fields.add_column(style="bold", no_wrap=True)
        fields.add_column(overflow="fold")
        for column, cells in zip(columns[1:], rows[1:], strict=True):
            value = cells[index]
            if _plain(value) not in ("", "—", "-"):
                fields.add_row(f"  {column.header}:", value)
        heading = rows[0][index] if rows else ""
        blocks.append(Group(Text.from_markup(heading) if isinstance(heading, str) else heading, fields))
    return Group(*blocks)


def show(console: Console, table: Table) -> None:
    console.print(table if fits(table, console) else as_blocks(table))


def clip(text: str, limit: int) -> str:
    """At most limit characters, with a mark where it was cut."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _plain(value: object) -> str:
    if isinstance(value, Text):
        return value.plain.strip()
    return Text.from_markup(str(value)).plain.strip() if isinstance(value, str) else "?"
