"""Checks run on every page of the browser journeys, and the few steps the journeys share.

``Journey.visit(page, "name")`` keeps a screenshot of the page in
``test-artifacts/screenshots/<journey>/<NN>-<name>.png`` (CI keeps that folder) and asserts that the
page has exactly one <h1>, that nothing went wrong in the browser (console errors, which include CSP
violations and failed loads; uncaught exceptions), that axe-core finds no serious or critical
violation, and that a keyboard user can use it: there is one main landmark, the first Tab reaches a
visible skip link, Enter on it moves focus into the main content, and every control Tab reaches
there shows a visible focus indicator.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

from conftest import PASSWORD

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"

# How many Tab stops of the main content are checked on each page: every control of the longest
# journey page (a date field takes three; a staff home lists its queues before the menu).
FOCUS_STEPS = 100

# What can change when an element receives focus; at least one of them must.
_FOCUS_STYLE_JS = """
el => {
  const s = getComputedStyle(el);
  return {
    outline: s.outlineStyle !== "none" && parseFloat(s.outlineWidth) > 0
      ? s.outlineStyle + " " + s.outlineWidth + " " + s.outlineColor : "none",
    boxShadow: s.boxShadow,
    border: s.borderTopColor + " " + s.borderBottomColor + " " + s.borderBottomWidth,
    background: s.backgroundColor,
    color: s.color,
    textDecoration: s.textDecorationLine,
  };
}
"""

_DESCRIBE_JS = """
el => el === document.body ? "body" : el.tagName.toLowerCase()
  + (el.id ? "#" + el.id : "") + (el.name ? "[name=" + el.name + "]" : "")
  + " " + (el.innerText || el.value || el.getAttribute("aria-label") || "").trim().slice(0, 40)
"""


# Every CSP violation of every document, kept where the checks can read it (init scripts are not
# subject to the page's CSP; the console reports violations too, but not those of every kind).
_CSP_LISTENER = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", e =>
  window.__cspViolations.push(e.violatedDirective + " " + (e.blockedURI || "inline")));
"""


def watch(page: Any) -> Any:
    """Collect console messages, uncaught errors and CSP violations of ``page``."""
    if not isinstance(getattr(page, "console_messages", None), list):
        page.console_messages = []
        page.on("console", lambda msg: page.console_messages.append(msg))
        page.page_errors = []
        page.on("pageerror", lambda err: page.page_errors.append(err))
    if not getattr(page, "csp_watched", False):
        page.add_init_script(_CSP_LISTENER)
        page.csp_watched = True
    return page


DESKTOP = {"width": 1366, "height": 768}
PHONE = {"width": 390, "height": 844}

# What a Japanese page must not show its reader: ISO 8601 / UTC times, and codes written for
# programs (snake_case or UPPER_CASE words, English status words, "crl: good").
_RAW = [
    ("an ISO time", re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}|[+-]00:00\b|\bUTC\b")),
    # A Japanese label takes a full-width colon or none (Django's default suffix is ":").
    ("a half-width colon", re.compile(r"[^\x00-\x7f] ?:(?!//)")),
    ("a code", re.compile(r"\b[a-z]+(?:_[a-z]+)+\b|\b[A-Z]+(?:_[A-Z]+)+\b")),
    (
        "an English status word",
        re.compile(
            r"\b(?:valid|invalid|expired|revoked|superseded|unknown|pending|good|passed|failed|active|draft)\b", re.I
        ),
    ),
]
# Addresses, file names, URLs and digests are data, not words.
_DATA = re.compile(r"\S+@\S+|https?://\S+|\b[\w.-]+\.(?:pdf|xml|p7s|jws|json|csv)\b|\b[0-9a-f]{16,}\b", re.I)


# Identifiers are marked up as such wherever they are shown: <code> for names and values written for
# programs (an API page's field names, a digest), <data> or translate="no" for the IDs of items (a
# delegation ID, a serial number), each beside its Japanese explanation. The checks read the visible
# text without them; every other word must read as Japanese. Hidden through the CSSOM, which the
# page's CSP allows, then restored.
IDENTIFIERS = "code, data, [translate=no]"
_TEXT_WITHOUT_IDENTIFIERS_JS = """
selector => {
  const ids = [...document.querySelectorAll(selector)];
  const before = ids.map(e => e.style.display);
  ids.forEach(e => { e.style.display = "none"; });
  const text = document.body.innerText;
  ids.forEach((e, i) => { e.style.display = before[i]; });
  return text;
}
"""


