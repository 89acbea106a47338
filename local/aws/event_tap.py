"""What the domain events' bus delivered: a local rule copies every event put on the bus (moto's EventBridge) to a
queue, as a rule with an SQS target would; this drains that queue into the list `GET /_local/domain-events`
serves, oldest first."""

from __future__ import annotations

import json
import threading
from typing import Any


class EventTap:
    def __init__(self, sqs: Any, queue_url: str):
        self._sqs, self._url = sqs, queue_url
        self._seen: list[dict[str, Any]] = []
        self._lock = threading.Lock()

    def events(self) -> list[dict[str, Any]]:
        """Every event delivered so far, each as EventBridge hands it to a target."""
        with self._lock:
            while True:
                messages = self._sqs.receive_message(QueueUrl=self._url, MaxNumberOfMessages=10).get("Messages", [])
                if not messages:
                    break
                self._seen += [json.loads(m["Body"]) for m in messages]
                self._sqs.delete_message_batch(
                    QueueUrl=self._url,
                    Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages)],
                )
            return list(self._seen)
