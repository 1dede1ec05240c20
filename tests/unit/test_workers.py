"""How the night is split between workers, and how their summaries add up (workers.py)."""

from __future__ import annotations

import random
from uuid import UUID

from huishoudboekje.workers import chunk_of, merge_summaries


def test_chunks_are_ranges_of_ids_covering_every_chunk_of_about_equal_size():
    rng = random.Random(3)
    ids = sorted((UUID(int=rng.getrandbits(128)) for _ in range(4000)), key=lambda i: i.int)
    chunks = [chunk_of(hid, 8) for hid in ids]
    assert chunks == sorted(chunks)  # in id order: each chunk reads its part of the store front to back
    assert set(chunks) == set(range(8))
    assert all(400 < chunks.count(n) < 600 for n in range(8))
    assert chunk_of(UUID(int=0), 8) == 0 and chunk_of(UUID(int=(1 << 128) - 1), 8) == 7


def test_the_workers_summaries_add_up_to_one_nights():
    one = {"through": "2026-12-01", "households_paid": 3, "instructions": 9, "total": "1000.10", "advanced": "0.00",
           "repaid": "5.00", "arrears": 1, "payment_files": [], "held": [{"dossier": "B", "reason": "iban"}],
           "escalated": []}
    other = {"through": "2026-12-01", "households_paid": 2, "instructions": 6, "total": "0.20", "advanced": "250.00",
             "repaid": "0.00", "arrears": 0, "payment_files": ["f.xml"], "held": [{"dossier": "A", "reason": "x"}],
             "escalated": ["f.xml"]}
    merged = merge_summaries([one, other])
    assert merged == {"through": "2026-12-01", "households_paid": 5, "instructions": 15, "arrears": 1,
                      "total": "1000.30", "advanced": "250.00", "repaid": "5.00", "payment_files": ["f.xml"],
                      "held": [{"dossier": "A", "reason": "x"}, {"dossier": "B", "reason": "iban"}],
                      "escalated": ["f.xml"]}
