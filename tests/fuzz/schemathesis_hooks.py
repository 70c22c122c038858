"""Schemathesis hooks for the REST fuzz suite (tests/fuzz/rest-fuzz.test.ts).

Loaded through SCHEMATHESIS_HOOKS; reads FUZZ_TARGETS_FILE, a JSON file the test writes:
  {"ownIds": [...], "foreignIds": [...], "foreignMarker": "..."}
ownIds are objects of the tenant being fuzzed, foreignIds and foreignMarker belong to a
second tenant that the fuzzed identities must never see.
"""

import json
import os
import zlib

import schemathesis

with open(os.environ["FUZZ_TARGETS_FILE"], encoding="utf-8") as targets_file:
    TARGETS = json.load(targets_file)

OWN_IDS = TARGETS["ownIds"]
FOREIGN_IDS = TARGETS["foreignIds"]
FOREIGN_MARKER = TARGETS["foreignMarker"]
# Random ids almost never exist: half of the id-shaped values are swapped for real ones,
# ours (to reach the handlers behind the 404) and the other tenant's (to probe isolation).
POOL = OWN_IDS + FOREIGN_IDS


def _pick(value):
    """A real id for about half of the generated values; deterministic, so shrinking works."""
    slot = zlib.crc32(repr(value).encode()) % (2 * len(POOL))
    return POOL[slot] if slot < len(POOL) else value


def _is_id_field(name):
    return name == "id" or name.endswith("Id")


@schemathesis.hook
def map_path_parameters(ctx, path_parameters):
    if not path_parameters:
        return path_parameters
    return {name: _pick(value) if _is_id_field(name) else value for name, value in path_parameters.items()}


@schemathesis.hook
def map_body(ctx, body):
    if not isinstance(body, dict):
        return body
    mapped = dict(body)
    for name, value in body.items():
        if _is_id_field(name) and isinstance(value, str):
            mapped[name] = _pick(value)
        elif name.endswith("Ids") and isinstance(value, list):
            mapped[name] = [_pick(item) if isinstance(item, str) else item for item in value]
    return mapped


@schemathesis.check
def no_foreign_tenant_data(ctx, response, case):
    """Nothing of the other tenant reaches us: not its text, and no success naming its objects.

    An error may echo an id the request itself named ("no ticket <id>"); a success that names
    a foreign object, or any answer with the foreign marker, is a tenant-isolation failure.
    """
    text = response.content.decode("utf-8", errors="replace")
    sent = f"{response.request.url} {response.request.body!r}"
    if FOREIGN_MARKER in text and FOREIGN_MARKER not in sent:
        raise AssertionError(f"response carries text of another tenant (marker {FOREIGN_MARKER})")
    for foreign_id in FOREIGN_IDS:
        if foreign_id not in text:
            continue
        if response.status_code < 400:
            raise AssertionError(f"{response.status_code} response names object {foreign_id} of another tenant")
        if foreign_id not in sent:
            raise AssertionError(f"error response names object {foreign_id} of another tenant that the request did not")
    return None
