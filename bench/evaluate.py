"""`tuneline evaluate` on 1,000 records of two models: the whole command (read, score, compare), CPU time.

Records look like a support assistant's evaluation set: references of 10 to 120 words, responses that
paraphrase, shorten or ramble (up to 2x the reference), a JSON answer in one record of ten, four categories.
Target: at most 1 second (best of three). Run alone with `python -m bench.evaluate`.
"""

from __future__ import annotations

import contextlib
import io
import json
import random
import sys
import time
from pathlib import Path

from tuneline.cli import main as tuneline

DATA = Path(__file__).resolve().parent / ".data"
RECORDS = 1000
TARGET_SECONDS = 1.0
RUNS = 3
_WORDS = [
    "account",
    "password",
    "reset",
    "billing",
    "invoice",
    "refund",
    "order",
    "shipping",
    "delivery",
    "address",
    "login",
    "error",
    "page",
    "settings",
    "profile",
    "email",
    "phone",
    "number",
    "support",
    "ticket",
    "subscription",
    "plan",
    "upgrade",
    "cancel",
    "payment",
    "card",
    "bank",
    "transfer",
    "the",
    "a",
    "an",
    "to",
    "of",
    "and",
    "or",
    "in",
    "on",
    "for",
    "with",
    "your",
    "you",
    "we",
    "can",
    "will",
    "please",
    "open",
    "click",
    "select",
    "save",
]
_CATEGORIES = ("billing", "account", "shipping", "other")


def _sentence(rng: random.Random, words: int) -> str:
    text = " ".join(rng.choice(_WORDS) for _ in range(words))
    return text[0].upper() + text[1:] + "."


def _response(rng: random.Random, reference: str, quality: float) -> str:
    if reference.startswith("{"):
        return reference if rng.random() < quality else "Here is the JSON: " + reference
    words = reference.split()
    kept = [word if rng.random() < quality else rng.choice(_WORDS) for word in words]
    extra = _sentence(rng, rng.randint(1, len(words))) if rng.random() > quality else ""
    return " ".join(kept) + (" " + extra if extra else "")


def write_files(folder: Path = DATA) -> tuple[Path, Path]:
    """Two BYOI files of RECORDS records each: the base answers worse than the custom model."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = random.Random(5)
    items = []
    for index in range(RECORDS):
        if index % 10 == 0:
            reference = json.dumps({"intent": rng.choice(_WORDS), "priority": rng.randint(1, 5)})
        else:
            reference = _sentence(rng, rng.randint(10, 120))
        items.append((_sentence(rng, rng.randint(5, 30)).rstrip(".") + "?", reference, _CATEGORIES[index % 4]))
    paths = []
    for model, quality in (("base", 0.55), ("custom", 0.75)):
        path = folder / f"evaluate-{model}.jsonl"
        with path.open("w", encoding="utf-8") as out:
            for prompt, reference, category in items:
                record = {
                    "prompt": prompt,
                    "referenceResponse": reference,
                    "category": category,
                    "modelResponses": [{"response": _response(rng, reference, quality), "modelIdentifier": model}],
                }
                out.write(json.dumps(record) + "\n")
        paths.append(path)
    return paths[0], paths[1]


def run() -> dict[str, object]:
    base, custom = write_files()
    argv = ["evaluate", "--responses", f"base={base}", "--responses", f"custom={custom}", "--format", "json"]
    best_cpu = best_wall = float("inf")
    for _ in range(RUNS):
        output = io.StringIO()
        started_cpu, started_wall = time.process_time(), time.perf_counter()
        with contextlib.redirect_stdout(output):
            code = tuneline(argv)
        best_cpu = min(best_cpu, time.process_time() - started_cpu)
        best_wall = min(best_wall, time.perf_counter() - started_wall)
    verdict = json.loads(output.getvalue())["comparison"]
    print(
        f"tuneline evaluate, {RECORDS} records x 2 models: {best_cpu:.3f} s CPU, {best_wall:.3f} s wall "
        f"(target <= {TARGET_SECONDS} s); exit {code}, rougeL {verdict['baselineMean']:.3f} -> "
        f"{verdict['candidateMean']:.3f}"
    )
    return {"evaluate_records": RECORDS, "evaluate_cpu_s": round(best_cpu, 3), "evaluate_wall_s": round(best_wall, 3)}


def met(results: dict[str, object]) -> bool:
    return float(str(results["evaluate_cpu_s"])) <= TARGET_SECONDS


if __name__ == "__main__":
    sys.exit(0 if met(run()) else 1)
