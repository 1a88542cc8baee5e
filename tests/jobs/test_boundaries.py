"""Jobs know no feature: the task registry is the app's, jobs/ imports no feature, the queue does not
know the services that start jobs, and no setting is read from the environment for tests."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

from gmgportal.jobs import Progress, register_task
from gmgportal.jobs.registry import SPEC_ATTRIBUTE, UnknownTask, add_tasks, get_task, task_specs

JOBS = Path(__file__).resolve().parents[2] / "gmgportal" / "jobs"
FEATURES = ("gmgportal.auth", "gmgportal.programme", "gmgportal.home")


def imports_of(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


@pytest.mark.parametrize("path", sorted(JOBS.glob("*.py")), ids=lambda p: p.name)
def test_jobs_import_no_feature(path):
    assert not [name for name in imports_of(path) if name.startswith(FEATURES)]


def test_the_queue_does_not_import_the_services_that_use_it():
    assert not [n for n in imports_of(JOBS / "queue.py") if n.startswith("gmgportal.jobs.services")]
    assert not [n for n in imports_of(JOBS / "upkeep.py") if n.startswith("gmgportal.jobs.services")]


def test_no_job_module_reads_the_environment():
    assert [p.name for p in JOBS.glob("*.py") if "os.environ" in p.read_text(encoding="utf-8")] == []


def test_the_decorator_declares_and_registers_nothing(app):
    @register_task("test_declared", title="Test: declared", may_start=lambda user: True, listed=False)
    def declared(progress: Progress, params: dict) -> None:
        pass

    assert getattr(declared, SPEC_ATTRIBUTE).kind == "test_declared"
    with pytest.raises(UnknownTask):
        get_task("test_declared")
    add_tasks(app, declared)
    assert get_task("test_declared").run is declared


def test_tasks_belong_to_the_app_they_are_added_to(app, make_app):
    @register_task("test_this_app_only", title="Test: this app only", may_start=lambda user: True)
    def this_app_only(progress: Progress, params: dict) -> None:
        pass

    add_tasks(app, this_app_only)
    other = make_app()
    with other.app_context():
        with pytest.raises(UnknownTask):
            get_task("test_this_app_only")
        assert {spec.kind for spec in task_specs()} == {"audit_export", "send_reminders", "handbook_compile", "handbook_docx_import", "cases_assign", "report_export"}  # the features' own


def test_add_tasks_refuses_an_undeclared_function_and_a_kind_taken_by_another(app):
    def undeclared(progress, params):
        pass

    with pytest.raises(TypeError, match="not declared with @register_task"):
        add_tasks(app, undeclared)

    @register_task("audit_export", title="Another export")
    def impostor(progress: Progress, params: dict) -> None:
        pass

    with pytest.raises(ValueError, match="already run"):
        add_tasks(app, impostor)
