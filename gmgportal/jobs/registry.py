"""The tasks jobs run: declared by features, registered on the app. The jobs package knows none of them.

A feature declares a task with the decorator (a pure declaration: it attaches a
`TaskSpec` to the function and registers nothing) and adds it to the app in its
`register_<feature>(app)`, like its content loaders and home sections:

    @register_task("handbook_compile", title="Compile the handbook to PDF",
                   may_start=lambda user: has_role(user, Role.HANDBOOK_EDITOR))
    def compile_handbook(progress: Progress, params: dict) -> None:
        ...

    def register_handbook(app):
        add_tasks(app, compile_handbook)
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, Optional

from flask import Flask, current_app

if TYPE_CHECKING:
    from gmgportal.jobs.progress import Progress

# A task reads and reports progress; it may return a function holding its writes, which the
# runner calls in the job's one final transaction (with the result stored and the job marked done).
TaskFunction = Callable[["Progress", dict], Optional[Callable[[], None]]]
EXTENSION_KEY = "gmg_job_tasks"
SPEC_ATTRIBUTE = "job_task"


@dataclass(frozen=True)
class TaskSpec:
    kind: str
    title: str
    run: TaskFunction
    may_start: Callable[[Any], bool]
    description: str = ""
    start_label: str = "Start"
    listed: bool = True  # offered on the "Your jobs" page to those who may start it
    # (text, url) of the page the job's work belongs to, from its parameters; shown on the job's page.
    link: Optional[Callable[[dict], Optional[tuple[str, str]]]] = None


class UnknownTask(LookupError):
    pass


def register_task(kind: str, *, title: str, may_start: Callable[[Any], bool] = lambda user: False,
                  description: str = "", start_label: str = "Start",
                  listed: bool = True, link: Optional[Callable[[dict], Optional[tuple[str, str]]]] = None
                  ) -> Callable[[TaskFunction], TaskFunction]:
    """Declare `func(progress, params)` as the task of jobs of `kind`; `add_tasks(app, func)` registers it."""

    def decorator(func: TaskFunction) -> TaskFunction:
        setattr(func, SPEC_ATTRIBUTE, TaskSpec(kind, title, func, may_start, description, start_label, listed, link))
        return func

    return decorator


def task_spec_of(func: TaskFunction) -> TaskSpec:
    spec = getattr(func, SPEC_ATTRIBUTE, None)
    if not isinstance(spec, TaskSpec):
        raise TypeError(f"{getattr(func, '__qualname__', func)!r} is not declared with @register_task(kind, ...).")
    return spec


def add_tasks(app: Flask, *task_functions: TaskFunction) -> None:
    """Register declared tasks on `app`; a kind belongs to one function."""
    tasks: dict[str, TaskSpec] = app.extensions.setdefault(EXTENSION_KEY, {})
    for func in task_functions:
        spec = task_spec_of(func)
        known = tasks.get(spec.kind)
        if known is not None and known.run is not func:
            raise ValueError(f"Jobs of kind {spec.kind!r} already run {known.run.__qualname__}.")
        tasks[spec.kind] = spec


def _tasks(app: Flask | None = None) -> dict[str, TaskSpec]:
    app = app or current_app
    return app.extensions.get(EXTENSION_KEY, {})


def get_task(kind: str, app: Flask | None = None) -> TaskSpec:
    try:
        return _tasks(app)[kind]
    except KeyError:
        raise UnknownTask(f"No task is registered for jobs of kind {kind!r}.") from None


def task_specs(app: Flask | None = None) -> list[TaskSpec]:
    return sorted(_tasks(app).values(), key=lambda spec: spec.title)


def startable_tasks(user: Any) -> list[TaskSpec]:
    return [spec for spec in task_specs() if spec.listed and spec.may_start(user)]
