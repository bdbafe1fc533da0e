"""Internal HTTP API of the billing service (reached only through the gateway)."""

from fastapi import APIRouter

router = APIRouter(prefix="/internal")