def text_without_identifiers(page: Any) -> str:
    """The visible text of the page without the identifiers marked up as such."""
    return str(page.evaluate(_TEXT_WITHOUT_IDENTIFIERS_JS, IDENTIFIERS))


# Words of Latin script allowed on a Japanese admin page: proper names and standard abbreviations.
ALLOWED = {"MynaTrust", "e-LOA", "LOA", "SHA", "J-LIS", "LIS", "API", "ID", "CSV", "JSON", "PDF", "XML", "CRL", "TOTP"}
ALLOWED |= {"JPKI", "PKI", "Web", "NTA", "OID", "URL", "HSM", "PEM", "KB", "MB"}


def english_words(text: str) -> list[str]:
    """The words of Latin script in ``text`` that are neither allowed names nor data (e-mail
    addresses, fingerprints). Identifiers are not taken out here: the page marks them up."""
    text = re.sub(r"[\w.+-]+@[\w.-]+", " ", text)  # e-mail addresses are names
    text = re.sub(r"\b[0-9A-Fa-f:]{16,}\b", " ", text)  # fingerprints and hashes
    words = [w.strip("-") for w in re.findall(r"[A-Za-z][A-Za-z-]{2,}", text)]
    return sorted({w for w in words if w not in ALLOWED})


def assert_no_english_words(page: Any, name: str, *names: str) -> None:
    """No English word on a Japanese page but allowed names, the people's ``names`` as they were
    entered and the identifiers the page marks up as such."""
    text = re.sub(r"[\w.+-]+@[\w.-]+", " ", text_without_identifiers(page))  # before a name cuts one
    for person in names:
        text = re.sub(re.escape(person), " ", text, flags=re.IGNORECASE)
    assert english_words(text) == [], f"{name}: {english_words(text)}"


def is_staff_page(page: Any) -> bool:
    return "/staff-admin/" in page.url


def assert_reads_japanese(page: Any, name: str) -> None:
    """No raw code, ISO/UTC time, English status word or half-width colon after Japanese text in the
    visible text of a Japanese page."""
    if page.evaluate("document.documentElement.lang") != "ja":
        return
    text = _DATA.sub(" ", text_without_identifiers(page))
    found = [(what, m.group(0)) for what, pattern in _RAW for m in pattern.finditer(text)]
    assert found == [], f"{name}: {found[:10]}"


# The browser's own controls in these fields (a date's 年/月/日 and its picker button, a file field's
# 選択されていません) speak the browser's language, not the page's.
BROWSER_WIDGETS = "input[type=date], input[type=time], input[type=datetime-local], input[type=month], input[type=file]"


def browser_widget_words(page: Any) -> list[str]:
    """What the browser itself says in the page's date, time and file fields, as a screen reader
    hears it (names and values in the accessibility tree, through CDP)."""
    if page.locator(BROWSER_WIDGETS).count() == 0:
        return []
    cdp = page.context.new_cdp_session(page)
    try:
        root = cdp.send("DOM.getDocument", {"depth": 0})["root"]["nodeId"]
        found = cdp.send("DOM.querySelectorAll", {"nodeId": root, "selector": BROWSER_WIDGETS})["nodeIds"]
        fields = {cdp.send("DOM.describeNode", {"nodeId": n})["node"]["backendNodeId"] for n in found}
        nodes = cdp.send("Accessibility.getFullAXTree")["nodes"]
    finally:
        cdp.detach()
    by_id = {n["nodeId"]: n for n in nodes}
    words: list[str] = []
    todo = [n for n in nodes if n.get("backendDOMNodeId") in fields]
    for field in todo:
        words.append(str(field.get("value", {}).get("value") or ""))  # a file field's 選択されていません
    while todo:
        node = todo.pop()
        children = [by_id[c] for c in node.get("childIds", []) if c in by_id]
        words += [str(c.get("name", {}).get("value") or "") for c in children]
        todo += children
    return [w for w in words if w.strip()]


def assert_browser_speaks_japanese(page: Any, name: str) -> None:
    """The browser's own words in the page's fields are Japanese (年/月/日, not Month/Day/Year)."""
    if page.evaluate("document.documentElement.lang") != "ja":
        return
    words = browser_widget_words(page)
    assert english_words(" ".join(words)) == [], f"{name}: the browser's own words {words}"


