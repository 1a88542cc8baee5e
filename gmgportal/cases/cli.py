"""`flask gmg assign-reviewers CALL_ID [--dry-run] [--json]`."""
from __future__ import annotations

import json

import click

from gmgportal.cases import assignment, matching
from gmgportal.cases.models import Call
from gmgportal.core.errors import Refused
from gmgportal.core.uow import unit_of_work
from gmgportal.extensions import db


@click.command("assign-reviewers")
@click.argument("call_id", type=int)
@click.option("--dry-run", is_flag=True, help="Compute and print the proposal; save nothing.")
@click.option("--json", "as_json", is_flag=True, help="Print the problem and the proposal as JSON.")
def assign_reviewers_command(call_id: int, dry_run: bool, as_json: bool) -> None:
    """Assign reviewers to the call's submitted cases by expertise (optimal, conflict-free, balanced)."""
    try:
        with unit_of_work(writes=not dry_run):
            call = db.session.get(Call, call_id)
            if call is None:
                raise click.ClickException(f"There is no call with id {call_id}.")
            cp, pairs = assignment.propose(call)
            output = assignment.problem_json(cp, pairs)
            if not dry_run:
                rows, summary = assignment.proposal_rows(cp, pairs)
                proposal = assignment.AssignmentProposal(call_id=call.id, pairs=rows, summary=summary)
                db.session.add(proposal)
                db.session.flush()
                assignment.confirm_proposal(proposal)
    except (matching.Infeasible, Refused) as error:
        raise click.ClickException(str(error)) from error
    if as_json:
        click.echo(json.dumps(output))
        return
    total = matching.total_score(cp.problem, pairs)
    verb = "Would assign" if dry_run else "Assigned"
    click.echo(f"{verb} {len(pairs)} reviews of {len(cp.cases)} cases to {len(cp.reviewers)} reviewers; "
               f"total match {total:.3f}.")
