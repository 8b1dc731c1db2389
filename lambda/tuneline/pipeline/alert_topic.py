"""Publishing an alert to the topic: kept apart from the workflow's alert building, so a function that only
publishes (the intake) does not load the dataset engine at start-up."""

from __future__ import annotations

from typing import Any

from tuneline.alerts.text import Alert


def publish(sns: Any, topic_arn: str, alert: Alert) -> str:
    response = sns.publish(TopicArn=topic_arn, Subject=alert.subject, Message=alert.body)
    return str(response["MessageId"])