def assert_no_sideways_scroll(page: Any, name: str) -> None:
    """At 390 px nothing pushes the page wider than the screen (long digests, tables, IDs)."""
    widths = page.evaluate(
        "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth,"
        " [...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right >"
        " document.documentElement.clientWidth + 1).slice(-3).map(e => e.tagName + '.' + e.className)]"
    )
    assert widths[0] <= widths[1], f"{name}: {widths[0]} px wide at {widths[1]} px: {widths[2]}"


class Journey:
    """One journey's screenshots and page checks; ``pages`` counts the pages checked with axe."""

    def __init__(self, name: str, page: Any) -> None:
        watch(page)
        self.folder = SCREENSHOTS / name
        shutil.rmtree(self.folder, ignore_errors=True)
        self.folder.mkdir(parents=True)
        self.pages = 0

    def new_page(self, browser: Any) -> Any:
        """A second person's browser (its own cookies), watched like the ``page`` fixture."""
        return watch(browser.new_context(locale="ja-JP").new_page())

    def visit(self, page: Any, name: str) -> None:
        page.wait_for_load_state()
        self.pages += 1
        page.set_viewport_size(DESKTOP)
        page.screenshot(path=self.folder / f"{self.pages:02d}-{name}.png", full_page=True)
        assert page.locator("h1").count() == 1, f"{name}: {page.locator('h1').count()} <h1>"
        assert_no_browser_errors(page)
        assert_accessible(page, name)
        assert_keyboard_usable(page, name)
        if not is_staff_page(page):
            assert_reads_japanese(page, name)
            assert_browser_speaks_japanese(page, name)
            page.set_viewport_size(PHONE)
            page.screenshot(path=self.folder / f"{self.pages:02d}-{name}-390.png", full_page=True)
            assert_no_sideways_scroll(page, name)
            page.set_viewport_size(DESKTOP)


def assert_no_browser_errors(page: Any) -> None:
    watch(page)
    errors = [m.text for m in page.console_messages if m.type == "error"]
    errors += [str(e) for e in page.page_errors]
    errors += page.evaluate("window.__cspViolations || []")
    assert errors == [], f"{page.url}: {errors}"


def assert_accessible(page: Any, name: str) -> None:
    """No serious or critical axe-core finding (axe runs offline in the page)."""
    from axe_playwright_python.sync_playwright import Axe

    violations = Axe().run(page).response["violations"]
    serious = [
        (v["id"], v["help"], [n["html"] for n in v["nodes"]][:5])
        for v in violations
        if v["impact"] in ("serious", "critical")
    ]
    assert serious == [], f"{name}: {serious}"


def assert_keyboard_usable(page: Any, name: str) -> None:
    """One main landmark, a working skip link, a visible focus indicator on each control of the main content."""
    assert page.locator("main, [role=main]").count() == 1, f"{name}: one main landmark"
    _focus_from_the_top(page)
    page.keyboard.press("Tab")
    first = page.evaluate_handle("document.activeElement")
    href = first.evaluate("el => el.tagName === 'A' ? el.getAttribute('href') || '' : ''")
    assert href.startswith("#"), f"{name}: the first Tab does not reach a skip link"
    box = first.evaluate("el => el.getBoundingClientRect().toJSON()")
    assert box["width"] > 0 and box["height"] > 0 and box["left"] >= 0 and box["top"] >= 0, (
        f"{name}: the skip link is not visible when focused"
    )
    page.keyboard.press("Enter")
    inside = page.evaluate(
        "target => { const t = document.getElementById(target); const a = document.activeElement;"
        " return !!t && (t === a || t.contains(a)) && !!t.closest('main, [role=main]') }",
        href[1:],
    )
    assert inside, f"{name}: the skip link does not move focus into the main content"
    # Following the link added its fragment to the address, and a redirect would carry it on.
    page.evaluate("history.replaceState(history.state, '', location.pathname + location.search)")
    _assert_focus_indicators(page, name)


def _focus_from_the_top(page: Any) -> None:
    # Sequential navigation from the start of the document, as on a page without autofocus (the
    # sign-in forms put the cursor in their first field; a keyboard user there needs no skip link).
    page.evaluate(
        "() => { const b = document.body; b.setAttribute('tabindex', '-1'); b.focus(); b.removeAttribute('tabindex'); }"
    )


