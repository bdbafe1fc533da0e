"""Internal HTTP API of the score service (reached only through the gateway)."""

from fastapi import APIRouter

from score.entrypoints import (
    analytics_api,
    rescore_api,
    reviews_api,
    scorecards_api,
    scores_api,
    trackers_api,
)

router = APIRouter(prefix="/internal")
router.include_router(scores_api.router)
router.include_router(trackers_api.router)
router.include_router(scorecards_api.router)
router.include_router(analytics_api.router)
router.include_router(reviews_api.router)
router.include_router(rescore_api.router)
