"""The REST API root: /api/v1/, OpenAPI at /api/v1/openapi.json.

Each app contributes a router from its own api.py; authentication is by API key
(see guanxi.accounts.api_auth).
"""

from ninja import NinjaAPI

api = NinjaAPI(title="Guanxi API", version="1", urls_namespace="api")
