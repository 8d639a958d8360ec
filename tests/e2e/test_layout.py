"""Layout as a person sees it: the incident filters at 1366 px and on a phone, the language switch
on a phone, and a focus ring that shows on the dark navigation bar."""
import re

import pytest
from flask_babel import force_locale, ngettext

from .conftest import PHONE
from .test_browser import tr

pytestmark = pytest.mark.e2e

LAPTOP = (1366, 768)
LAPTOP_WITH_SCROLLBAR = (1350, 768)  # the headless browser hides scrollbars; a person has one
FILTERS = ("#q", "#f-status", "#f-severity", "#f-category", "#f-agency", "#f-assignee", "#f-sort", "#f-dir",
           "#apply-filters")

# the box's width against what its longest option needs (text in the box's own font, plus its
# padding, which holds the arrow, and its borders)
MEASURE_SELECT = """
const s = arguments[0], cs = getComputedStyle(s), box = s.getBoundingClientRect();
const ctx = document.createElement("canvas").getContext("2d");
ctx.font = cs.font;
const frame = ["paddingLeft", "paddingRight", "borderLeftWidth", "borderRightWidth"]
  .reduce((sum, k) => sum + parseFloat(cs[k]), 0);
return {width: box.width, left: box.left, right: box.right, viewport: document.documentElement.clientWidth,
        options: Array.from(s.options).map(o => [o.text, ctx.measureText(o.text).width + frame])};
"""


def _seed_list(make, count=30):
    coordinator = make.user("coordinator", full_name="Nguyễn Đức Thắng")
    make.raw_incidents(count, coordinator.agency, coordinator)
    make.raw_incidents(3, coordinator.agency, coordinator, status="closed", title="Sự cố đã đóng")
    return coordinator


@pytest.mark.parametrize("size", [LAPTOP, LAPTOP_WITH_SCROLLBAR, (1024, 768)], ids=lambda s: f"{s[0]}x{s[1]}")
def test_the_sort_and_status_boxes_show_their_whole_text_on_a_laptop(web, make, size):
    web.resize(*size)
    web.login(_seed_list(make))
    web.go("/incidents")
    for css in FILTERS:
        box = web.visible(css).rect
        assert box["x"] >= 0 and box["x"] + box["width"] <= size[0], f"{css} sticks out of the page: {box}"
    for css in ("#f-status", "#f-sort", "#f-dir"):
        m = web.js(MEASURE_SELECT, web.find(css))
        cut = [f"{text!r} needs {need:.0f}px" for text, need in m["options"] if need > m["width"] + 0.5]
        assert not cut, f"{css} is {m['width']:.0f}px wide at {size[0]}px: {cut}"
    if size[0] >= LAPTOP_WITH_SCROLLBAR[0]:  # a 1366 px laptop sees every filter on one line
        tops = {round(web.find(css).rect["y"]) for css in FILTERS[1:]}
        assert len(tops) == 1, f"the filters wrap at {size[0]}px: {tops}"


