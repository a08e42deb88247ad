"""ActivityWatch's REST shape (``/api/0/…``), so its watchers can report to the hub.

A watcher on this machine needs no token (as with aw-server); a paired device sends its token.
"""

from __future__ import annotations

import socket
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field

from twin.hub import activity
from twin.hub.deps import HubDep, VaultDep

router = APIRouter(prefix="/api/0", tags=["activitywatch"])


class BucketIn(BaseModel):
    client: str = "unknown"
    type: str = "unknown"
    hostname: str = "unknown"


class EventIn(BaseModel):
    timestamp: str
    duration: float = Field(default=0.0, ge=0)
    data: dict[str, Any] = Field(default_factory=dict)

    def event(self) -> activity.AwEvent:
        return activity.AwEvent(None, activity.parse_time(self.timestamp), self.duration, self.data)


@router.get("/info")
def info() -> dict[str, Any]:
    return {
        "hostname": socket.gethostname(),
        "version": "twin-hub",
        "testing": False,
        "device_id": "twin-hub",
    }


@router.get("/buckets")
@router.get("/buckets/")
def list_buckets(vault: VaultDep) -> dict[str, Any]:
    return activity.buckets(vault)


@router.get("/buckets/{bucket_id}")
def get_bucket(vault: VaultDep, bucket_id: str) -> Response:
    found = activity.buckets(vault).get(bucket_id)
    if found is None:
        return JSONResponse({"message": f"there is no bucket {bucket_id!r}"}, status_code=404)
    return JSONResponse(found)


@router.post("/buckets/{bucket_id}")
def create_bucket(request: Request, vault: VaultDep, bucket_id: str, body: BucketIn) -> Response:
    made = activity.create_bucket(
        vault, request.state.device, bucket_id, body.type, body.client, body.hostname
    )
    return Response(status_code=200 if made else 304)


@router.get("/buckets/{bucket_id}/events")
def get_events(vault: VaultDep, bucket_id: str, limit: int = 100) -> list[dict[str, Any]]:
    return [e.describe() for e in activity.events(vault, bucket_id, limit)]


@router.post("/buckets/{bucket_id}/events")
def post_events(
    request: Request, hub: HubDep, vault: VaultDep, bucket_id: str, body: EventIn | list[EventIn]
) -> list[dict[str, Any]]:
    given = body if isinstance(body, list) else [body]
    device = request.state.device
    stored = activity.add_events(vault, device, bucket_id, [e.event() for e in given])
    hub.summaries.touch(vault, device)
    return [e.describe() for e in stored]


@router.post("/buckets/{bucket_id}/heartbeat")
def post_heartbeat(
    request: Request,
    hub: HubDep,
    vault: VaultDep,
    bucket_id: str,
    body: EventIn,
    pulsetime: float = 0.0,
) -> dict[str, Any]:
    device = request.state.device
    merged = activity.heartbeat(vault, device, bucket_id, body.event(), pulsetime)
    hub.summaries.touch(vault, device)
    return merged.describe()
