"""What a person sees: Swagger UI, GraphiQL (running a query with a read token) and the
dashboard (after its login), in headless Chromium with every host but loopback
unreachable.  Each page must render and work from this server's own assets alone.

Screenshots go to $INVENTORY_SCREENSHOTS (docs/screenshots for the README) or a temporary
folder."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from playwright.sync_api import Page, sync_playwright

from dev.stack import Stack, browser_url
from worker.runtime import Runtime

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


@pytest.fixture(scope="module")
def api(stack: Stack, collected: Runtime) -> str:
    if "api" not in stack.procs:
        stack.start(stack.api())
    return f"http://127.0.0.1:{stack.ports.api}"


@pytest.fixture(scope="module")
def shots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = os.environ.get("INVENTORY_SCREENSHOTS")
    return Path(folder) if folder else tmp_path_factory.mktemp("screenshots")


@pytest.fixture
def page() -> Iterator[tuple[Page, list[str]]]:
    """A page of a Chromium that can resolve no host but loopback, and the URL of every
    request it makes."""
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--no-first-run",
                "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
            ],
        )
        tab = browser.new_page(viewport={"width": 1280, "height": 800})
        requests: list[str] = []
        tab.on("request", lambda r: requests.append(r.url))
        try:
            yield tab, requests
        finally:
            browser.close()


def _only_loopback(requests: list[str]) -> None:
    hosts = {urlsplit(u).hostname for u in requests if not u.startswith(("data:", "blob:"))}
    assert hosts == {"127.0.0.1"}, hosts


def test_swagger_ui_renders_every_operation_offline(
    api: str, page: tuple[Page, list[str]], shots: Path
) -> None:
    tab, requests = page
    tab.goto(f"{api}/docs")
    spec = httpx.get(f"{api}/openapi.json", timeout=30).json()
    methods = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}
    operations = sum(m in methods for ops in spec["paths"].values() for m in ops)
    # Every operation of the document is loaded ...
    tab.wait_for_function(
        "n => typeof ui !== 'undefined' && ui.specSelectors.operations().size === n",
        arg=operations,
        timeout=60_000,
    )
    assert "Inventory" in tab.inner_text(".swagger-ui .info .title")
    assert tab.locator(".swagger-ui .errors-wrapper").count() == 0
    # ... and rendered down to the last one (Swagger UI draws only what is near the
    # viewport, so scroll until the last section's operation shows).
    tab.wait_for_function(
        """() => { window.scrollTo(0, document.body.scrollHeight);
            return [...document.querySelectorAll('.swagger-ui .opblock-summary-path')]
                .some(e => e.innerText.trim() === '/healthz'); }""",
        timeout=60_000,
        polling=500,
    )
    # The operation to try, wherever it sits: scroll until Swagger UI has drawn it.
    tab.wait_for_function(
        """() => { const found = [...document.querySelectorAll('.swagger-ui .opblock-summary-path')]
                .find(e => e.innerText.trim() === '/api/v1/kinds');
            if (found) { found.scrollIntoView(); found.dataset.tried = 'yes'; return true; }
            const end = window.scrollY + window.innerHeight >= document.body.scrollHeight;
            window.scrollTo(0, end ? 0 : window.scrollY + window.innerHeight / 2);
            return false; }""",
        timeout=60_000,
        polling=300,
    )
    tab.locator(".opblock-summary-path[data-tried]").click()
    tab.wait_for_selector("text=Try it out", timeout=10_000)
    tab.screenshot(path=str(shots / "swagger-ui.png"))
    _only_loopback(requests)


def test_graphiql_runs_a_query_with_a_read_token_offline(
    api: str, stack: Stack, page: tuple[Page, list[str]], shots: Path
) -> None:
    tab, requests = page
    tab.goto(f"{api}/graphql")
    tab.wait_for_selector(".graphiql-container .graphiql-execute-button", timeout=30_000)
    headers = tab.locator(".graphiql-editor-tool .graphiql-editor").last
    headers.click()
    tab.keyboard.press("Control+A")
    tab.keyboard.type(f'{{"Authorization": "Bearer {stack.secrets.read_token}"}}')
    query = tab.locator(".graphiql-query-editor .graphiql-editor").first
    query.click()
    tab.keyboard.press("Control+A")
    tab.keyboard.type('{ awsVpcs(filter: {name: "main-prod"}) { name subnets { uid ')
    tab.locator(".graphiql-execute-button").click()
    result = tab.locator(".graphiql-response")
    result.locator("text=main-prod").first.wait_for(timeout=30_000)
    assert "subnet-" in result.inner_text() and "errors" not in result.inner_text()
    tab.screenshot(path=str(shots / "graphiql.png"))
    _only_loopback(requests)


def test_the_dashboard_after_its_login_offline(
    api: str, stack: Stack, page: tuple[Page, list[str]], shots: Path
) -> None:
    tab, requests = page
    tab.goto(f"{api}/dashboard/")
    assert tab.url.endswith("/dashboard/login")  # no session yet
    tab.fill("input[name=token]", stack.secrets.admin_token)
    tab.click("input[type=submit]")
    tab.wait_for_url(f"{api}/dashboard/", timeout=30_000)
    for queue in ("inventory.high", "inventory.default", "inventory.low"):
        assert queue in tab.content()
    assert stack.secrets.admin_token not in tab.url
    tab.screenshot(path=str(shots / "dashboard.png"))
    _only_loopback(requests)


def test_the_neo4j_browser_url_fills_in_the_connection_but_the_password(
    stack: Stack, page: tuple[Page, list[str]]
) -> None:
    tab, _ = page
    tab.goto(browser_url(stack.ports.http, stack.ports.bolt))
    address = tab.locator("[data-testid=boltaddress]")
    address.wait_for(timeout=60_000)
    assert tab.locator("[data-testid=bolt-scheme-select]").input_value() == "neo4j://"
    assert address.input_value() == f"127.0.0.1:{stack.ports.bolt}"
    assert tab.locator("[data-testid=database]").input_value() == "neo4j"
    assert tab.locator("[data-testid=username]").input_value() == "neo4j"
    # A new user types only the password, and is in.
    tab.fill("[data-testid=password]", stack.secrets.neo4j_password)
    tab.locator("[data-testid=connect]").click()
    # With every host but loopback unreachable: Neo4j's own Browser page also asks for
    # Google's fonts, Segment, Canny and Sentry (which ones varies), and works without them.
    tab.get_by_text("You are connected as user").first.wait_for(timeout=60_000)
