"""The recruiter dashboard: server-rendered pages over the API's CampaignService.

`app.include_router(dashboard.router)` serves the pages under /dashboard, their static files
under /dashboard/static, and redirects / to the dashboard.
"""

from api.dashboard.routes import router

__all__ = ["router"]
