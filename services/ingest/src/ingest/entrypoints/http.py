"""Internal HTTP API of the ingest service (reached only through the gateway)."""

from fastapi import APIRouter

router = APIRouter(prefix="/internal")
