"""`charter promote` and `charter rollback`: an evidence-carrying pull request, or a refusal that says why."""

from __future__ import annotations

from typing import Annotated

import typer

from charter.cli.console import ReadFormat, err, escape, print_json
from charter.cli.render import print_pull_request
from charter.errors import CanaryOrShadow, NoEarlierAssignment


def _report(result: object, output: ReadFormat) -> None:
    from charter.promotion.promote import PromotionResult

    assert isinstance(result, PromotionResult)
    if output is ReadFormat.json:
        print_json(result.to_dict())
        return
    print_pull_request(result)


def _run(ctx: typer.Context, request: object, output: ReadFormat) -> None:
    from charter.api import Registry
    from charter.cli.render import print_findings
    from charter.errors import InvalidEntry, PolicyRefused
    from charter.promotion.pr_body import verdict_table
    from charter.promotion.promote import PromotionRequest, promote

    assert isinstance(request, PromotionRequest)
    registry = Registry(ctx.obj)
    try:
        forge, note = registry.forge()
        result = promote(registry.root, request, forge=forge, forge_note=note)
    except PolicyRefused as refused:
        if output is ReadFormat.json:
            print_json({"refused": True, "verdict": refused.verdict.to_dict()})
        else:
            err.print(f"[red]✗[/] {escape(refused.message)}; nothing was changed")
            print("\n".join(verdict_table(refused.verdict)))
        raise typer.Exit(1) from None
    except InvalidEntry as invalid:
        print_findings(registry.root, invalid.findings)
        err.print(f"[red]✗[/] {escape(invalid.message)}; nothing was changed")
        raise typer.Exit(1) from None
    _report(result, output)


def promote_command(
    ctx: typer.Context,
    ref: Annotated[str, typer.Argument(help="The model version to promote, model:NAME@VERSION.")],
    to: Annotated[str, typer.Option("--to", help="The environment to promote into.")],
    canary: Annotated[float | None, typer.Option("--canary", metavar="PCT", help="Roll out as a canary taking "
                                                 "PCT% of traffic.")] = None,
    shadow: Annotated[bool, typer.Option("--shadow", help="Roll out in shadow mode (scored, not used).")] = False,
    reason: Annotated[str | None, typer.Option("--reason", help="Why: goes into the commit, file and PR.")] = None,
    allow_breaking: Annotated[bool, typer.Option("--allow-breaking", help="Accept a contract with breaking "
                                                 "changes against the version assigned now.")] = False,
    push: Annotated[bool, typer.Option("--push/--no-push", help="Push the branch and open the pull request.")] = True,
    output: Annotated[ReadFormat, typer.Option("--format", help="Output format.")] = ReadFormat.text,
) -> None:
    """Promote a version: check the policy, commit the environment change on a branch, open a pull request.

    Exit codes: 0 done, 1 refused by the policy (nothing changed), 2 usage or environment error.
    """
    from charter.promotion.promote import PromotionRequest

    if canary is not None and shadow:
        raise CanaryOrShadow()
    mode = "canary" if canary is not None else "shadow" if shadow else "full"
    _run(ctx, PromotionRequest(ref, to, mode, canary, reason, allow_breaking, push=push), output)


def rollback_command(
    ctx: typer.Context,
    model: Annotated[str, typer.Argument(help="The model (family) to roll back.")],
    env: Annotated[str, typer.Option("--env", help="The environment to roll back.")],
    reason: Annotated[str | None, typer.Option("--reason", help="Why: goes into the commit, file and PR.")] = None,
    push: Annotated[bool, typer.Option("--push/--no-push", help="Push the branch and open the pull request.")] = True,
    output: Annotated[ReadFormat, typer.Option("--format", help="Output format.")] = ReadFormat.text,
) -> None:
    """Roll back: promote the version assigned before the current one (from git history), through a PR."""
    from charter.api import Registry
    from charter.promotion.promote import PromotionRequest, previous_assignment

    name = model.removeprefix("model:").split("@", 1)[0]
    previous = previous_assignment(Registry(ctx.obj).root, env, name)
    if previous is None:
        raise NoEarlierAssignment(model=name, environment=env)
    _run(ctx, PromotionRequest(previous, env, reason=reason or f"Roll back to {previous}", rollback=True,
                               push=push), output)
