"""Browser fixtures: the real app served on 127.0.0.1 (a random free port) and headless Chromium.

`live_server` builds the app on the same test database as `tests/conftest.py` (SQLite by default,
PostgreSQL with `CSIRT_TEST_DATABASE_URL`), serves it from a daemon thread with werkzeug and empties
every table afterwards, like the `app` fixture. Its app context stays pushed in the test, so the
factories (`make.user()`, `make.incident()`) seed data the browser then sees.

`browser` is one headless Chromium for the whole session, driven through the Debian chromedriver:
Selenium Manager is never asked to download anything (this machine has no internet). A missing
browser or driver FAILS the suite with a clear message; `make test` installs both.
"""
import os
import shutil
import tempfile
import threading

import pytest
from werkzeug.serving import make_server

from csirt import clock, create_app
from csirt.config import TestConfig
from csirt.extensions import db as _db

CHROMIUM = os.environ.get("CSIRT_CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("CSIRT_CHROMEDRIVER", "/usr/bin/chromedriver")
DESKTOP = (1366, 900)
PHONE = (390, 844)
WAIT_SECONDS = 10


class LiveServer:
    def __init__(self, app, host, port):
        self.app = app
        self.url = f"http://{host}:{port}"

    def __call__(self, path="/"):
        return self.url + path


@pytest.fixture
def live_server(database_url, _schema, tmp_path):
    """The app on http://127.0.0.1:<random port>; its tables are emptied afterwards."""
    from csirt.rules import lookup

    lookup.forget()  # rules read by an earlier test's app are not this test's
    app = create_app(TestConfig(database_url, tmp_path / "instance"))
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="csirt-live-server", daemon=True)
    thread.start()
    ctx = app.app_context()
    ctx.push()
    try:
        yield LiveServer(app, "127.0.0.1", server.server_port)
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()
        _db.session.rollback()
        _db.session.remove()
        with _db.engine.begin() as conn:
            for table in reversed(_db.metadata.sorted_tables):
                conn.execute(table.delete())
        from tests.conftest import _seed

        _seed(_db.engine)  # the next test starts with the seeded rules again, as after `app`
        _db.engine.dispose()
        ctx.pop()
        clock.freeze(None)


def _require_executable(path, package):
    if not (os.path.isfile(path) and os.access(path, os.X_OK)):
        pytest.fail(f"browser tests need {path} (Debian package `{package}`), which is missing; "
                    f"`make test` installs it (`make system-packages`), or run "
                    f"`apt-get install chromium chromium-driver`.", pytrace=False)


@pytest.fixture(scope="session")
def browser():
    """One headless Chromium for the session (Selenium 4, local driver only)."""
    _require_executable(CHROMIUM, "chromium")
    _require_executable(CHROMEDRIVER, "chromium-driver")
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="csirt-chromium-")
    options = Options()
    options.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-quic", "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--disable-extensions",
                "--disable-features=Translate,OptimizationHints,MediaRouter",
                "--hide-scrollbars", "--lang=vi", f"--user-data-dir={profile}",
                f"--window-size={DESKTOP[0]},{DESKTOP[1]}"):
        options.add_argument(arg)
    service = Service(executable_path=CHROMEDRIVER)
    try:
        driver = webdriver.Chrome(service=service, options=options)
    except Exception as err:  # noqa: BLE001 - turn any start-up failure into a readable failure
        shutil.rmtree(profile, ignore_errors=True)
        pytest.fail(f"headless Chromium could not start ({CHROMIUM} with {CHROMEDRIVER}): {err}", pytrace=False)
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def _gone(element):
    """True once `element` no longer belongs to the page: a new page has replaced it.

    Selenium's `staleness_of` knows only the standard "stale element" answer; Chromium, asked about
    a node while the next page is being committed, may answer "Node with given id does not belong
    to the document" as an unknown error instead. Both mean the old page is gone.
    """
    from selenium.common.exceptions import StaleElementReferenceException, WebDriverException
    try:
        element.is_enabled()
    except StaleElementReferenceException:
        return True
    except WebDriverException as error:
        if "does not belong to the document" in str(error):
            return True
        raise
    return False


