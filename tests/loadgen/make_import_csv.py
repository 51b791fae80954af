#!/usr/bin/env python3
"""Writes a CSV of old-system complaints for `p3 import` benchmarks (stdlib only).

usage: python3 tests/loadgen/make_import_csv.py ROWS OUT.csv [--seed N]

Rows are received from January 2023 to the end of November 2026: most acknowledged and
answered at Stage 1 (some extended), some escalated to Stage 2, a few withdrawn, the most
recent still open. Half bring a reference of their own (OLD-nnnnnnn), half none (p3 derives one).
"""
import csv
import random
import sys
from datetime import datetime, timedelta, timezone

COLUMNS = [
    "reference", "received_at", "channel", "category", "name", "email", "phone", "address",
    "postcode", "description", "desired_outcome", "stage1_acknowledged_at",
    "investigating_manager", "stage1_extension_working_days", "stage1_extension_reason",
    "stage1_responded_at", "stage1_outcome", "stage2_requested_at", "stage2_acknowledged_at",
    "reviewer", "stage2_responded_at", "stage2_outcome", "withdrawn_at",
]
CHANNELS = ["web", "phone", "email", "letter", "in_person"]
CATEGORIES = ["repairs", "damp_and_mould", "anti_social_behaviour", "communication", ""]
OUTCOMES = ["upheld", "partly_upheld", "not_upheld"]
MANAGERS = [f"manager{i}@p3.example" for i in range(8)]
REVIEWERS = [f"head{i}@p3.example" for i in range(3)]
START = datetime(2023, 1, 2, tzinfo=timezone.utc)
END = datetime(2026, 11, 30, tzinfo=timezone.utc)


def iso(t):
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def main():
    rows, out = int(sys.argv[1]), sys.argv[2]
    seed = int(sys.argv[sys.argv.index("--seed") + 1]) if "--seed" in sys.argv else 7
    rnd = random.Random(seed)
    span = (END - START).total_seconds()
    with open(out, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=COLUMNS)
        w.writeheader()
        for i in range(rows):
            received = START + timedelta(seconds=int(rnd.random() * span))
            received = received.replace(hour=rnd.randint(8, 17))
            r = {c: "" for c in COLUMNS}
            r.update({
                "reference": f"OLD-{i:07d}" if i % 2 == 0 else "",
                "received_at": iso(received),
                "channel": rnd.choice(CHANNELS),
                "category": rnd.choice(CATEGORIES),
                "name": f"Resident {i}",
                "email": f"resident{i}@example.org",
                "postcode": "AN1 1AA",
                "description": f"Complaint {i}: the repair reported in {received:%B %Y} was not done.",
            })
            age = (END - received).days
            last = received
            if age > 3 or rnd.random() < 0.5:
                ack = received + timedelta(days=rnd.randint(0, 2), hours=1)
                im = rnd.choice(MANAGERS)
                r.update({"stage1_acknowledged_at": iso(ack), "investigating_manager": im})
                last = ack
                if rnd.random() < 0.1:
                    r.update({"stage1_extension_working_days": "5",
                              "stage1_extension_reason": "Waiting for a surveyor's report"})
                if age > 20:
                    resp = ack + timedelta(days=rnd.randint(3, 12))
                    r.update({"stage1_responded_at": iso(resp), "stage1_outcome": rnd.choice(OUTCOMES)})
                    last = resp
                    if age > 60 and rnd.random() < 0.2:
                        req = resp + timedelta(days=rnd.randint(1, 5))
                        ack2 = req + timedelta(days=rnd.randint(0, 3), hours=1)
                        r.update({"stage2_requested_at": iso(req), "stage2_acknowledged_at": iso(ack2),
                                  "reviewer": rnd.choice(REVIEWERS)})
                        last = ack2
                        if rnd.random() < 0.8:
                            resp2 = ack2 + timedelta(days=rnd.randint(5, 25))
                            r.update({"stage2_responded_at": iso(resp2), "stage2_outcome": rnd.choice(OUTCOMES)})
                            last = resp2
                elif rnd.random() < 0.1:
                    r["withdrawn_at"] = iso(last + timedelta(hours=2))
            w.writerow(r)


if __name__ == "__main__":
    main()
