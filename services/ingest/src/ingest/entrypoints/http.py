"""Internal HTTP API of the ingest service (reached only through the gateway)."""

from fastapi import APIRouter

from ingest.entrypoints import audio_api, calls_api, library_api, participants_api

router = APIRouter(prefix="/internal")
router.include_router(calls_api.router)
router.include_router(audio_api.router)
router.include_router(participants_api.router)
router.include_router(library_api.router)
