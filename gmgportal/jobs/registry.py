"""Features register their long tasks here; the jobs package knows none of them.

    @register_task("handbook_compile", title="Compile the handbook to PDF",
                   may_start=lambda user: has_role(user, Role.HANDBOOK_EDITOR))
    def compile_handbook(progress: Progress, params: dict) -> None:
        for number, chapter in enumerate(chapters, 1):
            progress.step(number, len(chapters), "chapter")
            ...
        progress.finish_with_file(pdf_path, "handbook.pdf", "pdf")
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, Optional

if TYPE_CHECKING:
    from gmgportal.jobs.progress import Progress

# A task reads and reports progress; it may return a function holding its writes, which the
# runner calls in the job's one final transaction (with the result stored and the job marked done).
TaskFunction = Callable[["Progress", dict], Optional[Callable[[], None]]]


@dataclass(frozen=True)
class TaskSpec:
    kind: str
    title: str
    run: TaskFunction
    may_start: Callable[[Any], bool]
    description: str = ""
    start_label: str = "Start"
    listed: bool = True  # offered on the "Your jobs" page to those who may start it


class UnknownTask(LookupError):
    pass


_tasks: dict[str, TaskSpec] = {}


def register_task(kind: str, *, title: str, may_start: Callable[[Any], bool] = lambda user: False,
                  description: str = "", start_label: str = "Start",
                  listed: bool = True) -> Callable[[TaskFunction], TaskFunction]:
    """Register `func(progress, params)` as the task run for jobs of `kind`."""

    def decorator(func: TaskFunction) -> TaskFunction:
        _tasks[kind] = TaskSpec(kind, title, func, may_start, description, start_label, listed)
        return func

    return decorator


def get_task(kind: str) -> TaskSpec:
    try:
        return _tasks[kind]
    except KeyError:
        raise UnknownTask(f"No task is registered for jobs of kind {kind!r}.") from None


def task_specs() -> list[TaskSpec]:
    return sorted(_tasks.values(), key=lambda spec: spec.title)


def startable_tasks(user: Any) -> list[TaskSpec]:
    return [spec for spec in task_specs() if spec.listed and spec.may_start(user)]