def test_on_a_phone_the_filters_fold_behind_a_button_that_counts_the_active_ones(web, make):
    web.resize(*PHONE)
    web.login(_seed_list(make))
    web.go("/incidents")
    toggle = web.visible("#filters-toggle")
    assert toggle.text.strip() == tr("Filters"), "no count while no filter is in use"
    assert not web.find("#f-status").is_displayed(), "the filters are folded on a phone"
    first_row = web.find(".table-incidents tbody tr").rect
    assert first_row["y"] + first_row["height"] <= PHONE[1], "the first incident is on the first screen"

    web.click("#filters-toggle")
    web.visible("#f-status")
    assert toggle.get_attribute("aria-expanded") == "true"
    web.choose("#f-status", "closed")
    web.fill("#q", "đã đóng")
    web.submit("#apply-filters")

    assert re.search(r"[?&]status=closed", web.path)
    assert len(web.all(".table-incidents tbody tr")) == 3
    assert not web.find("#f-status").is_displayed(), "the result page shows the list, filters folded"
    assert web.text("#active-filters") == "2"
    with force_locale("vi"):
        in_use = ngettext("%(num)d active", "%(num)d active", 2)
    label = " ".join(web.find("#filters-toggle").get_attribute("textContent").split())
    assert in_use in label, f"a screen reader hears how many are in use: {label!r}"
    overflow = web.js("return document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0, f"the page scrolls sideways by {overflow}px on a phone"


def test_on_a_phone_the_language_switch_is_there_without_opening_the_menu(web, make):
    user = make.user("coordinator")
    web.resize(*PHONE)
    web.login(user)
    web.go("/incidents")
    assert not web.find("#nav").is_displayed(), "the menu is folded"
    switch = web.visible("#lang-switch")
    toggler = web.visible(".navbar-toggler").rect
    assert switch.rect["y"] < toggler["y"] + toggler["height"], "the switch sits on the bar, beside the menu button"
    web.submit("#lang-switch")
    assert web.html_lang() == "en"
    assert web.path.startswith("/incidents")


def _rgba(text):
    values = [float(v) for v in re.findall(r"[\d.]+", text)]
    return tuple(values[:3]) + ((values[3],) if len(values) > 3 else (1.0,))


def _over(color, background):
    """`color` (with alpha) painted over an opaque `background`."""
    *rgb, alpha = color
    return tuple(alpha * c + (1 - alpha) * b for c, b in zip(rgb, background[:3]))


def _luminance(rgb):
    def channel(c):
        c /= 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4
    r, g, b = (channel(c) for c in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a, b):
    high, low = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


FOCUS_STYLE = """
const e = document.activeElement;
e.getAnimations().forEach(a => a.finish());  // read the ring as it settles, not mid-transition
const cs = getComputedStyle(e);
return {inBar: !!e.closest("nav.navbar") && !e.closest(".dropdown-menu"), id: e.id, text: e.textContent.trim(),
        outlineStyle: cs.outlineStyle, outlineWidth: parseFloat(cs.outlineWidth), outlineColor: cs.outlineColor,
        boxShadow: cs.boxShadow, bar: getComputedStyle(e.closest("nav.navbar") || document.body).backgroundColor};
"""


def _focus_rings(style):
    """The colours that mark focus: a visible outline, and box-shadows that spread."""
    rings = []
    if style["outlineStyle"] not in ("none", "hidden") and style["outlineWidth"] >= 1:
        rings.append(_rgba(style["outlineColor"]))
    if style["boxShadow"] != "none":
        for shadow in re.split(r",(?![^(]*\))", style["boxShadow"]):
            color = re.search(r"rgba?\([^)]*\)", shadow)
            lengths = [float(v) for v in re.findall(r"(-?[\d.]+)px", shadow)]
            if color and len(lengths) >= 4 and lengths[3] > 0:
                rings.append(_rgba(color.group(0)))
    return rings


def test_keyboard_focus_on_the_navigation_bar_has_a_ring_of_at_least_3_to_1(web, make):
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.keys import Keys

    web.login(make.user("admin"))
    web.go("/incidents")
    web.js("document.activeElement && document.activeElement.blur()")
    seen = []
    for _ in range(12):
        ActionChains(web.driver).send_keys(Keys.TAB).perform()
        style = web.js(FOCUS_STYLE)
        if not style["inBar"]:
            break
        bar = _rgba(style["bar"])
        best = max((contrast(_over(ring, bar), bar[:3]) for ring in _focus_rings(style)), default=0)
        seen.append((style["id"] or style["text"], round(best, 2)))
    assert len(seen) >= 8, f"Tab walks the brand, six links, the user menu and the switch: {seen}"
    weak = [item for item in seen if item[1] < 3]
    assert not weak, f"focus rings under 3:1 against the bar: {weak}"
