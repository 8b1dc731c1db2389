"""Alerts about serving: model served (ARN and an example call), serving failed, quota reached, janitor work.

`build_serving_alert` picks the alert a serving step of the workflow asks for, from the workflow state.

Inputs are the plain dicts the workflow carries: the plan, the prepared request (`request.prepare_request`),
the smoke result (`smoke.run_smoke_test`), the release result and janitor outcomes. Missing fields make a
shorter message, never a failed alert.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping, Sequence
from typing import Any

from tuneline.alerts.explain import parse_cause
from tuneline.alerts.text import SUBJECT_PREFIX, Alert, bullets, command_lines, fields, make_alert, wrap
from tuneline.aws_values import lookup
from tuneline.datasets.pii import redact
from tuneline.layout import EXPIRES_AT_TAG
from tuneline.serving import workflow_state as keys
from tuneline.serving.quotas import SERVICE_QUOTAS_CODE
from tuneline.serving.release import ALREADY_GONE, DELETED, KEPT, LEFT_FOR_JANITOR
from tuneline.serving.tags import iso_utc, parse_time

KIND_NAMES = {"provisioned": "Provisioned Throughput", "deployment": "on-demand deployment"}
MAX_LISTED_CALLS = 3
MAX_LISTED_RESOURCES = 20


def model_served(plan: Mapping[str, Any], request: Mapping[str, Any], smoke: Mapping[str, Any]) -> Alert:
    kind = KIND_NAMES.get(str(request.get("kind")), "serving")
    arn = smoke.get("modelArn")
    return make_alert(
        f"{SUBJECT_PREFIX}: model served - {request.get('name') or plan.get('jobName', '?')}",
        [
            f"The custom model from job {plan.get('jobName', '?')} is served with {kind} and answered its "
            "smoke test. Call it with the ARN below as the model ID.",
            fields(
                ("Model ARN", arn),
                ("Custom model", request.get("modelArn")),
                ("Base model", request.get("baseModelName") or plan.get("baseModelIdentifier")),
                ("Model units", request.get("modelUnits") if request.get("kind") == "provisioned" else None),
                ("Commitment", request.get("commitment")),
                ("Smoke test", smoke.get("summary")),
                ("Latency", _latency_text(smoke.get("latencyMs"))),
                ("Report", smoke.get("reportUri")),
            ),
            _calls_lines(smoke.get("calls"), plan),
            _serving_command("Call it:", str(smoke.get("exampleCall") or "")),
            _cost_lines(request, arn),
        ],
    )


def serving_failed(
    plan: Mapping[str, Any],
    request: Mapping[str, Any] | None,
    *,
    error: Mapping[str, Any] | None,
    smoke: Mapping[str, Any] | None,
    release: Mapping[str, Any] | None,
    metrics: Mapping[str, Any] | None = None,
) -> Alert:
    request = request or {}
    name = str((error or {}).get("Error") or "ServingFailed")
    detail = _failure_detail(str((error or {}).get("Cause") or ""))
    arn = (release or {}).get("arn") or (smoke or {}).get("modelArn")
    action = (release or {}).get("action")
    headline = {
        "SmokeTestFailed": "The served model did not pass its smoke test.",
        "ServingNotReady": "The served model did not become ready in time.",
        "ServingFailed": "Bedrock could not create the serving for the model.",
    }.get(name, "Serving the model failed.")
    return make_alert(
        f"{SUBJECT_PREFIX}: FAILED, serving - {request.get('name') or plan.get('jobName', '?')}",
        [
            f"{headline} Training itself completed; the custom model is unchanged.",
            fields(
                ("Job", plan.get("jobName")),
                ("Custom model", request.get("modelArn") or (metrics or {}).get("customModelArn")),
                ("Serving", KIND_NAMES.get(str(request.get("kind")))),
                ("Serving ARN", arn),
                ("Error", name),
                ("Smoke test", (smoke or {}).get("summary")),
                ("Report", (smoke or {}).get("reportUri")),
                ("Training summary", (metrics or {}).get("reportUri")),
            ),
            ["Details:", *wrap(detail, indent="  ")] if detail else None,
            _calls_lines((smoke or {}).get("calls"), plan),
            _release_lines(release, request),
            [
                "What to do:",
                *wrap(_failure_advice(request, action)),
                *_serving_command("Serve the custom model by hand (no retraining):", serve_by_hand_command(request)),
            ],
        ],
    )


def serving_quota(plan: Mapping[str, Any], request: Mapping[str, Any], error: Mapping[str, Any] | None) -> Alert:
    quota = request.get("quotaName") or "the Bedrock model-unit quota for this base model"
    message = parse_cause(str((error or {}).get("Cause") or "")).message
    return make_alert(
        f"{SUBJECT_PREFIX}: serving skipped, quota reached - {plan.get('jobName', '?')}",
        [
            "Bedrock refused to create the serving because an account quota is reached. Nothing was bought; "
            "training completed and the custom model is ready to serve later.",
            fields(
                ("Quota to raise", quota),
                ("Service code", SERVICE_QUOTAS_CODE),
                ("Custom model", request.get("modelArn")),
                ("Asked for", _asked_for(request)),
            ),
            ["Bedrock says:", *wrap(message, indent="  ")] if message else None,
            _serving_command(
                "Find the quota:",
                f"aws service-quotas list-service-quotas --service-code {SERVICE_QUOTAS_CODE} "
                f"--query \"Quotas[?QuotaName=='{quota}']\"",
            ),
            [
                "What to do:",
                *wrap(_quota_advice(request)),
                *_serving_command("Then serve the custom model by hand:", serve_by_hand_command(request)),
            ],
        ],
    )


def janitor_report(outcomes: Sequence[Mapping[str, Any]]) -> Alert | None:
    """One alert for one janitor run; None when it did nothing."""
    if not outcomes:
        return None
    deleted = [o for o in outcomes if o["action"] == "delete" and o["done"]]
    warned = [o for o in outcomes if o["action"] == "warn"]
    ended = [o for o in outcomes if o["action"] == "term-ended"]
    unreadable = [o for o in outcomes if o["action"] == "bad-expiry"]
    failed = [o for o in outcomes if not o["done"]]
    parts = [
        f"{len(deleted)} deleted" if deleted else None,
        f"{len(warned)} expiring" if warned else None,
        f"{len(ended)} term(s) ended" if ended else None,
        f"{len(unreadable)} unreadable expiry" if unreadable else None,
        f"{len(failed)} failed" if failed else None,
    ]
    return make_alert(
        f"{SUBJECT_PREFIX}: serving janitor - {', '.join(p for p in parts if p)}",
        [
            "The janitor checked Tuneline's serving against its expiry tags.",
            _resource_section("Deleted (expired, billing stopped):", deleted),
            _resource_section("Expiring within the hour (deleted at the time shown):", warned),
            _resource_section("Commitment term ended (Tuneline never deletes these):", ended),
            _resource_section(
                "Expiry tag unreadable (NOT deleted, still billing until the tag is fixed or it is deleted):",
                unreadable,
                show_tag=True,
            ),
            _resource_section("Could not be handled (tried again next run):", failed),
            _janitor_advice(warned, ended, unreadable),
        ],
    )


def _latency_text(latency: Mapping[str, Any] | None) -> str | None:
    if not latency:
        return None
    return f"median {latency.get('median')} ms, max {latency.get('max')} ms"


def _calls_lines(calls: Any, plan: Mapping[str, Any]) -> list[str] | None:
    """The smoke-test calls. Their prompts come from the training data and the answers may repeat it, so the
    text is shown (with personal data redacted) only when the profile sets includeSmokeTextInAlerts; otherwise
    the outcome of each call, and the report holds the text."""
    if not isinstance(calls, list) or not calls:
        return None
    serving = plan.get("serving")
    show_text = isinstance(serving, Mapping) and serving.get("includeSmokeTextInAlerts") is True
    if not show_text:
        answered = sum(1 for call in calls if not call.get("error"))
        lines = [
            f"Smoke-test calls: {answered} of {len(calls)} answered. Prompts and answers are in the smoke report, "
            "not in alerts (set includeSmokeTextInAlerts in the profile to include them, redacted)."
        ]
        errors = [f"Error: {call['error']}" for call in calls[:MAX_LISTED_CALLS] if call.get("error")]
        return lines + bullets(errors) if errors else lines
    lines = ["Smoke-test calls (personal data redacted):"]
    for call in calls[:MAX_LISTED_CALLS]:
        lines.extend(bullets([f"Prompt: {redact(str(call.get('prompt', '')))[0]}"]))
        answer = f"Answer: {redact(str(call.get('answer', '')))[0]}"
        lines.extend(wrap(f"Error: {call['error']}" if call.get("error") else answer, indent="  "))
    return lines


def serving_left_running(state: Mapping[str, Any]) -> list[str] | None:
    """For the generic failure alert: serving this execution bought and did not delete (it may still bill)."""
    arn = keys.resource_arn(state)
    release = keys.part(state, keys.RELEASE)
    if not arn or release.get("action") in (DELETED, ALREADY_GONE):
        return None
    request = keys.part(state, keys.REQUEST)
    what = KIND_NAMES.get(str(request.get("kind")), "serving")
    lines = ["Serving bought by this run:", f"  {arn}"]
    lines += wrap(f"The {what} was not deleted by this run and may still bill.")
    return lines + _cost_lines(request, arn)


def _delete_command(request: Mapping[str, Any], arn: Any) -> str:
    return delete_serving_command(str(request.get("kind")), arn)


def delete_serving_command(kind: str, arn: Any) -> str:
    """The AWS CLI command that deletes a deployment (`kind` "deployment") or a Provisioned Throughput."""
    if kind == "deployment":
        return f"aws bedrock delete-custom-model-deployment --custom-model-deployment-identifier {arn}"
    return f"aws bedrock delete-provisioned-model-throughput --provisioned-model-id {arn}"


def _later(expiry: Any, hours: int = 24) -> str:
    """A concrete later expiry for the copy-paste command (a placeholder like <time> breaks in a shell)."""
    moment = parse_time(expiry) or dt.datetime.now(dt.UTC)
    return iso_utc(moment + dt.timedelta(hours=hours))


def _cost_lines(request: Mapping[str, Any], arn: Any) -> list[str]:
    delete = _delete_command(request, arn)
    if request.get("kind") == "deployment":
        lines = wrap("On-demand deployments bill per token used.")
    elif request.get("hasCommitment"):
        return wrap(
            f"This throughput has a {request.get('commitment')} commitment: it bills every hour of the term and "
            "cannot be deleted before the term ends. You get an alert when the term ends."
        )
    else:
        lines = wrap("No-commitment throughput bills every hour until it is deleted.")
    expiry = request.get("expiresAt")
    if expiry:
        lines += [
            *wrap(f"The janitor deletes it at {expiry} (tag {EXPIRES_AT_TAG}) and warns an hour before."),
            *_serving_command(
                "Keep it a day longer (or put another UTC time in the tag):",
                f"aws bedrock tag-resource --resource-arn {arn} --tags key={EXPIRES_AT_TAG},value={_later(expiry)}",
            ),
        ]
    return lines + _serving_command("Delete it now:", delete)


def _release_lines(release: Mapping[str, Any] | None, request: Mapping[str, Any]) -> list[str] | None:
    if not release:
        return None
    action = release.get("action")
    what = KIND_NAMES.get(str(request.get("kind")), "serving")
    if action in (DELETED, ALREADY_GONE):
        text = f"The {what} this run bought was deleted: {release.get('reason')}."
    elif action == KEPT:
        text = f"The {what} this run bought was KEPT and still bills: {release.get('reason')}."
    elif action == LEFT_FOR_JANITOR:
        return _left_for_janitor_lines(release, what, request)
    else:
        text = "Nothing was bought."
    return wrap(text)


def _left_for_janitor_lines(release: Mapping[str, Any], what: str, request: Mapping[str, Any]) -> list[str]:
    """Bedrock refused every delete while the serving was still being created: who deletes it, and when."""
    minutes = round(int(release.get("retrySeconds") or 0) / 60)
    tried = f"{release.get('attempt')} times, {minutes} minutes apart" if minutes else f"{release.get('attempt')} times"
    expiry = release.get("expiresAt")
    backstop = (
        f"The janitor deletes it at its expiry, {expiry} (tag {EXPIRES_AT_TAG}); until then it may bill."
        if expiry
        else "It has no expiry tag, so the janitor leaves it alone: delete it yourself once it is created."
    )
    return [
        *wrap(
            f"The {what} this run bought could NOT be deleted: Bedrock refused while it was still being created "
            f"(tried {tried}; {release.get('refusal')}). {backstop}"
        ),
        *_serving_command(
            "Delete it sooner, once its status is no longer Creating:", _delete_command(request, release.get("arn"))
        ),
    ]


def _failure_advice(request: Mapping[str, Any], action: Any) -> str:
    base = "Read the details and the smoke report. The custom model is trained: once the cause is fixed, serve it "
    base += "by hand with the command below rather than uploading the dataset again (that would train, and bill, anew)."
    if action == KEPT:
        base += " Delete the kept serving when you are done with it."
    elif action == LEFT_FOR_JANITOR:
        base += " The serving this run bought was not deleted yet (see above)."
    return base


def serve_by_hand_command(request: Mapping[str, Any]) -> str:
    """The AWS CLI command that serves the trained custom model the way the profile asked; empty when the
    custom model is not known. A no-commitment throughput bought by hand is not tagged, so the janitor
    leaves it alone: the person who runs it deletes it."""
    model = request.get("modelArn")
    if not model:
        return ""
    name = f"{request.get('name') or 'tuneline-serving'}-manual"
    if request.get("kind") == "deployment":
        return f"aws bedrock create-custom-model-deployment --model-deployment-name {name} --model-arn {model}"
    command = (
        f"aws bedrock create-provisioned-model-throughput --provisioned-model-name {name} "
        f"--model-id {model} --model-units {request.get('modelUnits') or 1}"
    )
    commitment = request.get("commitment")
    if commitment and commitment != "none":
        command += f" --commitment-duration {commitment}"
    return command


def _asked_for(request: Mapping[str, Any]) -> str | None:
    if request.get("kind") == "deployment":
        return "an on-demand deployment"
    units = request.get("modelUnits")
    commitment = request.get("commitment") or "no commitment"
    return f"{units} model unit(s), {commitment}" if units else None


def _quota_advice(request: Mapping[str, Any]) -> str:
    return (
        "Request a higher value for the quota named above in the Service Quotas console (Amazon Bedrock), or "
        "delete serving you no longer use. Then serve the custom model by hand (below); there is no need to train "
        f"it again. Nothing of {request.get('name') or 'this serving'} was created."
    )


def _resource_section(title: str, outcomes: Sequence[Mapping[str, Any]], *, show_tag: bool = False) -> list[str] | None:
    if not outcomes:
        return None
    lines = [title]
    for outcome in outcomes[:MAX_LISTED_RESOURCES]:
        kind = KIND_NAMES.get(str(outcome.get("kind")), "serving")
        when = f"tag value {outcome.get('expiresAtTag')!r}" if show_tag else f"due {outcome.get('due')}"
        lines.extend(bullets([f"{outcome.get('name')} ({kind}), {when}"]))
        lines.append(f"  {outcome.get('arn')}")
        if not outcome.get("done"):
            lines.extend(wrap(str(outcome.get("detail")), indent="  "))
    if len(outcomes) > MAX_LISTED_RESOURCES:
        lines.append(f"... and {len(outcomes) - MAX_LISTED_RESOURCES} more")
    return lines


def _janitor_advice(
    warned: Sequence[Mapping[str, Any]],
    ended: Sequence[Mapping[str, Any]],
    unreadable: Sequence[Mapping[str, Any]] = (),
) -> list[str] | None:
    advice = []
    if unreadable:
        advice.append(
            f"Set {EXPIRES_AT_TAG} to a time like 2026-11-20T14:05:00Z (ISO 8601; UTC unless an offset such as "
            "+01:00 is given), or remove the tag to keep the serving until you delete it yourself."
        )
    if warned:
        advice.append(
            f"To keep serving longer, set its {EXPIRES_AT_TAG} tag to a later time (ISO 8601, UTC), "
            "or remove the tag to keep it until you delete it."
        )
    if ended:
        advice.append(
            "A throughput whose term ended keeps running and billing until it is deleted; delete it or buy a "
            "new term if it is still needed."
        )
    return ["What to do:", *bullets(advice)] if advice else None


def _failure_detail(cause: str) -> str:
    """A Get*-status description (PascalCase from Step Functions) reads best as its status and failure message."""
    try:
        described = json.loads(cause)
    except ValueError:
        described = None
    if isinstance(described, Mapping) and lookup(described, "status"):
        failure = lookup(described, "failureMessage")
        status = lookup(described, "status")
        return f"Status {status}: {failure}" if failure else f"Status {status}"
    return parse_cause(cause).message


# The kinds of alert the workflow's serving notify step asks for (the state machine passes one of these).
SERVED = "served"
FAILED = "failed"
QUOTA = "quota"


def build_serving_alert(kind: str, state: Mapping[str, Any]) -> Alert:
    plan = keys.part(state, "plan")
    request = keys.part(state, keys.REQUEST)
    if kind == SERVED:
        return model_served(plan, request, keys.part(state, keys.SMOKE))
    if kind == QUOTA:
        return serving_quota(plan, request, keys.part(state, keys.ERROR))
    if kind == FAILED:
        return serving_failed(
            plan,
            request,
            error=keys.part(state, keys.ERROR),
            smoke=keys.part(state, keys.SMOKE) or None,
            release=keys.part(state, keys.RELEASE) or None,
            metrics=keys.part(state, "metrics"),
        )
    raise ValueError(f"unknown serving alert kind {kind!r}; expected {SERVED}, {FAILED} or {QUOTA}")


def _serving_command(title: str, text: str) -> list[str]:
    # Serving alerts put the title on its own line without a bullet.
    return command_lines(title, text, bullet=False)