class Web:
    """What a person does in the browser, with explicit waits (no sleeps)."""

    def __init__(self, driver, server):
        self.driver = driver
        self.server = server

    # --- waiting and finding -------------------------------------------------------------
    def wait(self, timeout=WAIT_SECONDS):
        from selenium.webdriver.support.ui import WebDriverWait
        return WebDriverWait(self.driver, timeout)

    def find(self, css):
        from selenium.webdriver.common.by import By
        from selenium.webdriver.support import expected_conditions as EC
        return self.wait().until(EC.presence_of_element_located((By.CSS_SELECTOR, css)))

    def visible(self, css):
        from selenium.webdriver.common.by import By
        from selenium.webdriver.support import expected_conditions as EC
        return self.wait().until(EC.visibility_of_element_located((By.CSS_SELECTOR, css)))

    def all(self, css):
        from selenium.webdriver.common.by import By
        return self.driver.find_elements(By.CSS_SELECTOR, css)

    def text(self, css="body"):
        return self.find(css).text

    def html_lang(self):
        return self.find("html").get_attribute("lang")

    @property
    def path(self):
        return self.driver.current_url.removeprefix(self.server.url)

    # --- acting ---------------------------------------------------------------------------
    def go(self, path):
        self.driver.get(self.server(path))
        self.find("body")

    def fill(self, css, value):
        element = self.visible(css)
        self.driver.execute_script("arguments[0].scrollIntoView({block: 'center', behavior: 'instant'});", element)
        element.clear()
        element.send_keys(value)
        return element

    def set_value(self, css, value):
        """Set an input by script (for <input type=datetime-local>, whose typing depends on the locale)."""
        element = self.find(css)
        self.driver.execute_script(
            "arguments[0].value = arguments[1];"
            "arguments[0].dispatchEvent(new Event('input', {bubbles: true}));"
            "arguments[0].dispatchEvent(new Event('change', {bubbles: true}));", element, value)
        return element

    def choose(self, css, value):
        from selenium.webdriver.support.ui import Select
        Select(self.visible(css)).select_by_value(value)

    def click(self, css):
        from selenium.webdriver.common.by import By
        from selenium.webdriver.support import expected_conditions as EC
        element = self.wait().until(EC.element_to_be_clickable((By.CSS_SELECTOR, css)))
        self.driver.execute_script("arguments[0].scrollIntoView({block: 'center', behavior: 'instant'});", element)
        element.click()
        return element

    def submit(self, css):
        """Click a button that loads a new page, and wait until the new page is there."""
        from selenium.common.exceptions import WebDriverException
        from selenium.webdriver.common.by import By
        old = self.driver.find_element(By.TAG_NAME, "html")
        try:
            self.click(css)
        except WebDriverException:
            # Chromium can report the click as failed when the navigation it caused removed the
            # button mid-command ("Node ... does not belong to the document"); that is a success
            # only if the page really went away
            if not _gone(old):
                raise
        self.wait().until(lambda driver: _gone(old))
        self.find("body")

    def login(self, user_or_name, password=None):
        from tests import factories
        username = getattr(user_or_name, "username", user_or_name)
        if not self.path.startswith("/login"):
            self.go("/login")
        self.fill("#username", username)
        self.fill("#password", password or factories.PASSWORD)
        self.submit("#login-submit")

    def resize(self, width, height):
        """Make the page's viewport (not the outer window) `width` x `height` CSS pixels."""
        self.driver.set_window_size(width, height)
        inner_w, inner_h = self.js("return [window.innerWidth, window.innerHeight]")
        if (inner_w, inner_h) != (width, height):
            self.driver.set_window_size(2 * width - inner_w, 2 * height - inner_h)

    def js(self, script, *args):
        return self.driver.execute_script(script, *args)


@pytest.fixture
def web(browser, live_server):
    """The session's browser, reset for this test: no cookies, desktop size, blank page."""
    browser.execute_cdp_cmd("Network.clearBrowserCookies", {})
    browser.get("about:blank")
    web = Web(browser, live_server)
    web.resize(*DESKTOP)
    yield web
    browser.execute_cdp_cmd("Network.clearBrowserCookies", {})
    browser.get("about:blank")  # no request reaches the stopped server after the test


DEMO_PASSWORD = "demo-password-2026"


@pytest.fixture
def province(live_server, monkeypatch):
    """The demo province loaded into the live server's database; returns the members' password."""
    from csirt import demo
    from csirt.extensions import db
    from csirt.rules import seed
    from csirt.rules.models import Rule

    monkeypatch.setenv("CSIRT_DEMO_PASSWORD", DEMO_PASSWORD)
    if not db.session.execute(db.select(Rule.id)).first():  # an earlier browser test emptied every table
        with db.engine.begin() as conn:
            seed.insert(conn, Rule.__table__, clock.utcnow())
    demo.load()
    return DEMO_PASSWORD