def _assert_focus_indicators(page: Any, name: str) -> None:
    # Each control's style is taken while Tab has focused it and again once Tab has moved on, so
    # nothing but the keyboard moves the focus (a date field keeps it over its three parts).
    seen: list[tuple[Any, dict[str, str], str]] = []
    for _ in range(FOCUS_STEPS):
        page.keyboard.press("Tab")
        element = page.evaluate_handle("document.activeElement")
        if seen and element.evaluate("(el, prev) => el === prev", seen[-1][0]):
            continue
        if not element.evaluate("el => !!el.closest('main, [role=main]')"):
            break
        seen.append((element, element.evaluate(_FOCUS_STYLE_JS), element.evaluate(_DESCRIBE_JS)))
    else:
        raise AssertionError(f"{name}: more Tab stops in the main content than the {FOCUS_STEPS} checked")
    missing = [
        description
        for element, focused, description in seen
        if focused["outline"] == "none"
        and focused == element.evaluate(_FOCUS_STYLE_JS)
        and not description.startswith("iframe")  # an embedded document (the evidence PDF) draws its own
    ]
    assert missing == [], f"{name}: no visible focus indicator on {missing}"


# --- steps the journeys share ----------------------------------------------------------------


def current_totp(user: Any) -> str:
    from django_otp.oath import totp
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.get(user=user)
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"


def admin_sign_in(page: Any, live_server: Any, user: Any, password: str = PASSWORD) -> None:
    """Password, then the authenticator code, with no page checks (for tests that check the pages
    after the sign-in)."""
    page.goto(f"{live_server.url}/staff-admin/")
    page.locator("#id_username").fill(user.email)
    page.locator("#id_password").fill(password)
    page.locator("input[type=submit]").click()
    page.wait_for_url(re.compile(r"/otp/verify/"))
    page.locator("#id_token").fill(current_totp(user))
    page.locator("input[type=submit]").click()
    page.wait_for_url(re.compile(r"/staff-admin/$"))


def staff_sign_in(journey: Journey, page: Any, live_server: Any, user: Any) -> None:
    """Password, then the authenticator code, in the admin's own forms."""
    page.goto(f"{live_server.url}/staff-admin/")
    journey.visit(page, "admin-login")
    page.locator("#id_username").fill(user.email)
    page.locator("#id_password").fill(PASSWORD)
    page.locator("input[type=submit]").click()
    page.wait_for_url(re.compile(r"/otp/verify/"))
    journey.visit(page, "admin-otp")
    page.locator("#id_token").fill(current_totp(user))
    page.locator("input[type=submit]").click()
    page.wait_for_url(re.compile(r"/staff-admin/$"))
    journey.visit(page, "admin-index")


def open_in_admin(journey: Journey, browser: Any, live_server: Any, user: Any, model: str, item: str, step: str) -> Any:
    """A staff member's own browser: signed in, the ``model`` list of the index, then ``item`` in it."""
    desk = journey.new_page(browser)
    staff_sign_in(journey, desk, live_server, user)
    click_through(journey, desk, desk.locator("#content-main").get_by_role("link", name=model, exact=True), f"{step}s")
    click_through(journey, desk, desk.get_by_role("link", name=item), step)
    return desk


def sign_in(journey: Journey, page: Any, live_server: Any, audience: str, email: str) -> None:
    """``audience`` is ``app`` (subscriber staff) or ``recipient``."""
    page.goto(f"{live_server.url}/{audience}/login/")
    journey.visit(page, f"{audience}-login")
    page.locator("#id_username").fill(email)
    page.locator("#id_password").fill(PASSWORD)
    page.get_by_role("button", name="ログイン").click()
    page.wait_for_url(re.compile(rf"/{audience}/$"))


