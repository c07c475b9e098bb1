"""The webhook registration APIs of the fake Jira: ``/rest/webhooks/1.0/webhook`` (Cloud, Server and
Data Center before 10; entries carry a ``self`` link, the filter in ``filters``, ``enabled``) and
``/rest/jira-webhook/1.0/webhooks`` (Data Center 10+; entries carry a numeric ``id``, the filter and the
secret in ``configuration``, ``active``). An instance serves the one of its version and answers 404 on
the other, as Data Center 10 does on the older path."""

from __future__ import annotations

from tests.support.fake_http import Request

LEGACY_API = "/rest/webhooks/1.0/webhook"
DC10_API = "/rest/jira-webhook/1.0/webhooks"


class WebhookAdmin:
    """Mixed into FakeJira: ``webhooks`` holds the registered bodies by number."""

    url: str
    cloud: bool
    major_version: int
    webhooks: dict[int, dict]

    @property
    def webhook_api(self) -> str:
        """The registration path this instance serves."""
        return DC10_API if not self.cloud and self.major_version >= 10 else LEGACY_API

    def webhook_handler(self, request: Request):
        """The handler of a registration request, None when the path is not this instance's API."""
        if request.path == self.webhook_api:
            return {"GET": self.list_webhooks, "POST": self.create_webhook}.get(request.method)
        if request.path.startswith(self.webhook_api + "/"):
            return self.one_webhook
        return None

    def webhook_view(self, number: int) -> dict:
        """A registered webhook as the API shows it."""
        if self.webhook_api == DC10_API:
            return {"createdDate": 1700000000000, "updatedDate": 1700000000000, **self.webhooks[number],
                    "id": number}
        return {**self.webhooks[number], "self": f"{self.url}{LEGACY_API}/{number}"}

    def stored(self, body: dict) -> dict:
        """What a create or update keeps: the body, enabled unless it says otherwise."""
        return {("active" if self.webhook_api == DC10_API else "enabled"): True, **body}

    def list_webhooks(self, request: Request):
        """GET the collection."""
        return 200, [self.webhook_view(n) for n in sorted(self.webhooks)], {}

    def create_webhook(self, request: Request):
        """POST the collection."""
        number = max(self.webhooks, default=0) + 1
        self.webhooks[number] = self.stored(request.json())
        return 201, self.webhook_view(number), {}

    def one_webhook(self, request: Request):
        """GET, PUT or DELETE one webhook by number."""
        number = int(request.path.rsplit("/", 1)[1])
        if number not in self.webhooks:
            return 404, {"errorMessages": ["No webhook with this id"]}, {}
        if request.method == "DELETE":
            del self.webhooks[number]
            return 204, None, {}
        if request.method == "PUT":
            self.webhooks[number] = self.stored({k: v for k, v in request.json().items() if k != "id"})
        return 200, self.webhook_view(number), {}
