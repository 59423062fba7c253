"""A live display of a run as the result folder tells it: hosts x controls done, the current task."""

from __future__ import annotations

from types import TracebackType

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn


class RunProgress:
    """Counts (host, control) pairs done. The host count grows as hosts report in."""

    def __init__(self, console: Console, label: str, controls: int) -> None:
        self.controls = controls
        self._done: set[tuple[str, str]] = set()
        self._hosts: set[str] = set()
        self._progress = Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("host x control"),
            TimeElapsedColumn(),
            TextColumn("{task.fields[current]}", style="dim"),
            console=console,
            transient=True,
        )
        self._task = self._progress.add_task(label, total=None, current="starting")

    def __enter__(self) -> RunProgress:
        self._progress.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._progress.stop()

    def task_started(self, name: str) -> None:
        self._progress.update(self._task, current=name[:60])

    def result(self, host: str, control: str | None) -> None:
        if control is None and host not in self._hosts:
            return  # a host that ran no control task yet (or never will, like localhost adding hosts)
        if host not in self._hosts:
            self._hosts.add(host)
            self._progress.update(self._task, total=len(self._hosts) * self.controls)
        if control:
            self._done.add((host, control))
            self._progress.update(self._task, completed=len(self._done))