def tab_to(page: Any, text: str, *, limit: int = 60) -> None:
    """Press Tab until the focused control is the one a person looks for (by its text or label)."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        name = page.evaluate(
            "() => { const el = document.activeElement; if (el === document.body) return '';"
            " const label = el.labels && el.labels.length ? el.labels[0].innerText : '';"
            " return (el.innerText || label || el.value || el.getAttribute('aria-label') || '').trim() }"
        )
        if text in name:
            return
    raise AssertionError(f"Tab never reached {text!r}")


def click_through(journey: Journey, page: Any, target: Any, name: str) -> None:
    """Click a link or button that loads another page, and check that page."""
    with page.expect_navigation():
        target.click()
    journey.visit(page, name)


def press_on(journey: Journey, page: Any, text: str, url: str, name: str) -> None:
    """Tab to a link or button and press Enter; the next page (its address matching ``url``) is checked.

    The wait is for the navigation Enter starts: a confirmation step answers at the address of the
    form it leaves, which already matched before the answer arrived."""
    tab_to(page, text)
    with page.expect_navigation(url=re.compile(url)):
        page.keyboard.press("Enter")
    journey.visit(page, name)


def in_thread(function: Any, *args: Any) -> Any:
    """Run ``function`` in another thread: pyHanko's synchronous signing starts an event loop, which
    cannot run beside Playwright's in the test thread."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(function, *args).result()


def confirm_every_nta_row(page: Any) -> None:
    """On an approval page: 一致 on each row of the NTA record."""
    for row in page.locator(".nta-row").all():
        row.get_by_label("一致", exact=True).check()


# --- tables wider than the screen ------------------------------------------------------------


_NEXT_FRAMES = (
    "() => new Promise(done => requestAnimationFrame(() => requestAnimationFrame(() => requestAnimationFrame(done))))"
)


def assert_table_scrolls_with_a_hint(page: Any, region_name: str, width: int, *, hint_words: str) -> None:
    """At ``width`` px: the table in the region ``region_name`` scrolls inside its own box (the page
    does not scroll sideways); the box's first line, in ``hint_words``, is shown, read as the box's
    description and present in the accessibility tree exactly when the table is wider than the box;
    a keyboard user reaches the box with Tab and scrolls it with the arrow keys then, and Tab passes
    it by when there is nothing to scroll; axe finds nothing serious and the browser reports no
    error."""
    page.set_viewport_size({"width": width, "height": 900})
    page.wait_for_load_state()
    region = page.get_by_role("region", name=region_name, exact=True)
    hint = region.locator(".scroll-hint")
    wider = region.evaluate("el => el.scrollWidth > el.clientWidth + 1")
    name = f"{region_name} {width}"
    page.evaluate(_NEXT_FRAMES)  # what the page does on a resize, it does within a frame or two
    assert hint.is_visible() == wider, f"{name}: wider {wider}, hint shown {hint.is_visible()}"
    description, read = _what_a_screen_reader_hears(page, region_name, hint_words)
    assert (hint_words in description) == wider, f"{name}: wider {wider}, described as {description!r}"
    assert read == wider, f"{name}: wider {wider}, hint in the accessibility tree {read}"
    assert _tab_reaches(page, region) == wider, f"{name}: wider {wider}, reached by Tab {not wider}"
    if wider:
        assert hint_words in hint.inner_text()
        page.keyboard.press("ArrowRight")
        page.wait_for_function("el => el.scrollLeft > 0", arg=region.element_handle())
        region.evaluate("el => { el.scrollLeft = 0; }")
    assert_no_sideways_scroll(page, name)
    assert_accessible(page, name)
    assert_no_browser_errors(page)


def _what_a_screen_reader_hears(page: Any, region_name: str, words: str) -> tuple[str, bool]:
    """Chromium's own accessibility tree, as a screen reader receives it: the description of the
    region ``region_name``, and whether any node it exposes reads ``words``."""
    session = page.context.new_cdp_session(page)
    try:
        nodes = [n for n in session.send("Accessibility.getFullAXTree")["nodes"] if not n.get("ignored")]
    finally:
        session.detach()

    def value(node: dict[str, Any], key: str) -> str:
        return str(node.get(key, {}).get("value", ""))

    regions = [n for n in nodes if value(n, "role") == "region" and value(n, "name") == region_name]
    assert len(regions) == 1, f"{region_name}: {len(regions)} regions in the accessibility tree"
    read = any(words in value(n, "name") for n in nodes if value(n, "role") in ("StaticText", "paragraph"))
    return value(regions[0], "description"), read


def _tab_reaches(page: Any, target: Any, *, limit: int = FOCUS_STEPS) -> bool:
    """Whether Tab, pressed from the top of the page, stops on ``target`` (left focused if so)."""
    _focus_from_the_top(page)
    for _ in range(limit):
        page.keyboard.press("Tab")
        if target.evaluate("el => el === document.activeElement"):
            return True
        if page.evaluate("document.activeElement === document.body"):
            return False
    return False
